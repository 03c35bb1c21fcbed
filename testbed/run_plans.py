"""A snapshot run's table plans without the run: for the row-loop identity tests and bench's per-table profiler."""

from __future__ import annotations

from anonymize.catalog import data_tables
from anonymize.keys import Keyring
from anonymize.pipeline.plan import TablePlan, attach_scan_targets, needs_known_values, plan_tables
from anonymize.rules import parse_rules, reflect_schema
from anonymize.sources import LiveSource


def planned_as_run(source: LiveSource, rules_text: str, keyring: Keyring) -> list[TablePlan]:
    """Every table's plan as `run_snapshot` makes it from `source` (open): the run's known values gathered first,
    the leak check's scan targets attached."""
    rules = parse_rules(rules_text)
    catalog = source.catalog()
    schema = reflect_schema(catalog)
    tables = data_tables(catalog)
    plans = plan_tables(rules, schema, tables, keyring)
    if needs_known_values(plans):
        from anonymize.pii import prepass

        prepass.fill_known(plans, source)
    attach_scan_targets(plans, tables, schema)
    return plans
