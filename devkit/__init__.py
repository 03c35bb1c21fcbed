"""devkit: local SmartPOS stack, deterministic seeds and anonymized snapshots."""

__version__ = "0.1.0"
