"""The planted PII corpus (generated, checked in) and how detectors are scored against it."""
