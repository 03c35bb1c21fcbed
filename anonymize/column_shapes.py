"""What a column's sampled values are, as a whole: the personal data that free-text detection can't see in one value.

The PII detector reads one text at a time and wants context (a label, an honorific, a phone cue). Some columns
give themselves away only together, with their name:
- digit-only phone numbers (4158675309, 09012345678): ten or eleven digits with a phone's prefix, in a column
  whose name says phone, or beside numbers the detector does call phones;
- logins made of people's names (jsmith, mary.jones): login-shaped, mostly distinct, with name-pool words;
- photos and scanned documents in `bytea`: the files' magic bytes;
- coordinates: latitude/longitude numbers (or points) at street precision, by the column's name or type;
- postal codes (ZIP, UK postcode, 〒123-4567) and Western street lines (1012 Julia Dam, 14 High Street);
- secrets: password hashes (bcrypt, argon2, crypt, PBKDF2) and API tokens (long high-entropy strings under a
  token/key/secret name, or a known secret format anywhere).

`column_shape(name, family, values)` returns the column's verdict (what it holds, how many values, the transform
that covers it) or None. Pure functions; `anonymize.scan` calls them on its samples, the draft reads the verdicts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from anonymize.transformers.geo import axis_of

# Shape names (finding kinds next to the PII detector's Kind values).
PHONE, USERNAME, PHOTO, COORDINATES, POSTAL_CODE, ADDRESS, SECRET = (
    "PHONE",
    "USERNAME",
    "PHOTO",
    "COORDINATES",
    "POSTAL_CODE",
    "ADDRESS",
    "SECRET",
)
MOST = 0.6  # share of sampled values that makes a column one shape
SOME = 0.3


def words_of(name: str) -> str:
    """A column or key name as lowercase words joined by `_`: "Full Name" -> full_name, firstName -> first_name,
    "addressLine1" -> address_line1 (non-ASCII kept)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    return re.sub(r"[^0-9a-z\u3040-\u30ff\u3400-\u9fff]+", "_", spaced.lower()).strip("_")


# ---------------------------------------------------------------- phones

_PHONE_NAME = re.compile(
    r"(^|_)(phone|tel|telephone|mobile|cell|fax|msisdn|sms|whatsapp|contact_number)(_|$|\d)|電話|携帯"
)
_NANP = re.compile(r"^1?[2-9]\d{2}[2-9]\d{6}$")
_JP_NATIONAL = re.compile(r"^0[1-9]\d{8,9}$")
_UK = re.compile(r"^(?:44|0)[1-9]\d{8,9}$")


def digit_phone(value: str) -> bool:
    """Ten or eleven digits (nothing else) with a phone's prefix: NANP, Japanese or British national forms."""
    text = value.strip()
    if not text.isdigit() or not text.isascii() or len(text) not in (10, 11, 12):
        return False
    if len(set(text)) <= 2:
        return False  # 0000000000, 1111111111: placeholders
    return bool(_NANP.match(text) or _JP_NATIONAL.match(text) or _UK.match(text))


# ---------------------------------------------------------------- logins

_LOGIN = re.compile(r"^[A-Za-z][A-Za-z0-9._\-]{1,31}$")
_LOGIN_NAME = re.compile(
    r"(^|_)(user|username|user_name|login|login_name|handle|nick|nickname|screen_name|account_name|uid)(_|$)"
    r"|ユーザー|ニックネーム"
)


@cache
def _pools() -> tuple[frozenset[str], frozenset[str]]:
    from anonymize.pii.names import latin_first_names, latin_last_names

    return latin_first_names(), latin_last_names()


def login_strength(value: str) -> int:
    """2: a login spelled from a full name (mary.jones, jsmith, smithj); 1: one name word (mary, jones2); 0: no."""
    text = value.strip()
    if not _LOGIN.match(text):
        return 0
    given, family = _pools()
    parts = [p for p in re.split(r"[._\-\d]+", text.lower()) if p]
    if len(parts) >= 2 and sum(p in given or p in family for p in parts) >= 2:
        return 2
    for part in parts:
        if len(part) >= 5 and (part[1:] in family or part[:-1] in family):
            return 2
    return 1 if any(len(p) >= 3 and (p in given or p in family) for p in parts) else 0


# ---------------------------------------------------------------- files

_MAGIC = (
    ("89504e470d0a1a0a", "image"),  # PNG
    ("ffd8ff", "image"),  # JPEG
    ("47494638", "image"),  # GIF
    ("424d", "image"),  # BMP
    ("49492a00", "image"),  # TIFF
    ("4d4d002a", "image"),  # TIFF
    ("255044462d", "document"),  # %PDF-
    ("504b0304", "document"),  # zip: docx, xlsx, odt
    ("d0cf11e0a1b11ae1", "document"),  # OLE: doc, xls
)
_NOT_PERSONAL_FILES = re.compile(r"(^|_)(logo|icon|banner|thumbnail_of_product|product|item|sku|favicon|sprite)(_|$)")


