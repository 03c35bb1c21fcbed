"""Digit templates: transform the digits of a value and put them back in the value's own shape, so
090-1234-5678 stays 0X0-XXXX-XXXX, ０９０ (full width) becomes ASCII in place, and +81 (90) 1234 5678 keeps its
parentheses and spaces."""

from __future__ import annotations

import re
import unicodedata

from anonymize.speedups import NATIVE


class DigitShape:
    """A value's digits and the shape around them. Regex and str.format do the work in C: this runs per value."""

    __slots__ = ("digits", "template")

    def __init__(self, template: str) -> None:
        self.template = template  # NFKC of the value
        # Bare ASCII digits (most stored numbers) are their own digits: no regex pass.
        self.digits = template if template.isdigit() and template.isascii() else _NON_DIGIT.sub("", template)

    def fill(self, digits: str) -> str:
        """The template with its digits replaced, in order, by `digits` (same count)."""
        if len(digits) != len(self.digits):
            raise ValueError("digit count changed")
        if len(digits) == len(self.template):
            return digits
        if NATIVE is not None:  # the same substitution in C (anonymize/csrc/digits.c)
            return NATIVE.fill_digits(self.template, digits)
        return fill_digits(self.template, digits)


def fill_digits(template: str, digits: str) -> str:
    """The template's ASCII digits replaced, in order, by `digits` (as many): the reference of the C one."""
    return _DIGIT.sub("{}", template.replace("{", "{{").replace("}", "}}")).format(*digits)


_DIGIT = re.compile(r"[0-9]")
_NON_DIGIT = re.compile(r"[^0-9]+")


_ANY_DIGIT = re.compile(r"\d")  # Unicode decimal digits: ０-９ count too


def has_digit(value: str) -> bool:
    """Whether the value holds a digit (what phone/card/account leak checks look for); regex runs in C."""
    return _ANY_DIGIT.search(value) is not None


def whole_if_digit(transformer: object, value: str) -> tuple[str, ...]:
    """`leak_values` of the number transformers (phone, card, bank account, registry numbers): the whole value if
    it holds a digit ("なし", "-" name nobody). A transformer using it declares Capabilities(leak="whole_if_digit"),
    and the pipeline's C row loop then makes the same test itself instead of calling it."""
    return (value,) if has_digit(value) else ()


def shape_of(value: str) -> DigitShape:
    return DigitShape(value if value.isascii() else unicodedata.normalize("NFKC", value))


# Luhn's doubling as a byte table: b"7" -> 5 (7 * 2 - 9), so a sum over bytes runs in C.
_DOUBLED = bytes.maketrans(b"0123456789", bytes((d * 2 - 9 if d > 4 else d * 2) for d in range(10)))


def luhn_check_digit(body: str) -> str:
    """The Luhn check digit to append to `body`."""
    if body.isdigit() and body.isascii():
        raw = body.encode()
        # From the right: positions 0, 2, 4... are doubled, 1, 3, 5... are summed as they are (ASCII minus 48).
        total = sum(raw[-1::-2].translate(_DOUBLED)) + sum(raw[-2::-2]) - 48 * (len(raw) // 2)
        return str((10 - total % 10) % 10)
    total = 0
    for i, char in enumerate(reversed(body)):
        digit = ord(char) - 48
        if i % 2 == 0:  # doubled: these become the odd positions once the check digit is appended
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return len(number) > 1 and number.isdigit() and luhn_check_digit(number[:-1]) == number[-1]


def luhn_solve(number: str, slot: int) -> str:
    """`number` with the digit at index `slot` chosen so the whole number passes Luhn."""
    from_right = len(number) - 1 - slot
    total = 0
    for i, char in enumerate(reversed(number)):
        if i == from_right:
            continue
        digit = ord(char) - 48
        if i % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    need = (10 - total % 10) % 10
    for candidate in range(10):
        value = candidate * 2 - 9 if from_right % 2 == 1 and candidate > 4 else candidate * (2 if from_right % 2 else 1)
        if value == need:
            return number[:slot] + str(candidate) + number[slot + 1 :]
    raise AssertionError("Luhn has a solution for every slot")
