"""date_shift keeps each entity's event order; numeric_noise keeps integer-ness, decimals and bounds."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from anonymize.errors import RulesError, TransformError
from tests.anonymize.transform_kit import build, run


def test_one_offset_per_entity_keeps_order_and_spacing() -> None:
    shift = build("date_shift", {"entity_column": "customer_id", "range_days": 20}, "date")
    offsets = set()
    for customer in range(200):
        row = {"customer_id": str(customer)}
        days = ["2024-01-01", "2024-01-15", "2024-03-01"]
        fakes = [date.fromisoformat(run(shift, d, row)) for d in days]
        sources = [date.fromisoformat(d) for d in days]
        delta = {(f - s).days for f, s in zip(fakes, sources, strict=True)}
        assert len(delta) == 1  # same offset for all of one customer's events
        offset = delta.pop()
        assert 1 <= abs(offset) <= 20
        offsets.add(offset)
    assert len(offsets) > 10  # customers move differently


def test_timestamps_keep_time_and_zone() -> None:
    shift = build("date_shift", {"entity_column": "c"}, "timestamp with time zone")
    fake = run(shift, "2024-01-31 23:59:59.123456+09", {"c": "1"})
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} 23:59:59\.123456\+09", fake)
    assert run(shift, "infinity", {"c": "1"}) == "infinity"
    with pytest.raises(TransformError, match="ISO"):
        run(shift, "01/31/2024", {"c": "1"})


def test_missing_entity_uses_one_shared_offset() -> None:
    shift = build("date_shift", {"entity_column": "c"}, "date")
    assert run(shift, "2024-05-05", {"c": None}) == run(shift, "2024-05-05", {"c": None})


def test_numeric_noise_keeps_form_and_bounds() -> None:
    money = build("numeric_noise", {"relative": 0.2}, "numeric(7,2)")
    for i in range(1, 2000):
        source = f"{i * 37.5:.2f}"
        fake = run(money, source)
        assert re.fullmatch(r"\d+\.\d{2}", fake)
        assert abs(Decimal(fake) - Decimal(source)) <= Decimal(source) * Decimal("0.2") + Decimal("0.01")
        assert Decimal(fake) <= Decimal("99999.99")
    count = build("numeric_noise", {"absolute": 10}, "smallint")
    fakes = [run(count, str(v)) for v in (0, 1, 5, 32767)]
    assert all(re.fullmatch(r"\d+", f) for f in fakes)  # integers, and non-negative stays non-negative
    assert int(fakes[-1]) <= 32767
    assert run(count, "5") == run(count, "5")
    bounded = build("numeric_noise", {"relative": 1.0, "min": 100, "max": 200}, "integer")
    assert all(100 <= int(run(bounded, str(v))) <= 200 for v in range(100, 201))


def test_numeric_noise_needs_some_noise() -> None:
    with pytest.raises(RulesError, match="relative"):
        build("numeric_noise", {}, "integer")
