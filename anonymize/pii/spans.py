"""What detection returns: a kind of personal data, where it sits, and the normalized value to key a fake on.

Recognizers return spans on the *normalized* text; the detector maps them back to offsets of the original text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """Kinds of personal data. The values double as Presidio entity types."""

    EMAIL = "EMAIL"
    PHONE = "PHONE"
    POSTAL_CODE = "POSTAL_CODE"
    ADDRESS = "ADDRESS"
    MY_NUMBER = "MY_NUMBER"
    CORPORATE_NUMBER = "CORPORATE_NUMBER"
    INVOICE_NUMBER = "INVOICE_NUMBER"
    BANK_ACCOUNT = "BANK_ACCOUNT"
    BANK_BRANCH = "BANK_BRANCH"
    CARD = "CARD"
    IP = "IP"
    PERSON = "PERSON"


@dataclass(frozen=True, slots=True)
class Span:
    """Replace `text[start:end]` by a fake of `kind` keyed on `value`."""

    kind: Kind
    start: int
    end: int
    score: float
    value: str  # normalized value (canonical.py): what the replacement is keyed on
    honorific: str | None = None  # 様, さん, Mr. ... kept by the replacement; it lies outside [start, end)
    recognizer: str = ""
    known: bool = False  # met in a structured column this run (KnownValues): reuse the column's fake
    # What makes a card a card besides its digits (anonymize.context): "" its own shape (card grouping), CUE a cue
    # word near it, BARE nothing (a card only under a JSON key that names one). Other kinds: "".
    evidence: str = ""


CUE, BARE = "cue", "bare"  # Span.evidence of a card found by a cue word only, and of one found by nothing but digits
# Span.evidence of what a rules file's Presidio recognizer found: the look-alike heuristics, written for devkit's
# own number recognizers, don't second-guess it (its results are AnalyzerEngine's).
DECLARED = "declared"
