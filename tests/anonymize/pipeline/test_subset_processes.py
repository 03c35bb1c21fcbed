"""How many worker processes a subset's run transforms in: none for a small subset (their start costs more than
they gain on it, bench/snapshot/subset.py at 1%), as asked above SMALL_SUBSET_BYTES of kept table sizes; a table
copied without rows counts for nothing."""

from __future__ import annotations

from anonymize.catalog import CatalogTable
from anonymize.pipeline.plan import TablePlan
from anonymize.pipeline.run import SMALL_SUBSET_BYTES, _subset_processes
from anonymize.rules import TableRule


def _plan(name: str, size: int, skip: bool = False) -> TablePlan:
    table = CatalogTable(f"public.{name}", f"public.{name}", ("id",), estimated_rows=size // 100, size_bytes=size)
    return TablePlan(table, TableRule(skip_data=skip), {})


def test_a_small_subset_transforms_without_worker_processes() -> None:
    small = [_plan("orders", SMALL_SUBSET_BYTES // 2), _plan("items", SMALL_SUBSET_BYTES // 4)]
    assert _subset_processes(small, 2) == 1


def test_a_bigger_subset_keeps_the_processes_asked_for() -> None:
    assert _subset_processes([_plan("orders", SMALL_SUBSET_BYTES // 2), _plan("items", SMALL_SUBSET_BYTES)], 2) == 2
    assert _subset_processes([_plan("orders", SMALL_SUBSET_BYTES * 10)], 4) == 4


def test_a_table_copied_without_rows_does_not_count() -> None:
    plans = [_plan("orders", SMALL_SUBSET_BYTES // 2), _plan("audit", SMALL_SUBSET_BYTES * 10, skip=True)]
    assert _subset_processes(plans, 2) == 1
