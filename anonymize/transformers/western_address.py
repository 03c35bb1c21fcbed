"""Western address fakes for `address`: a street line, building, city or whole address in Latin letters gets a
fake of the same form, a US ZIP a ZIP, a UK postcode a UK postcode, any other postal code its own character
shape.

Street lines are rewritten word by word ("Flat 3, 12 Baker St" -> "Flat 7, 45 Hawkins St"):
- numbers keep their digit count (and a first digit that isn't 0), an ordinal its suffix (3rd -> 8th);
- a run of name words ("Baker", "Martin Luther King Jr") becomes one street name from the Western family-name
  pool (as Faker's en_US street names are: "<last name> <suffix>");
- a single letter (12B, Flat A) becomes another letter;
- the words that name no one stay: street types (Street, St, Ave, Road...), unit words (Apt, Flat, Suite, PO
  Box...), compass points, two-letter capitals (state codes: CA, NY), countries;
- a UK postcode inside the line gets a postcode fake, as the postal_code part does.

Postal codes (anonymize.locales.postal_format):
- US ZIP 12345 / ZIP+4 12345-6789: keyed digits, the ZIP in 01000..99999;
- UK postcode: the outward code's shape (A9, A99, AA9, AA99, A9A, AA9A), spacing and case kept, each position
  drawn from the letters the format allows there (not Q, V, X first; not I, J, Z second; ABCDEFGHJKPSTUW third in
  A9A; ABEHMNPRVWXY fourth in AA9A; the inward code's letters never C, I, K, M, O, V: the UK's postcode format as
  the gov.uk ILR specification (Appendix C) and Wikipedia's "Postcodes in the United Kingdom" state it, quoted by
  Ruby's Postkode gem). The area letters are drawn, so a fake area may be one the Royal Mail doesn't use;
- any other code: its ASCII digits and letters replaced by keyed ones of the same class and case.
A fake never equals the value it replaces (a redraw steps off it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from anonymize.locales import GB_POSTCODE, US_ZIP
from anonymize.names import pool
from anonymize.transformers.keyed import text_key

_UK_FIRST = "ABCDEFGHIJKLMNOPRSTUWYZ"  # not Q, V, X
_UK_SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"  # not I, J, Z
_UK_THIRD = "ABCDEFGHJKPSTUW"  # A9A
_UK_FOURTH = "ABEHMNPRVWXY"  # AA9A
_UK_INWARD = "ABDEFGHJLNPQRSTUWXYZ"  # not C, I, K, M, O, V
_UK_PARTS = re.compile(r"([A-Za-z]{1,2})([0-9])([A-Za-z0-9]?)(\s*)([0-9])([A-Za-z]{2})")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Words of a Western address that name no one: kept as they are (casefolded, without a final ".").
_KEEP_WORDS = (
    # street types
    "street st avenue ave av road rd lane ln drive dr boulevard blvd court ct place pl square sq terrace ter "
    "terr way close cl crescent cres gardens gdns grove gr hill parkway pkwy highway hwy circle cir trail trl "
    "row mews walk view rise green parade pde park broadway alley aly plaza plz route rte loop path pike bend "
    "point pt crossing xing commons expressway expy freeway fwy junction jct heights hts estate quay wharf yard "
    # units, boxes
    "apt apartment suite ste unit flat floor fl room rm building bldg house no number po box pmb dept "
    "department level lvl lot block blk tower wing c/o care "
    # compass points, countries, small words
    "n s e w ne nw se sw north south east west northeast northwest southeast southwest "
    "usa us uk gb united states kingdom america england scotland wales ireland northern canada australia "
    "of the and at on upon in by"
)
_KEEP = frozenset(_KEEP_WORDS.split())
_ORDINALS = frozenset({"st", "nd", "rd", "th"})
_STREET_TYPES = ("Street", "Road", "Avenue", "Lane", "Drive")  # a street line made up for a value with none
_TOKEN = re.compile(
    r"(?P<postcode>\b[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s?[0-9][A-Za-z]{2}\b)"
    r"|(?P<digits>[0-9]+)"
    r"|(?P<word>[^\W\d_]+(?:['\u2019][^\W\d_]+)*)"
)
_REDRAWS = 4


@cache
def _street_names() -> tuple[str, ...]:
    return pool.western_family()


class _Draws:
    """Keyed choices for one fake: numbers drawn one after another from the key's digests."""

    __slots__ = ("_digest", "_key", "_number", "_round")

    def __init__(self, digest: Callable[[str], bytes], key: str, attempt: int) -> None:
        self._digest, self._key, self._round = digest, f"{key}\0{attempt}", 0
        self._number = 0

    def below(self, size: int) -> int:
        if self._number < size << 8:  # not enough entropy left for an unbiased-enough draw: the next digest
            self._number = self._number << 256 | int.from_bytes(self._digest(f"{self._key}\0{self._round}"), "big")
            self._round += 1
        self._number, drawn = divmod(self._number, size)
        return drawn

    def digits(self, like: str) -> str:
        """As many digits as `like` has, the first not 0 if its first isn't."""
        out = [str(self.below(9) + 1) if like[0] != "0" else str(self.below(10))]
        out += [str(self.below(10)) for _ in like[1:]]
        return "".join(out)

    def letter(self, letters: str, like: str) -> str:
        letter = letters[self.below(len(letters))]
        return letter.lower() if like.islower() else letter


