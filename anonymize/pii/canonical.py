"""One spelling per value and kind: what a replacement is keyed on, in free text and in structured columns alike.

A phone met as "+81 90-1234-5678" in a note and as "090-1234-5678" in a column is one number, so both must
reduce to the same string; the column transformers and KnownValues use these functions too.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Callable

from anonymize import normalize as base
from anonymize.pii.normalize_map import normalize
from anonymize.pii.spans import Kind

# The kinds whose value is their digits alone (KnownValues computes it once for all of them).
DIGIT_KINDS = frozenset(
    {
        Kind.MY_NUMBER,
        Kind.CORPORATE_NUMBER,
        Kind.BANK_ACCOUNT,
        Kind.BANK_BRANCH,
        Kind.CARD,
        Kind.POSTAL_CODE,
    }
)


def phone(raw: str) -> str:
    """Japanese numbers in national form ("09012345678"), others as "+<digits>" (E.164 without separators)."""
    digits = base.digits(raw)
    # "(+81) 90 ..." is +81. normalize() leaves ASCII as it is: the check spares its MappedText (most phones).
    stripped = (raw if raw.isascii() else normalize(raw)).strip().lstrip("( ")
    if stripped.startswith("+") or stripped.startswith("00"):
        digits = digits[2:] if stripped.startswith("00") else digits
        if digits.startswith("81"):
            national = digits[2:]
            return national if national.startswith("0") else "0" + national
        return "+" + digits
    return digits


def invoice(raw: str) -> str:
    """Invoice registration numbers: "T" and the 13 digits."""
    return "T" + base.digits(raw)


def ip(raw: str) -> str:
    """IP addresses in their compressed form (2001:db8::1), as `ipaddress` prints them."""
    stripped = normalize(raw).strip()
    try:
        return str(ipaddress.ip_address(stripped))
    except ValueError:
        return stripped.lower()


def address(raw: str) -> str:
    """Addresses: normalized text without whitespace (丁目/番/号 spellings stay as written)."""
    return "".join(normalize(raw).split())


def value(kind: Kind, raw: str) -> str:
    """The normalized value of `raw` as a `kind`."""
    if kind is Kind.PHONE:
        return phone(raw)
    if kind is Kind.EMAIL:
        return base.email(raw)
    if kind is Kind.PERSON:
        return base.name(raw)
    if kind is Kind.INVOICE_NUMBER:
        return invoice(raw)
    if kind is Kind.ADDRESS:
        return address(raw)
    if kind is Kind.IP:
        return ip(raw)
    if kind in DIGIT_KINDS:
        return base.digits(raw)
    return base.text(raw)


def name(raw: str) -> str:
    """base.name, the same string, sooner: NFKC (nothing to do on ASCII), whitespace dropped by str.split (which
    splits where re's \\s matches: both ask str.isspace), then casefolded (lower, on ASCII)."""
    if raw.isascii():
        return "".join(raw.split()).lower()
    return "".join(unicodedata.normalize("NFKC", raw).split()).casefold()


def email(raw: str) -> str:
    """base.email, the same string, sooner on ASCII (NFKC leaves it as it is)."""
    return raw.strip().lower() if raw.isascii() else base.email(raw)


# Every kind's function: `value`'s choice, made once per kind rather than per value.
VALUE_OF: dict[Kind, Callable[[str], str]] = (
    dict.fromkeys(Kind, base.text)
    | dict.fromkeys(DIGIT_KINDS, base.digits)
    | {
        Kind.PHONE: phone,
        Kind.EMAIL: email,
        Kind.PERSON: name,
        Kind.INVOICE_NUMBER: invoice,
        Kind.ADDRESS: address,
        Kind.IP: ip,
    }
)
"""The function `value` applies for each kind (the same strings, tests/anonymize/pii/test_canonical.py): for callers
that normalize many values, without `value`'s chain of tests per value."""
