"""The PII detector as the free_text transformer's "presidio" detector (rules: `params: {detector: presidio}`).

`register()` adds it to anonymize.transformers.free_text's registry; importing this module calls it. One
PiiDetector per process serves every column, so its cache spans the whole run, and `KNOWN` is the run's
registry of values met in structured columns: the pipeline adds to it (`KNOWN.add(Kind.PERSON, name)`) and
free text then finds those names even without an honorific.

Our kinds map onto free_text's replacement kinds as the transformers declare them (`TextKind.entities`): an invoice
number (T + corporate number) is replaced by a corporate-number fake of the same shape, a branch number by a
bank-account fake of its 3 digits. Honorifics
lie outside the spans, so 「田中様」 becomes 「<fake surname>様」: a name is replaced by one of the same shape
(`person_shape`), unless a column met it, then by the column's fake.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from anonymize.context import KeyContext
from anonymize.pii.detector import PiiDetector
from anonymize.pii.known import KnownValues
from anonymize.pii.names import ja_surnames
from anonymize.pii.spans import CUE, Kind

if TYPE_CHECKING:
    from anonymize.keys import Keyring
    from anonymize.transformers.free_text import FreeTextParams, Span, Stamp

DETECTOR_NAME = "presidio"
KNOWN = KnownValues()


@cache
def shared_detector() -> PiiDetector:
    """The process's detector, reading the run's KNOWN values."""
    return PiiDetector(KNOWN)


def reset_known() -> KnownValues:
    """Empty KNOWN (and the detector's cache, whose spans may name known values) for a new run; returns KNOWN."""
    KNOWN.clear()
    shared_detector().clear_cache()  # the transformers built for this run already hold this detector
    return KNOWN


class FreeTextDetector:
    """free_text's Detector protocol over PiiDetector: spans with free_text's kind names."""

    def __init__(self, detector: PiiDetector, kinds: frozenset[str] | None = None) -> None:
        from anonymize.transformers.declared import text_kind_names

        self.detector = detector
        self.kinds = kinds
        self.names = {Kind(entity): name for entity, name in text_kind_names().items()}  # Kind -> free_text's kind
        from anonymize.transformers.free_text import Span  # here: free_text imports this module's registry

        self._span = Span  # once, not an import statement per text (~1.7% of a payload's transform, sampled)

    def stamp(self) -> Stamp:
        """free_text.MemoizableDetector's: its generation changes with the known values the detector reads."""
        return self.detector.stamp()

    def detect(self, text: str, context: KeyContext | None = None) -> Sequence[Span]:
        found = self.detector.detect(text, context)
        if not found:
            return []
        Span = self._span
        spans = []
        for span in found:
            kind = self.names[span.kind]
            if self.kinds is None or kind in self.kinds:
                if span.kind is Kind.PERSON and not span.known:
                    kind = person_shape(text[span.start : span.end])
                weak = span.evidence == CUE and context != "card" and not span.known
                spans.append(Span(span.start, span.end, kind, weak))
        return spans


_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc\u30fb\uff66-\uff9f\s]+")


def person_shape(name: str) -> str:
    """free_text's kind for a detected name, so its fake has the same shape: a surname alone (田中様, Mr. Smith)
    by a surname, katakana by katakana, Latin letters by romaji. Names met in a column (known) stay "person":
    their fake must be the column's."""
    stripped = name.strip()
    if stripped.isascii():
        return "person_family_romaji" if len(stripped.split()) == 1 else "person_romaji"
    if _KATAKANA.fullmatch(stripped):
        return "person_family_katakana" if len(stripped.split()) == 1 and len(stripped) <= 4 else "person_katakana"
    if len(stripped.split()) == 1 and stripped in ja_surnames():
        return "person_family"
    return "person"


def _factory(params: FreeTextParams, keyring: Keyring) -> FreeTextDetector:
    return FreeTextDetector(shared_detector(), frozenset(params.kinds) if params.kinds else None)


def register() -> None:
    from anonymize.transformers.free_text import register_detector

    register_detector(DETECTOR_NAME, _factory, reads_known_values=True)  # KNOWN, filled by the run first


register()
