"""Registry numbers with check digits, and bank accounts: corporate_number (法人番号, 13 digits, check digit
first), my_number (個人番号, 12 digits, check digit last), bank_account (branch/account digits).

The body digits go through a keyed permutation (distinct numbers -> distinct fakes), the check digit is
recomputed, and the input's shape is kept (T1234567890123 invoice numbers keep their T, hyphens stay).
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from anonymize.keys import Keyring
from anonymize.transformers.base import ColumnInfo, MemoizedTransformer, NoParams, P, StrictParams, TextKind, register
from anonymize.transformers.digits import shape_of, whole_if_digit
from anonymize.transformers.keyed import DigitPermuter, fit
from anonymize.transformers.permutation import Permutation

_IDENTIFYING_ACCOUNT_DIGITS = 10  # bank code (4) + branch (3) + account (7) = 14; 10 allows short forms
_INTEGER_MAX = {"smallint": 2**15 - 1, "integer": 2**31 - 1, "bigint": 2**63 - 1}


def corporate_check_digit(body12: str) -> str:
    """法人番号: 9 - (sum of P_n * Q_n mod 9), P_n the n-th digit from the right, Q_n 1 for odd n, 2 for even."""
    if body12.isdigit() and body12.isascii():  # sums over the ASCII bytes run in C; the digits are bytes - 48
        raw = body12.encode()
        odd, even = raw[-1::-2], raw[-2::-2]
        total = sum(odd) - 48 * len(odd) + 2 * (sum(even) - 48 * len(even))
        return str(9 - total % 9)
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(body12), start=1))
    return str(9 - total % 9)


def corporate_number_valid(number: str) -> bool:
    return len(number) == 13 and number.isdigit() and corporate_check_digit(number[1:]) == number[0]


def my_number_check_digit(body11: str) -> str:
    """個人番号: 11 - (sum of P_n * Q_n mod 11), 0 when the remainder is 0 or 1; Q_n = n+1 (n<=6), n-5 (n>=7)."""
    total = sum(int(d) * (n + 1 if n <= 6 else n - 5) for n, d in enumerate(reversed(body11), start=1))
    remainder = total % 11
    return "0" if remainder <= 1 else str(11 - remainder)


def my_number_valid(number: str) -> bool:
    return len(number) == 12 and number.isdigit() and my_number_check_digit(number[:-1]) == number[-1]


class _DigitsTransformer(MemoizedTransformer[P]):
    """Shape-keeping digit transforms; subclasses say how to fake a digit string."""

    accepts = frozenset({"text", "integer"})
    identifying = True
    capabilities = MemoizedTransformer.capabilities.but(leak="whole_if_digit")  # see leak_values

    def __init__(self, params: P, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        self._permute = DigitPermuter(keyring, f"{self.name}\0{self.domain}")
        self._integer = column.family == "integer"
        self._integer_permutations: dict[tuple[int, int], Permutation] = {}

    def fake_digits(self, digits: str) -> str:
        return self._permute(digits)

    def _fake_integer(self, value: str) -> str:
        # An integer column: permute within the source's digit-count class [10^(k-1), 10^k), capped at the type's
        # maximum, so the fake has as many digits, never overflows int4/int2, and distinct values stay distinct.
        text = value.strip()
        sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
        pg_type = (self.column.base_type or self.column.pg_type).strip().lower()
        low = 10 ** (len(digits) - 1) if len(digits) > 1 else 0
        high = min(10 ** len(digits), _INTEGER_MAX.get(pg_type, 2**63 - 1) + 1)
        permutation = self._integer_permutations.get((low, high))
        if permutation is None:
            subkey = self.keyring.subkey(f"{self.name}\0{self.domain}\0int\0{low}\0{high}")
            permutation = self._integer_permutations[(low, high)] = Permutation(subkey, high - low)
        return sign + str(low + permutation(int(digits) - low))

    def _fake(self, value: str, key: str) -> str:
        if self._integer:
            return self._fake_integer(value)
        if value.isdigit() and value.isascii():
            # Bare digits, the usual storage: its own shape, so no template to fill (fill's length check kept).
            fake = self.fake_digits(value)
            if len(fake) != len(value):
                raise ValueError("digit count changed")
            return fit(fake, self.max_length)
        shape = shape_of(value)
        if not shape.digits:
            return value
        return fit(shape.fill(self.fake_digits(shape.digits)), self.max_length)

    leak_values = whole_if_digit  # "なし", "-": no digits, nothing to find (nor changed on purpose)


@register
class CorporateNumber(_DigitsTransformer[NoParams]):
    name = "corporate_number"
    pii_kind = "CORPORATE_NUMBER"
    text_kinds = (
        TextKind("corporate_number", entities=("CORPORATE_NUMBER", "INVOICE_NUMBER")),
        TextKind("invoice_number"),  # T + 法人番号: the T stays, the number is faked
    )
    default_domain = "corporate_number"

    def fake_digits(self, digits: str) -> str:
        if len(digits) != 13:
            return self._permute(digits)
        body = self._permute(digits[1:])
        return corporate_check_digit(body) + body


@register
class MyNumber(_DigitsTransformer[NoParams]):
    name = "my_number"
    pii_kind = "MY_NUMBER"
    text_kinds = (TextKind("my_number", entities=("MY_NUMBER",)),)
    default_domain = "my_number"

    def fake_digits(self, digits: str) -> str:
        if len(digits) != 12:
            return self._permute(digits)
        body = self._permute(digits[:-1])
        return body + my_number_check_digit(body)


class BankAccountParams(StrictParams):
    keep_prefix_digits: int = Field(default=0, ge=0)  # e.g. 4 to keep the bank code of "0001-123-1234567"


@register
class BankAccount(_DigitsTransformer[BankAccountParams]):
    """Branch (3 digits), account (7 digits) or combined bank-branch-account strings, digit count kept."""

    name = "bank_account"
    pii_kind = "BANK_ACCOUNT"
    text_kinds = (
        TextKind("bank_account", entities=("BANK_ACCOUNT", "BANK_BRANCH")),
        TextKind("bank_branch"),
    )
    default_domain = "bank_account"
    capabilities = _DigitsTransformer.capabilities.but(leak="whole_or_nothing")  # see leak_items

    def __init__(
        self, params: BankAccountParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None
    ) -> None:
        super().__init__(params, column, keyring, domain)
        self._keep_prefix_digits = params.keep_prefix_digits

    def fake_digits(self, digits: str) -> str:
        kept = min(self._keep_prefix_digits, len(digits))
        if not kept:
            return self._permute(digits)
        return digits[:kept] + self._permute(digits[kept:], digits[:kept])

    def leak_items(self, value: str) -> Iterator[tuple[str, bool]]:
        # A branch or account number alone (3 or 7 digits; every 7-digit number is an account at many branches)
        # reaches nobody, and no fake of that shape can avoid every real one: counted apart, like a common name.
        # With the bank and branch codes in the value (10+ digits) it reaches one person: identifying. Either way
        # a value left unchanged in its own row fails the run.
        for piece in self.leak_values(value):
            yield piece, sum(c.isdigit() for c in piece) >= _IDENTIFYING_ACCOUNT_DIGITS
