"""Planning a run, before any row moves: one `TablePlan` per data table (its rule, its columns, the transformers
of its non-keep columns, built once per rule table and shared by its partitions), the coverage check that fails
closed, and which output columns the leak check scans."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from anonymize.catalog import CatalogTable
from anonymize.columns import ColumnInfo
from anonymize.errors import AnonymizeError, CoverageError
from anonymize.keys import Keyring
from anonymize.rules import RulesFile, TableRule, check_coverage
from anonymize.sources import Source
from anonymize.transformers.base import Transformer
from anonymize.transformers.factory import build_transformer
from anonymize.verify import ScanTarget, scan_targets

KEEP = "keep"


@dataclass
class TablePlan:
    table: CatalogTable
    rule: TableRule
    columns: dict[str, ColumnInfo]  # name -> info (from the rule table: partitions share their root's)
    transformers: dict[str, Transformer] = field(default_factory=dict)  # columns with a non-keep rule
    scan: ScanTarget | None = None  # the text/JSON columns the leak check scans in the output (None: none)
    subset: str | None = None  # a subset's filter of the table's rows: its key among the closure's (anonymize/subset)

    @property
    def skip(self) -> bool:
        return self.rule.skip_data

    @property
    def where(self) -> str | None:
        """The source query's filter: the rule's `where:` and the subset's, both."""
        if self.rule.where and self.subset:
            return f"({self.rule.where}) AND {self.subset}"
        return self.subset or self.rule.where


def require_coverage(rules: RulesFile, schema: Mapping[str, list[ColumnInfo]]) -> None:
    problems = check_coverage(rules, schema)
    if problems:
        raise CoverageError(problems)


def plan_tables(
    rules: RulesFile, schema: Mapping[str, list[ColumnInfo]], tables: Sequence[CatalogTable], keyring: Keyring
) -> list[TablePlan]:
    """One plan per data table; transformers are built once per rule table and shared by its partitions."""
    from anonymize.pii.hook import shared_detector

    shared_detector().use_extra(rules.pii_recognizers)  # the rules' `pii:` recognizers, or none: this run's
    built: dict[str, dict[str, Transformer]] = {}
    plans = []
    for table in tables:
        rule = rules.table(table.rule_table)
        if rule is None:  # coverage ran first, so only a table created since then can get here
            raise CoverageError([f"{table.rule_table}: table has no rule"])
        columns = {c.name: c for c in schema.get(table.rule_table, [])}
        if table.rule_table not in built:
            built[table.rule_table] = {
                name: build_transformer(column_rule, columns[name], keyring)
                for name, column_rule in rule.columns.items()
                if column_rule.transform != KEEP and name in columns and not columns[name].generated
            }
        plans.append(TablePlan(table, rule, columns, built[table.rule_table]))
    return plans


def needs_known_values(plans: Sequence[TablePlan]) -> bool:
    """Does a transformer of the run read the run's known values (a free-text detector that recognises the names,
    emails and phones met in columns)? Then they are gathered before any table moves."""
    return any(t.capabilities.known_values for plan in plans for t in plan.transformers.values())


def refuse_dump_filters(plans: Sequence[TablePlan], source: Source) -> None:
    """A live source filters rows in its SELECT; a dump file's rows could only be filtered after they were
    anonymized and loaded, where the filter would see fakes: refuse rather than filter on the wrong values."""
    if source.catalog() is not None:
        return
    filtered = [p for p in plans if p.where and not p.skip]
    if filtered:
        raise AnonymizeError(
            f"{filtered[0].table.rule_table}: row filters (`where:`) need a live source; a dump file's rows can't "
            "be filtered before they are read",
            "snapshot from the live database, or drop `where:` for this run",
        )


def attach_scan_targets(
    plans: Sequence[TablePlan], tables: Sequence[CatalogTable], schema: Mapping[str, list[ColumnInfo]]
) -> None:
    """Each plan learns which of its columns the leak check scans (text and JSON: where a leak could sit)."""
    faked = faked_columns(plans)
    targets = {
        t.table.name: t for t in scan_targets(tables, schema, faked, kept_columns(plans), realistic_columns(plans))
    }
    for plan in plans:
        plan.scan = targets.get(plan.table.name)


def kept_columns(plans: Sequence[TablePlan]) -> dict[str, frozenset[str]]:
    """Rule table -> the columns no transform touches (ruled keep, or generated from kept ones)."""
    return {plan.table.rule_table: frozenset(plan.columns.keys() - plan.transformers.keys()) for plan in plans}


def faked_columns(plans: Sequence[TablePlan]) -> dict[str, frozenset[str]]:
    """Rule table -> columns whose whole value a transform replaces (not JSON paths or free text, which keep the
    pieces they don't recognise)."""
    faked: dict[str, frozenset[str]] = {}
    for plan in plans:
        faked[plan.table.rule_table] = frozenset(
            name for name, transformer in plan.transformers.items() if transformer.capabilities.replaces_whole
        )
    return faked


def realistic_columns(plans: Sequence[TablePlan]) -> dict[str, frozenset[str]]:
    """Rule table -> columns whose fakes look real (names, addresses, logins: Transformer.realistic_fakes)."""
    return {
        plan.table.rule_table: frozenset(name for name, t in plan.transformers.items() if t.realistic_fakes)
        for plan in plans
    }