def file_kind(value: str) -> str | None:
    """'image' / 'document' by the magic bytes of a bytea's text form (\\x89504e47...), or None."""
    if not value.startswith("\\x"):
        return None
    head = value[2:40].lower()
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[8:16] == "66747970":  # ....ftyp: HEIC, AVIF, MP4
        return "image"
    if head.startswith("52494646") and head[16:24] == "57454250":  # RIFF....WEBP
        return "image"
    return None


# ---------------------------------------------------------------- coordinates

_POINT = re.compile(r"^\s*\(\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\)\s*$")
_GEO_NAME = re.compile(
    r"(^|_)(location|loc|geo|geom|geometry|geography|coords|coordinates|position|latlng|lat_lng|point|gps)(_|$)"
    r"|位置|座標"
)


_WKB_POINT = re.compile(r"^(?:\\x)?(?:01(?:01000000|01000020)|00(?:00000001|20000001))", re.IGNORECASE)


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def coordinate(value: str, axis: str | None) -> bool:
    """A coordinate at street precision (3 decimals: ~100 m): a number on its `axis`, or a point (x, y)."""
    text = value.strip()
    point = _POINT.match(text)
    if point:
        x, y = point.groups()
        return -180 <= float(x) <= 180 and -90 <= float(y) <= 90 and min(_decimals(x), _decimals(y)) >= 3
    if axis is None:
        return len(text) >= 42 and _WKB_POINT.match(text) is not None
    try:
        number = float(text)
    except ValueError:
        return False
    return abs(number) <= (90 if axis == "lat" else 180) and _decimals(text) >= 3


# ---------------------------------------------------------------- postal codes and street lines

_POSTAL_NAME = re.compile(
    r"(^|_)(postal|postal_code|postcode|post_code|zip|zipcode|zip_code|postleitzahl|cep|pin_code)(_|$)|郵便"
)
_ZIP = re.compile(r"^\d{5}(?:-\d{4})?$")
_DISTINCT_POSTAL = re.compile(
    r"^(?:\d{5}-\d{4}|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|〒?\s?\d{3}-\d{4}|[A-Z]\d[A-Z] ?\d[A-Z]\d)$"
)


def postal_code(value: str) -> str | None:
    """'distinct' for a form no number takes by chance (UK, 123-4567, ZIP+4, Canada), 'plain' for a 5 or 7 digit
    code, None otherwise."""
    text = value.strip().upper()
    if _DISTINCT_POSTAL.match(text):
        return "distinct"
    if _ZIP.match(text) or (text.isdigit() and len(text) == 7):
        return "plain"
    return None


_STREET_ABBREVIATIONS = (
    "st", "ave", "av", "rd", "ln", "dr", "blvd", "ct", "pl", "sq", "hwy", "pkwy", "cres", "cl", "gdns", "terr",
    "gardens", "close", "mews", "row", "walk", "way", "green", "hill", "parade", "esplanade",
)  # fmt: skip


@cache
def _street_line() -> re.Pattern[str]:
    from faker.providers.address.en_US import Provider

    suffixes = {s.lower() for s in Provider.street_suffixes} | set(_STREET_ABBREVIATIONS)
    alternatives = "|".join(sorted((re.escape(s) for s in suffixes), key=len, reverse=True))
    return re.compile(
        r"^(?:(?:flat|apt|apartment|unit|suite|ste|room|no\.?)\s*[\w\-]+,?\s+)?\d+[a-z]?(?:[\-/]\d+[a-z]?)?,?\s+"
        rf"(?:[a-z][\w'’.\-]*\s+){{0,4}}(?:{alternatives})\.?(?:,.*)?$",
        re.IGNORECASE,
    )


def street_line(value: str) -> bool:
    """A Western street line: a house number, words, a street type (1012 Julia Dam, Flat 3, 14 High St)."""
    text = value.strip()
    return 6 <= len(text) <= 120 and text[:1].isalnum() and bool(_street_line().match(text))


# ---------------------------------------------------------------- secrets

