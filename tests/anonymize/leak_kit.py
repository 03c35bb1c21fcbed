"""Helper for the leak check's tests: tables of rows through the row loop into one leak index, then their output
looked up and settled, as a run does (no database)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from anonymize.catalog import CatalogTable
from anonymize.columns import ColumnInfo
from anonymize.copy_text import encode_line
from anonymize.keys import Keyring
from anonymize.pipeline.plan import TablePlan, faked_columns, kept_columns, realistic_columns
from anonymize.pipeline.rows import RowTransformer
from anonymize.report import VerifyReport
from anonymize.rules import ColumnRule, TableRule
from anonymize.transformers.factory import build_transformer
from anonymize.verify import LeakFinds, LeakIndex, scan_targets, tally

# (qualified table, column -> rule ("keep" or a rule mapping), column -> PostgreSQL type (text if absent), rows)
Table = tuple[str, Mapping[str, Any], Mapping[str, str], Sequence[Sequence[str | None]]]


def verify_tables(tables: Sequence[Table], native: bool, key: Keyring) -> VerifyReport:
    """Each table's rows through the row loop into one leak index, then its output looked up, as a run does."""
    index = LeakIndex(key)
    scanned = []
    for name, rules, types, rows in tables:
        names = tuple(rules)
        columns = {n: ColumnInfo(name, n, types.get(n, "text")) for n in names}
        transformers = {
            n: build_transformer(ColumnRule.model_validate(rule), columns[n], key)
            for n, rule in rules.items()
            if rule != "keep"
        }
        catalog = CatalogTable(name, name, names, 0, 0)
        plan = TablePlan(catalog, TableRule(), columns, transformers)
        [plan.scan] = scan_targets(
            [catalog],
            {name: list(columns.values())},
            faked_columns([plan]),
            kept_columns([plan]),
            realistic_columns([plan]),
        )
        codec = RowTransformer(plan, names, index.hasher, native=native)
        result = codec.process(b"".join(encode_line(list(row)) for row in rows))
        index.add(result.identifying, result.other, result.origins, result.shipment, result.ids, result.id_origins)
        unchanged = {columns[n].qualified: counts[3] for n, counts in zip(transformers, result.counts, strict=True)}
        index.add_unchanged({column: n for column, n in unchanged.items() if n})
        scanned.append((codec.scan, result.scanned))
    report = VerifyReport(unchanged_in_row=dict(index.unchanged))
    report.table_rows = {name: len(rows) for name, _, _, rows in tables}
    finds = LeakFinds()
    for target, (hashes, positions, values) in scanned:
        tally(target, index, hashes, positions, values, report, finds)
    finds.settle(index, report)
    index.close()
    return report
