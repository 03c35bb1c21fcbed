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
from typing import Any

from pydantic import Field

from anonymize.errors import TransformError
from anonymize.keys import Keyring
from anonymize.speedups import NATIVE
from anonymize.transformers.base import ColumnInfo, StrictParams, TransformCall, Transformer, register
from anonymize.transformers.keyed import memoized, text_key

_ISO_DATE = re.compile(r"^(\s*)(\d{4})-(\d{2})-(\d{2})(?![\d])")
_PLAIN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?!\d)")  # _ISO_DATE's common case: YYYY-MM-DD at the start


class DateShiftParams(StrictParams):
    entity_column: str | None = None
    range_days: int = Field(default=30, ge=1, le=36_500)  # offset in [-range, -1] U [1, range]


@register
class DateShift(Transformer[DateShiftParams]):
    name = "date_shift"
    row_params = ("entity_column",)
    accepts = frozenset({"date", "timestamp", "text"})
    personal = False  # dates alone are not searched for in the output: they'd match everywhere
    default_domain = "date_shift"

    def __init__(
        self, params: DateShiftParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None
    ) -> None:
        super().__init__(params, column, keyring, domain)
        self._entity_column = params.entity_column
        self._digest = keyring.digester(self.domain)
        self.offset_for = memoized(self._offset, self.cache_size)

    def native_transform(self) -> TransformCall | None:
        if NATIVE is None:
            return None
        return NATIVE.DateShiftFake(
            self._digest, self.params.range_days, self._entity_column, self.offset_for, self.transform
        )

    def _offset(self, entity: str) -> int:
        span = self.params.range_days
        draw = int.from_bytes(self._digest(text_key(entity))[:8], "big") % (2 * span)
        return draw - span if draw < span else draw - span + 1  # never 0: every date moves

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        plain = _PLAIN_DATE.match(value)  # the common case, which _ISO_DATE matches too
        match = plain or _ISO_DATE.match(value)
        if match is None:
            if value.strip().lower() in ("infinity", "-infinity"):
                return value
            raise TransformError(
                f"{self.column.qualified}: a value is not an ISO date", "set DateStyle=ISO or rule the column otherwise"
            )
        if value.rstrip().endswith(" BC"):
            return value  # before the common era: not a date of anybody's life
        entity = row.get(self._entity_column) if self._entity_column else None
        offset = self.offset_for(entity if entity is not None else "")
        if plain is not None:
            # YYYY-MM-DD at the start in ASCII digits (a date column, a timestamp's date): day numbers and ISO texts
            # of dates are shared by every value and every column, and cheaper looked up than parsed and printed.
            head = value[:10]
            ordinal = _ORDINALS.get(head)
            try:
                if ordinal is None:
                    ordinal = _remember(_ORDINALS, head, date.fromisoformat(head).toordinal())
                shifted = _ISO_TEXTS.get(ordinal + offset)
                if shifted is None:
                    shifted = _remember(_ISO_TEXTS, ordinal + offset, date.fromordinal(ordinal + offset).isoformat())
            except ValueError:
                return value  # 0001-01-01 / 9999-12-31 sentinels and impossible dates: leave them
            return shifted + value[10:]
        lead, year, month, day = match.groups()  # _ISO_DATE's: plain didn't match
        try:
            shifted_date = date(int(year), int(month), int(day)) + timedelta(days=offset)
        except (ValueError, OverflowError):
            return value  # 0001-01-01 / 9999-12-31 sentinels: leave them
        return f"{lead}{shifted_date.isoformat()}{value[match.end() :]}"


_DAYS_REMEMBERED = 1 << 16  # ~180 years of days, ~6 MB per table
_ORDINALS: dict[str, int] = {}  # "YYYY-MM-DD" -> date.toordinal()
_ISO_TEXTS: dict[int, str] = {}  # ordinal -> "YYYY-MM-DD"


def _remember(table: dict, key: Any, value: Any) -> Any:
    if len(table) >= _DAYS_REMEMBERED:
        table.clear()
    table[key] = value
    return value