_SECRET_NAME = re.compile(
    r"(^|_)(token|secret|apikey|password|passwd|pwd|pass|hash|digest|salt|credential|credentials|auth|"
    r"session|bearer|access|refresh|otp|pin)(_|$)|(^|_)(api|secret|private|access|signing|encryption|master|client|"
    r"app|auth)_?key(_|$)|パスワード|暗証"
)  # a bare `key` is an idempotency, cache or public key as often: no secret's name
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_PASSWORD_HASH = re.compile(
    r"^(?:\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}|\$argon2(?:id|i|d)\$\S+|\$[156]\$\S{8,}|\$(?:5|6)\$rounds=\d+\$\S+|"
    r"\$scrypt\$\S+|scrypt:\S+|pbkdf2[_:]sha\d+[$:]\d+[$:]\S+|bcrypt\$\S+|sha\d+\$\S+\$\S+|\{S?SHA\d*\}\S+)$"
)
_HEX_DIGEST = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$", re.IGNORECASE)
_KNOWN_SECRET = re.compile(
    r"^(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{10,}|^gh[pousr]_[0-9A-Za-z]{30,}|^xox[abprs]-[0-9A-Za-z\-]{10,}|"
    r"^AKIA[0-9A-Z]{16}$|^AIza[0-9A-Za-z_\-]{30,}$|^eyJ[\w\-]+\.eyJ[\w\-]+\.[\w\-]+$|^-----BEGIN [A-Z ]*PRIVATE KEY"
)
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9_\-.+/=:~]{20,}$")


def entropy(text: str) -> float:
    """Shannon entropy of the characters, bits per character."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def secret(value: str, named: bool) -> bool:
    """A password hash or a known secret format anywhere; a hex digest or a high-entropy token under a secret's
    name (`named`)."""
    text = value.strip()
    if _PASSWORD_HASH.match(text) or _KNOWN_SECRET.match(text):
        return True
    if not named or _UUID.match(text):
        return False  # a UUID is an id, whatever its column's name
    if _HEX_DIGEST.match(text):
        return True
    if not _TOKEN_CHARS.match(text):
        return False
    classes = sum(bool(re.search(p, text)) for p in ("[a-z]", "[A-Z]", "[0-9]"))
    return classes >= 2 and entropy(text) >= 3.5


# ---------------------------------------------------------------- a column's verdict


@dataclass
class Verdict:
    shape: str  # one of the shape names above
    hits: int
    sampled: int
    transform: str
    params: dict[str, Any] = field(default_factory=dict)
    table_context: bool = False  # personal only beside an address or a person in the same table (coordinates)


def column_shape(
    name: str, family: str, values: Sequence[str], detected: Mapping[str, int] | None = None
) -> Verdict | None:
    """What the sampled `values` of a column (or the leaves of one JSON path) named `name` are as a whole.
    `detected`: how many of them the PII detector found to be wholly one kind ("PHONE": 12, "ADDRESS": 3): the
    column's other context."""
    detected = detected or {}
    values = [v for v in values if v is not None and v.strip()]
    n = len(values)
    if not n:
        return None
    words = words_of(name)
    if family == "bytea":
        files = Counter(kind for v in values if (kind := file_kind(v)))
        if files and sum(files.values()) >= MOST * n and not _NOT_PERSONAL_FILES.search(words):
            return Verdict(PHOTO, sum(files.values()), n, "null")
        return None
    axis = axis_of(words)
    if axis is not None or family == "other" or _GEO_NAME.search(words):
        hits = sum(coordinate(v, axis) for v in values)
        if hits >= MOST * n:
            return Verdict(COORDINATES, hits, n, "coordinates", {}, table_context=True)
        if family in ("numeric", "other"):
            return None
    if family not in ("text", "json"):
        return None
    named_secret = bool(_SECRET_NAME.search(words))
    hits = sum(secret(v, named_secret) for v in values)
    if hits >= MOST * n:
        return Verdict(SECRET, hits, n, "token")
    phone_named = bool(_PHONE_NAME.search(words))
    digit_phones = sum(digit_phone(v) for v in values)
    phones = detected.get(PHONE, 0)  # (an 11-digit mobile may be both: never more than every value)
    if digit_phones and (phone_named or phones >= SOME * n) and digit_phones + phones >= MOST * n:
        return Verdict(PHONE, min(n, digit_phones + phones), n, "phone")
    postal = Counter(kind for v in values if (kind := postal_code(v)))
    if sum(postal.values()) >= MOST * n and (_POSTAL_NAME.search(words) or postal["distinct"] >= SOME * n):
        return Verdict(POSTAL_CODE, sum(postal.values()), n, "address", {"part": "postal_code"})
    streets = sum(street_line(v) for v in values)
    if streets and streets + detected.get(ADDRESS, 0) >= MOST * n:
        return Verdict(ADDRESS, streets + detected.get(ADDRESS, 0), n, "address", {"part": "street"})
    strengths = [login_strength(v) for v in values]
    strong, weak = strengths.count(2), strengths.count(1)
    distinct = len(set(values)) / n
    if distinct >= 0.7 and (
        strong >= SOME * n or (_LOGIN_NAME.search(words) and strong + weak >= MOST * n and strong + weak >= 2)
    ):
        return Verdict(USERNAME, strong + weak, n, "username")
    return None
