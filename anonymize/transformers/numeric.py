"""numeric_noise: keyed noise on amounts and counts, keeping integer-ness, decimal places and bounds.

The noise is keyed on the value (and the entity, if `entity_column` is set), so equal inputs get equal outputs
in every run. Relative noise scales with the value (0.1 = up to ±10%), absolute noise adds up to ±absolute.
Bounds: `min`/`max`, the sign of the input (keep_sign) and the column type's range (smallint, numeric(p,s)).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache

from pydantic import Field, model_validator

from anonymize.errors import TransformError
from anonymize.keys import Keyring
from anonymize.transformers.base import ColumnInfo, StrictParams, Transformer, register

_INT_RANGE = {"smallint": 2**15, "integer": 2**31, "bigint": 2**63, "int2": 2**15, "int4": 2**31, "int8": 2**63}
_NUMERIC = re.compile(r"^\s*numeric\((\d+)(?:,\s*(\d+))?\)\s*$")


class NumericNoiseParams(StrictParams):
    relative: float | None = Field(default=None, ge=0, le=10)
    absolute: float | None = Field(default=None, ge=0)
    min: float | None = None
    max: float | None = None
    keep_sign: bool = True
    entity_column: str | None = None

    @model_validator(mode="after")
    def _some_noise(self) -> NumericNoiseParams:
        if not self.relative and not self.absolute:
            raise ValueError("set relative (e.g. 0.1 for ±10%) and/or absolute noise")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self


@register
class NumericNoise(Transformer[NumericNoiseParams]):
    name = "numeric_noise"
    row_params = ("entity_column",)
    accepts = frozenset({"integer", "numeric", "text"})
    personal = False  # numbers alone are not searched for in the output: they'd match everywhere
    default_domain = "numeric_noise"

    def __init__(
        self, params: NumericNoiseParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None
    ) -> None:
        super().__init__(params, column, keyring, domain)
        self._integer = column.family == "integer"
        pg_type = (column.base_type or column.pg_type).strip().lower()
        self._limit: Decimal | None = None
        if pg_type in _INT_RANGE:
            self._limit = Decimal(_INT_RANGE[pg_type] - 1)
        elif match := _NUMERIC.match(pg_type):
            precision, scale = int(match.group(1)), int(match.group(2) or 0)
            self._limit = Decimal(10) ** (precision - scale) - Decimal(10) ** -scale
        self._cached = lru_cache(maxsize=self.cache_size)(self._fake)

    def _unit(self, value: str, entity: str, salt: str) -> Decimal:
        digest = self.keyring.digest(f"{self.domain}\0{salt}", f"{entity}\0{value}")
        return Decimal(int.from_bytes(digest[:8], "big")) / Decimal(2**63) - 1  # in [-1, 1)

    def _fake(self, value: str, entity: str) -> str:
        text = value.strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise TransformError(f"{self.column.qualified}: a value is not a number") from None
        if not number.is_finite():
            return value
        noisy = number
        if self.params.relative:
            noisy += abs(number) * Decimal(str(self.params.relative)) * self._unit(text, entity, "relative")
        if self.params.absolute:
            noisy += Decimal(str(self.params.absolute)) * self._unit(text, entity, "absolute")
        low = Decimal(str(self.params.min)) if self.params.min is not None else None
        high = Decimal(str(self.params.max)) if self.params.max is not None else None
        if self.params.keep_sign:
            if number >= 0:
                low = max(low, Decimal(0)) if low is not None else Decimal(0)
            else:
                high = min(high, Decimal(0)) if high is not None else Decimal(0)
        if self._limit is not None:
            low = max(low, -self._limit) if low is not None else -self._limit
            high = min(high, self._limit) if high is not None else self._limit
        if low is not None:
            noisy = max(noisy, low)
        if high is not None:
            noisy = min(noisy, high)
        # Keep the input's form: integer stays integer, 2 decimals stay 2 decimals.
        exponent = number.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 and not self._integer else 0
        quantum = Decimal(1).scaleb(-places)
        noisy = noisy.quantize(quantum, rounding=ROUND_HALF_EVEN)
        if low is not None and noisy < low:
            noisy += quantum
        if high is not None and noisy > high:
            noisy -= quantum
        return f"{noisy:f}"

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        entity = (row.get(self.params.entity_column) or "") if self.params.entity_column else ""
        return self._cached(value, entity)
