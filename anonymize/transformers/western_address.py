"""Western address fakes for `address`: a street line, building, city or whole address in Latin letters gets a
fake of the same form, a US ZIP a ZIP, a UK postcode a UK postcode, any other postal code its own character
shape.

Street lines are rewritten word by word ("Flat 3, 12 Baker St" -> "Flat 7, 45 Hawkins St"):
- numbers keep their digit count (and a first digit that isn't 0), an ordinal its suffix (3rd -> 8th);
- a run of name words ("Baker", "Martin Luther King Jr") becomes one street name from the Western family-name
  pool (as Faker's en_US street names are: "<last name> <suffix>");
- a single letter (12B, Flat A) becomes another letter;
- the words that name no one stay: a street type ending a street name (Street, St, Ave, Road, Glen...), unit
  words (Apt, Flat, Suite, PO Box...), compass points, two-letter capitals (state codes: CA, NY), countries;
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

# Words of a Western address that name no one, kept as they are (casefolded, without a final "."): units and
# boxes, compass points, countries, small words ...
_KEEP_WORDS = (
    "apt apartment suite ste unit flat floor fl room rm building bldg house no number po box pmb dept "
    "department level lvl lot block blk tower wing care "
    "n s e w ne nw se sw north south east west northeast northwest southeast southwest "
    "usa us uk gb united states kingdom america england scotland wales ireland northern canada australia "
    "of the and at on upon in by"
)
# ... and street types, kept as the last word of a street name ("Baker Street", "Lake Shore Drive": Street, Drive),
# never as its first ("Park Avenue": Park is the name): the street suffixes of Faker's en_US and en_GB address
# providers (the USPS's suffix names) and their usual abbreviations.
_STREET_TYPE_WORDS = (
    "alley avenue branch bridge brook brooks burg burgs bypass camp canyon cape causeway center centers circle "
    "circles cliff cliffs club common corner corners course court courts cove coves creek crescent crest crossing "
    "crossroad curve dale dam divide drive drives estate estates expressway extension extensions fall falls ferry "
    "field fields flats ford fords forest forge forges fork forks fort freeway garden gardens gateway glen glens "
    "green greens grove groves harbor harbors haven heights highway hill hills hollow inlet island islands isle "
    "junction junctions key keys knoll knolls lake lakes land landing lane light lights loaf lock locks lodge loop "
    "mall manor manors meadow meadows mews mill mills mission motorway mount mountain mountains neck orchard oval "
    "overpass park parks parkway parkways pass passage path pike pine pines place plain plains plaza point points "
    "port ports prairie radial ramp ranch rapid rapids rest ridge ridges river road roads route row rue run shoal "
    "shoals shore shores skyway spring springs spur spurs square squares station stravenue stream street streets "
    "summit terrace throughway trace track trafficway trail tunnel turnpike underpass union unions valley valleys "
    "via viaduct view views village villages ville vista walk walks wall way ways well wells close rise parade "
    "broadway wharf quay yard "
    "st ave av rd ln dr blvd ct pl sq ter terr cl cres gdns gr pkwy hwy cir trl pde aly plz rte pt xing expy fwy "
    "jct hts"
)
_KEEP = frozenset(_KEEP_WORDS.split())
_STREET_TYPES = frozenset(_STREET_TYPE_WORDS.split())
_ORDINALS = frozenset({"st", "nd", "rd", "th"})
# Every word above names no one on its own (anonymize.specificity: a line made only of them and numbers is a unit).
NAMELESS_WORDS = _KEEP | _STREET_TYPES | _ORDINALS
_MADE_UP_TYPES = ("Street", "Road", "Avenue", "Lane", "Drive")  # a street line made up for a value with none
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

    def native(self) -> tuple:
        """What anonymize/csrc/western.c needs to write these fakes itself (address.c's `western`)."""
        return (self._digest, _street_names(), _KEEP, _STREET_TYPES, _ORDINALS)

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
        return f"{draws.digits('1' * 3)} {names[draws.below(len(names))]} {_MADE_UP_TYPES[draws.below(5)]}"

    @staticmethod
    def _line(text: str, draws: _Draws) -> str:
        names = _street_names()
        tokens = [(m.start(), m.end(), m.lastgroup or "") for m in _TOKEN.finditer(text)]
        # Each word's fate: "name" (a street name's word: the first of a run becomes one pool name, the rest go),
        # "keep", or "letter" (a single letter: another letter).
        fates: list[str] = []
        for i, (start, end, kind) in enumerate(tokens):
            word = text[start:end]
            bare = word.casefold()
            if kind != "word":
                fates.append(kind)
            elif i and tokens[i - 1][2] == "digits" and tokens[i - 1][1] == start and bare in _ORDINALS:
                fates.append("ordinal")
            elif bare in _KEEP or (len(word) == 2 and word.isupper()):
                fates.append("keep")
            elif len(word) == 1:
                fates.append("letter")
            elif (
                bare in _STREET_TYPES and i and fates[-1] in ("name", "type") and text[tokens[i - 1][1] : start] == " "
            ):
                fates.append("type")  # after a name: a street type, if it is the run's last word
            else:
                fates.append("name")
        for i in range(len(fates) - 1, 0, -1):  # "Lake Shore Drive": only the run's last word is its type
            if fates[i - 1] == "type" and fates[i] in ("name", "type") and text[tokens[i - 1][1] : tokens[i][0]] == " ":
                fates[i - 1] = "name"
        out: list[str] = []
        at = 0
        previous_digits = ""
        for i, ((start, end, _), fate) in enumerate(zip(tokens, fates, strict=True)):
            gap, word = text[at:start], text[start:end]
            at = end
            if fate == "name" and i and fates[i - 1] == "name" and gap == " ":
                continue  # the rest of a name run: one fake name stands for the run
            out.append(gap)
            if fate == "postcode":
                out.append(WesternAddresses._postcode(word, draws))
            elif fate == "digits":
                previous_digits = draws.digits(word)
                out.append(previous_digits)
            elif fate == "ordinal":
                out.append(_cased(_ordinal(previous_digits), word))
            elif fate == "letter":
                out.append(draws.letter(_LETTERS, word))
            elif fate == "name":
                out.append(_cased(names[draws.below(len(names))], word))
            else:
                out.append(word)
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
