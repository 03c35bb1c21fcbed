"""Phone numbers: Japanese mobile, IP-phone and landline numbers in every usual spelling, and +CC numbers.

Japanese numbers are 10 digits (landlines 0A-BCDE-FGHJ with area codes of 1 to 4 digits after the 0, toll-free
0120, navi-dial 0570) or 11 digits (mobile 070/080/090, IP phone 050, M2M 020, toll-free 0800). Separators are
hyphens (after normalization every dash look-alike is one), spaces, dots or parentheses around the area code;
"+81" replaces the leading 0. An unseparated 11-digit 0X0 number is a mobile whatever surrounds it; an
unseparated 10-digit number is only a landline next to a phone cue (TEL, 電話, 連絡先 ...), since ids are often 10
digits too. Other countries' numbers need a "+" and are validated by the `phonenumbers` library (Presidio's
own dependency).
"""

from __future__ import annotations

import re
from functools import cache

from anonymize.pii import canonical
from anonymize.pii.gate import WORD_RIGHT, Clue
from anonymize.pii.recognizers.base import NUM_LEFT, NUM_RIGHT, Recognizer, preceded_by, scan
from anonymize.pii.spans import Kind, Span

# A phone label glued to the number (TEL090-..., Tel.03-..., ℡ which NFKC spells TEL) is as good a left boundary
# as a space.
_LEFT = rf"(?:(?<=TEL)|(?<=Tel)|(?<=tel)|(?<=FAX)|(?<=Fax)|(?<=TEL\.)|(?<=Tel\.)|(?<=tel\.)|{NUM_LEFT})"
_SEP = r"[-. ]"
_JP = re.compile(
    _LEFT
    + r"(?:"
    + rf"(?P<sep>0\d{{1,4}}{_SEP}\d{{1,4}}{_SEP}\d{{3,4}})"
    + r"|(?P<paren_in>0\d{1,4}\(\d{1,4}\)\d{3,4})"
    + rf"|(?P<paren_area>\(0\d{{1,4}}\) ?\d{{1,4}}{_SEP}?\d{{3,4}})"
    + rf"|(?P<intl>\+81{_SEP}?(?:\(0\){_SEP}?)?\d{{1,4}}{_SEP}?\d{{1,4}}{_SEP}?\d{{3,4}})"
    + r"|(?P<mobile>0[2-9]0\d{8})"
    + r"|(?P<bare>0[1-9]\d{8})"
    + r")"
    + NUM_RIGHT
)
_FOREIGN = re.compile(NUM_LEFT + r"\+(?!81)[1-9]\d{0,2}[ \-.]?(?:\(\d{1,4}\)[ \-.]?)?\d[\d \-.]{4,14}\d" + NUM_RIGHT)
_PHONE_CUE = re.compile(r"TEL|Tel|tel|FAX|Fax|fax|電話|携帯|連絡|[Pp]hone|[Cc]all|[Mm]obile|☎")
_MOBILE_PREFIXES = ("020", "050", "060", "070", "080", "090")


def japanese_number_ok(national: str) -> bool:
    """Is `national` (digits, leading 0) a plausible Japanese number by length and prefix? Placeholders written
    in forms and templates (03-0000-0000, 090-0000-0000) are not anyone's number."""
    if national[-8:] == "00000000":
        return False
    if len(national) == 11:
        return national.startswith((*_MOBILE_PREFIXES, "0800"))
    if len(national) == 10:
        return national[0] == "0" and national[1] != "0" and not national.startswith(_MOBILE_PREFIXES)
    return False


@cache
def _phonenumbers():  # type: ignore[no-untyped-def]
    import phonenumbers  # lazy: ~50 ms, only paid when a '+' number shows up

    return phonenumbers


class PhoneRecognizer(Recognizer):
    name = "jp_phone"
    kinds = frozenset({Kind.PHONE})
    needs = frozenset({"digit"})
    clues = (
        # _JP: 10 or 11 national digits (japanese_number_ok; "+81" adds two), groups joined by a separator, a
        # bracket, or a bracket and a separator ("(03) 1234", "+81-(0)-3").
        Clue(digits=10, seps="-. ()", gap=2, right_bad=WORD_RIGHT),
        # _FOREIGN: "+", a digit, then at least two more, separators (up to 14 in a row) between them.
        Clue(digits=3, seps=" -.()", gap=14, right_bad=WORD_RIGHT, after="+"),
    )

    def find(self, text: str) -> list[Span]:
        spans = [
            self.span(Kind.PHONE, *match.span(), 0.75 if match.lastgroup in ("mobile", "bare") else 0.85,
                      canonical.phone(match.group()))
            for match in scan(_JP, text, lambda m: _japanese_ok(text, m))
        ]  # fmt: skip
        if "+" in text:
            spans.extend(self._foreign(text))
        return spans

    def _foreign(self, text: str) -> list[Span]:
        spans = []
        pn = _phonenumbers()
        for match in _FOREIGN.finditer(text):
            try:
                parsed = pn.parse(match.group(), None)
            except pn.NumberParseException:
                continue
            if pn.is_valid_number(parsed):
                value = "+" + str(parsed.country_code) + str(parsed.national_number)
                spans.append(self.span(Kind.PHONE, *match.span(), 0.8, value))
        return spans


def _japanese_ok(text: str, match: re.Match[str]) -> bool:
    group = match.lastgroup
    if not japanese_number_ok(canonical.phone(match.group())):
        return False
    if group == "bare" and not preceded_by(text, match.start(), _PHONE_CUE, 12):
        return False
    return group != "sep" or _area_groups_ok(match.group())


def _area_groups_ok(spelled: str) -> bool:
    """0X-XXXX-XXXX style: the area code group (with its 0) is 2-5 digits, the last group 4 digits except for the
    toll-free/navi-dial 0120-XXX-XXX and 0570-XXX-XXX."""
    groups = re.split(r"[-. ]", spelled)
    if not 2 <= len(groups[0]) <= 5:
        return False
    if len(groups[2]) == 3:
        return groups[0] in ("0120", "0570", "0800")
    return True
