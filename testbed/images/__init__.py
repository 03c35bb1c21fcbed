"""Test images built from a debootstrap root file system: PostgreSQL 15 and Redis 7, no registry pulls."""
