"""Japanese postal codes: NNN-NNNN after 〒 or a postal label, or right before an address.

A bare NNN-NNNN is also a part number or a phone fragment, so it counts only with that evidence.
"""

from __future__ import annotations

import re

from anonymize.pii.gate import WORD_RIGHT, Clue
from anonymize.pii.recognizers.address import PREFECTURE_PATTERN
from anonymize.pii.recognizers.base import NUM_RIGHT, Recognizer
from anonymize.pii.spans import Kind, Span

_LABELLED = re.compile(
    r"(?:〒|郵便番号|[Pp]ostal [Cc]ode|[Pp]ostcode|[Zz][Ii][Pp](?: [Cc]ode)?)\s*[:：]?\s*(?P<code>\d{3}-?\d{4})"
    + NUM_RIGHT
)
_BEFORE_ADDRESS = re.compile(
    r"(?<![0-9A-Za-z_\-+./@#])(?P<code>\d{3}-\d{4})" + NUM_RIGHT + rf"(?=\s?{PREFECTURE_PATTERN})"
)


class PostalCodeRecognizer(Recognizer):
    name = "jp_postal_code"
    kinds = frozenset({Kind.POSTAL_CODE})
    needs = frozenset({"digit"})
    gate = re.compile(r"〒|郵便番号|[Pp]ostal|[Pp]ostcode|[Zz][Ii][Pp]|\d{3}-\d{4}")
    clues = (Clue(digits=7, seps="-", right_bad=WORD_RIGHT),)  # \d{3}-?\d{4}, ended by NUM_RIGHT

    def find(self, text: str) -> list[Span]:
        spans = []
        for pattern, score in ((_LABELLED, 0.95), (_BEFORE_ADDRESS, 0.8)):
            for match in pattern.finditer(text):
                start, end = match.span("code")
                spans.append(self.span(Kind.POSTAL_CODE, start, end, score, match.group("code").replace("-", "")))
        return spans
