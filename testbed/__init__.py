"""What the tests and the benchmarks both stand on: real PostgreSQL/Redis servers and their images, the stranger
schemas' dataset builders, the PII corpus and its scoring. Neither devkit nor anonymize imports it, it imports
neither tests/ nor bench/, and it is not shipped in the wheel."""
