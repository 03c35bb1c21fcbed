"""PII detection in free text and JSON: Japanese and English recognizers, offline, cached.

Importing this package loads neither Presidio nor spaCy; `anonymize.pii.analyzer` does, on demand. Importing
`anonymize.pii.hook` registers the detector as the free_text transformer's "presidio" detector.
"""

from __future__ import annotations

from anonymize.pii.detector import CacheStats, PiiDetector
from anonymize.pii.known import KnownValues
from anonymize.pii.spans import Kind, Span

__all__ = ["CacheStats", "Kind", "KnownValues", "PiiDetector", "Span"]
