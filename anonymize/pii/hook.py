"""The PII detector as the free_text transformer's "presidio" detector (rules: `params: {detector: presidio}`).

`register()` adds it to anonymize.transformers.free_text's registry; importing this module calls it. One
PiiDetector per process serves every column, so its cache spans the whole run, and `KNOWN` is the run's
registry of values met in structured columns: the pipeline adds to it (`KNOWN.add(Kind.PERSON, name)`) and
free text then finds those names even without an honorific.

Our kinds map onto free_text's replacement kinds: an invoice number (T + corporate number) is replaced by a
corporate-number fake of the same shape, a branch number by a bank-account fake of its 3 digits. Honorifics
lie outside the spans, so 「田中様」 becomes 「<fake>様」.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from anonymize.pii.detector import PiiDetector
from anonymize.pii.known import KnownValues
from anonymize.pii.spans import Kind

if TYPE_CHECKING:
    from anonymize.keys import Keyring
    from anonymize.transformers.free_text import FreeTextParams, Span

DETECTOR_NAME = "presidio"
KIND_NAMES: dict[Kind, str] = {
    Kind.EMAIL: "email",
    Kind.PHONE: "phone",
    Kind.CARD: "card",
    Kind.IP: "ip",
    Kind.PERSON: "person",
    Kind.ADDRESS: "address",
    Kind.POSTAL_CODE: "postal_code",
    Kind.MY_NUMBER: "my_number",
    Kind.CORPORATE_NUMBER: "corporate_number",
    Kind.INVOICE_NUMBER: "corporate_number",
    Kind.BANK_ACCOUNT: "bank_account",
    Kind.BANK_BRANCH: "bank_account",
}
KNOWN = KnownValues()


@cache
def shared_detector() -> PiiDetector:
    """The process's detector, reading the run's KNOWN values."""
    return PiiDetector(KNOWN)


class FreeTextDetector:
    """free_text's Detector protocol over PiiDetector: spans with free_text's kind names."""

    def __init__(self, detector: PiiDetector, kinds: frozenset[str] | None = None) -> None:
        self.detector = detector
        self.kinds = kinds

    def detect(self, text: str) -> Sequence[Span]:
        from anonymize.transformers.free_text import Span

        spans = []
        for span in self.detector.detect(text):
            kind = KIND_NAMES[span.kind]
            if self.kinds is None or kind in self.kinds:
                spans.append(Span(span.start, span.end, kind))
        return spans


def _factory(params: FreeTextParams, keyring: Keyring) -> FreeTextDetector:
    return FreeTextDetector(shared_detector(), frozenset(params.kinds) if params.kinds else None)


def register() -> None:
    from anonymize.transformers.free_text import register_detector

    register_detector(DETECTOR_NAME, _factory)


register()