class WesternAddresses:
    """The Western fakes of one address transformer (one key, one domain)."""

    def __init__(self, digest: Callable[[str], bytes]) -> None:
        self._digest = digest  # keyed digest of a normalized key: the draws

    def draws(self, key: str, attempt: int = 0) -> _Draws:
        return _Draws(self._digest, text_key(key), attempt)

    # --- postal codes ---

    def postal_code(self, text: str, key: str, format_: str) -> str:
        """The fake of a postal code of `format_` ("us", "gb", "other"; anonymize.locales.postal_format)."""
        make = self._zip if format_ == "us" else self._postcode if format_ == "gb" else self._shaped
        for attempt in range(_REDRAWS):
            fake = make(text, self.draws(key, attempt))
            if fake != text:
                return fake
        return fake

    @staticmethod
    def _zip(text: str, draws: _Draws) -> str:
        if US_ZIP.fullmatch(text) is None:
            return WesternAddresses._shaped(text, draws)
        fake = f"{1000 + draws.below(99000):05d}"
        return fake + (f"-{draws.below(10000):04d}" if len(text) > 5 else "")

    @staticmethod
    def _postcode(text: str, draws: _Draws) -> str:
        parts = _UK_PARTS.fullmatch(text)
        if parts is None or GB_POSTCODE.fullmatch(text) is None:
            return WesternAddresses._shaped(text, draws)
        area, _district, third, space, _sector, unit = parts.groups()
        out = [draws.letter(_UK_FIRST, area[0])]
        if len(area) == 2:
            out.append(draws.letter(_UK_SECOND, area[1]))
        out.append(str(draws.below(9) + 1))
        if third.isdigit():
            out.append(str(draws.below(10)))
        elif third:
            out.append(draws.letter(_UK_FOURTH if len(area) == 2 else _UK_THIRD, third))
        out += [space, str(draws.below(10)), draws.letter(_UK_INWARD, unit[0]), draws.letter(_UK_INWARD, unit[1])]
        return "".join(out)

    @staticmethod
    def _shaped(text: str, draws: _Draws) -> str:
        """ASCII digits and letters replaced by keyed ones of their class and case; the rest as it is."""
        out = []
        for char in text:
            if "0" <= char <= "9":
                out.append(str(draws.below(10)))
            elif char.isascii() and char.isalpha():
                out.append(draws.letter(_LETTERS, char))
            else:
                out.append(char)
        return "".join(out)

    # --- street lines, buildings, cities, whole addresses ---

    def line(self, text: str, key: str) -> str:
        """A Western address line's fake in the same form (see the module docstring)."""
        for attempt in range(_REDRAWS):
            fake = self._line(text, self.draws(key, attempt))
            if text_key(fake) != text_key(text):
                return fake
        # Nothing in it to change ("Street", "N/A"): a made-up street line, never the value itself.
        draws = self.draws(key, _REDRAWS)
        names = _street_names()
        return f"{draws.digits('1' * 3)} {names[draws.below(len(names))]} {_STREET_TYPES[draws.below(5)]}"

    @staticmethod
    def _line(text: str, draws: _Draws) -> str:
        names = _street_names()
        out: list[str] = []
        at = 0
        previous: str | None = None  # kind of the previous token: "digits", "name", "kept"
        previous_digits = ""
        for match in _TOKEN.finditer(text):
            gap = text[at : match.start()]
            at = match.end()
            token = match.group()
            kind = match.lastgroup
            if kind == "postcode":
                out += [gap, WesternAddresses._postcode(token, draws)]
                previous = "kept"
                continue
            if kind == "digits":
                previous_digits = draws.digits(token)
                out += [gap, previous_digits]
                previous = "digits"
                continue
            bare = token.casefold()
            if previous == "digits" and not gap and bare in _ORDINALS:
                out += [gap, _cased(_ordinal(previous_digits), token)]
                previous = "kept"
            elif len(token) == 1 and bare not in _KEEP:
                out += [gap, draws.letter(_LETTERS, token)]
                previous = "kept"
            elif bare in _KEEP or (len(token) == 2 and token.isupper()):
                out += [gap, token]
                previous = "kept"
            elif previous == "name" and gap == " ":
                continue  # the rest of a name run: one fake name stands for the run
            else:
                out += [gap, _cased(names[draws.below(len(names))], token)]
                previous = "name"
        out.append(text[at:])
        return "".join(out)


def _ordinal(number: str) -> str:
    n = int(number)
    if n % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _cased(fake: str, like: str) -> str:
    if len(like) > 1 and like.isupper():
        return fake.upper()
    if like.islower():
        return fake.lower()
    return fake
