"""date_shift: move dates and timestamps by a keyed number of days, one offset per entity.

The entity is the value of another column of the row (`entity_column`, e.g. customer_id), so all events of one
customer move together and their order and spacing survive, while different customers move differently. Without
an entity column the whole domain shares one offset. Time of day and time zone are kept; infinity stays.
Expects ISO output (DateStyle ISO, the PostgreSQL default) from the source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache

from pydantic import BaseModel, Field

from anonymize import normalize
from anonymize.errors import TransformError
from anonymize.keys import Keyring
from anonymize.transformers.base import ColumnInfo, StrictParams, Transformer, register

_ISO_DATE = re.compile(r"^(\s*)(\d{4})-(\d{2})-(\d{2})(?![\d])")


class DateShiftParams(StrictParams):
    entity_column: str | None = None
    range_days: int = Field(default=30, ge=1, le=36_500)  # offset in [-range, -1] U [1, range]


@register
class DateShift(Transformer):
    name = "date_shift"
    accepts = frozenset({"date", "timestamp", "text"})
    Params = DateShiftParams
    personal = False  # dates alone are not searched for in the output: they'd match everywhere
    default_domain = "date_shift"

    def __init__(self, params: BaseModel, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        assert isinstance(params, DateShiftParams)
        self.p = params
        self.offset_for = lru_cache(maxsize=self.cache_size)(self._offset)

    @property
    def row_columns(self) -> frozenset[str]:
        return frozenset({self.p.entity_column}) if self.p.entity_column else frozenset()

    def _offset(self, entity: str) -> int:
        span = self.p.range_days
        draw = int.from_bytes(self.keyring.digest(self.domain, normalize.text(entity))[:8], "big") % (2 * span)
        return draw - span if draw < span else draw - span + 1  # never 0: every date moves

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        match = _ISO_DATE.match(value)
        if match is None:
            if value.strip().lower() in ("infinity", "-infinity"):
                return value
            raise TransformError(
                f"{self.column.qualified}: a value is not an ISO date", "set DateStyle=ISO or rule the column otherwise"
            )
        if value.rstrip().endswith(" BC"):
            return value  # before the common era: not a date of anybody's life
        entity = row.get(self.p.entity_column) if self.p.entity_column else None
        offset = self.offset_for(entity if entity is not None else "")
        lead, year, month, day = match.groups()
        try:
            shifted = date(int(year), int(month), int(day)) + timedelta(days=offset)
        except (ValueError, OverflowError):
            return value  # 0001-01-01 / 9999-12-31 sentinels: leave them
        return f"{lead}{shifted.isoformat()}{value[match.end() :]}"
