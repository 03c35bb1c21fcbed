"""The anonymization engine: rules, keyed transformers, PII detection and the streaming pipeline.

A library: no CLI, no Docker, no imports from `devkit`. The devkit CLI maps `anonymize.errors` to exit codes.
"""
