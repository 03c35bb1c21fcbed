"""Deterministic SmartPOS seed data: profiles, generators, COPY loader, ledger and verification."""
