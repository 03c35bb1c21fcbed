"""Planning a subset against the live source, inside the run's snapshot, before any data moves: the graph read
from the catalog, every declared table, condition and reference checked (EXPLAIN: an unknown column or a syntax
error is one line, and nothing is created), the closure built; for `--check` the planner's row estimates and the
foreign keys whose lookups would scan for want of an index (with EXPLAIN's cost); for a run the closure computed
once, set at a time (fixpoint.py): each table's kept keys (its source filter) and exact row count, which
verification holds the loaded database to. The keys are held as one array literal per key column and table: the
one part of a subset run that grows with the subset (a 1% subset of the 5M-row bench database: 55k keys)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg

from anonymize.catalog import CatalogTable
from anonymize.columns import ColumnInfo
from anonymize.postgres import describe, quote_ident, quote_qualified
from anonymize.rules import RulesFile, reflect_schema
from anonymize.sinks import Sink
from anonymize.sources import Source
from anonymize.subset.closure import (
    ClosureSpec,
    keyed_filter,
    pin_now,
    sample_condition,
    source_filter,
)
from anonymize.subset.fixpoint import kept_keys_by_table
from anonymize.subset.graph import Edge, Key, Regions, parents_first, regions, sampled_roots
from anonymize.subset.spec import SubsetError, SubsetSpec, UnreachedTablesError

_PRIMARY_KEYS_SQL = """
SELECT n.nspname || '.' || c.relname,
       ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, o)
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.o)
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE i.indisprimary AND NOT c.relispartition
"""

# Foreign keys between rule tables: declared on a plain or partitioned table (not the copies PostgreSQL makes on
# each partition, conparentid <> 0), schema-qualified.
_FOREIGN_KEYS_SQL = """
SELECT con.conname, cn.nspname || '.' || cc.relname, pn.nspname || '.' || pc.relname, con.convalidated,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, o)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.o),
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, o)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.o)
FROM pg_constraint con
JOIN pg_class cc ON cc.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace
JOIN pg_class pc ON pc.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
WHERE con.contype = 'f' AND con.conparentid = 0 AND NOT cc.relispartition
ORDER BY 2, 1
"""


@dataclass(frozen=True)
class TableLine:
    """One table of the plan, as `--check` prints it."""

    table: str
    mode: str  # root, children, parents, whole, empty
    condition: str | None
    estimated_rows: int | None  # the planner's estimate of the table's source query (None: not estimated)


@dataclass(frozen=True)
class MissingIndex:
    """A foreign key followed from parent to children whose lookup scans the child table: EXPLAIN's cost of one."""

    edge: str
    child: str
    columns: tuple[str, ...]
    cost: float


@dataclass
class SubsetPlan:
    closure: ClosureSpec
    lines: list[TableLine]
    missing_indexes: list[MissingIndex] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # rule table -> rows of the closure (counted in the run)
    filters: dict[str, str] = field(default_factory=dict)  # rule table -> its source filter on the kept keys (run)
    notes: list[str] = field(default_factory=list)  # for `--check`: what the plan's numbers leave out

    @property
    def regions(self) -> Regions:
        return self.closure.regions

    def source_filter(self, rule_table: str) -> str | None:
        """The WHERE of a rule table's (or its partitions') source query; None: every row."""
        if rule_table in self.regions.empty:
            return "false"
        if rule_table not in self.regions.closure:
            return None
        if self.counts:  # counted: the keys are known
            return self.filters.get(rule_table, "false")
        return source_filter(self.closure, rule_table)

    def kept_table(self, table: CatalogTable, rule_rows: int) -> CatalogTable:
        """`table` (a table or leaf partition whose rule table's leaves hold `rule_rows` by the catalog's estimate)
        as big as the share of its rows the closure keeps: what the split into ranges and the order of the units
        go by. A 1% subset of a 450 MB table is one unit, not five ranges each re-reading the kept keys and the
        table's key sample first (measured on bench/snapshot/subset.py). Unknown shares (no estimate) stay whole."""
        rule = table.rule_table
        if rule in self.regions.empty:
            share = 0.0
        elif rule not in self.regions.closure or not self.counts or rule_rows <= 0:
            return table
        else:
            share = min(1.0, self.counts.get(rule, 0) / rule_rows)
        return replace(
            table, size_bytes=int(table.size_bytes * share), estimated_rows=int(table.estimated_rows * share)
        )

    def summary(self) -> str:
        """One line for the run's report: what the closure holds."""
        roots = ", ".join(sorted(self.regions.roots)) or "none"
        return (
            f"subset: {sum(self.counts.values()):,} rows in {len(self.counts)} tables by closure from {roots}; "
            f"whole: {len(self.regions.whole)}, empty: {len(self.regions.empty)}"
        )

    def refuse_unreached(self) -> None:
        unreached = sorted(self.regions.unreached)
        if unreached:
            more = f" (and {len(unreached) - 1} more)" if len(unreached) > 1 else ""
            raise UnreachedTablesError(
                f"subset: no path from the subset's roots reaches {unreached[0]}{more}",
                "say what it gets in the rules' subset section (whole, empty, or a condition); `--check` lists them",
            )


def read_edges(conn: psycopg.Connection, schema: Mapping[str, list[ColumnInfo]], keys: Mapping[str, Key]) -> list[Edge]:
    edges = []
    for name, child, parent, validated, columns, referenced in conn.execute(_FOREIGN_KEYS_SQL).fetchall():
        if child not in schema or parent not in schema:
            continue
        types = {c.name: c.pg_type for c in schema[child]}
        key = keys.get(parent)
        direct = (
            validated
            and key is not None
            and tuple(referenced) == key.columns
            and tuple(types[c] for c in columns) == key.types
        )
        quoted = tuple(quote_ident(c) for c in columns)
        edges.append(Edge(name, child, parent, quoted, tuple(referenced), direct=bool(direct)))
    return edges


def read_keys(conn: psycopg.Connection, schema: Mapping[str, list[ColumnInfo]]) -> dict[str, Key]:
    keys = {}
    for table, columns in conn.execute(_PRIMARY_KEYS_SQL).fetchall():
        if table in schema:
            types = {c.name: c.pg_type for c in schema[table]}
            keys[table] = Key(tuple(columns), tuple(types[c] for c in columns))
    return keys


@contextmanager
def _savepoint(conn: psycopg.Connection) -> Iterator[None]:
    """Statements that may fail (a user's condition) without ending the run's snapshot transaction."""
    conn.execute("SAVEPOINT devkit_subset")
    try:
        yield
    finally:
        conn.execute("ROLLBACK TO SAVEPOINT devkit_subset")
        conn.execute("RELEASE SAVEPOINT devkit_subset")


def _first_line(error: psycopg.Error) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _explain(conn: psycopg.Connection, query: str) -> dict[str, Any]:
    row = conn.execute(f"EXPLAIN (FORMAT JSON) {query}").fetchone()
    data = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    return data[0]["Plan"]


def _check_sql(conn: psycopg.Connection, query: str, what: str, fix: str) -> None:
    with _savepoint(conn):
        try:
            _explain(conn, query)
        except psycopg.Error as error:
            raise SubsetError(f"{what}: {_first_line(error)}", fix) from None


def _require_known(spec: SubsetSpec, schema: Mapping[str, list[ColumnInfo]]) -> None:
    named = [("--subset/conditions", t) for t in spec.conditions]
    named += [("roots", t) for t in spec.roots] + [("whole", t) for t in spec.whole]
    named += [("empty", t) for t in spec.empty]
    named += [("references", r.table) for r in spec.references] + [
        ("references", r.references) for r in spec.references
    ]
    for where, table in named:
        if table not in schema:
            raise SubsetError(
                f"subset {where}: no table {table} in the source",
                "name a table of the source, schema-qualified (e.g. public.orders)",
            )


def check_conditions(conn: psycopg.Connection, spec: SubsetSpec, schema: Mapping[str, list[ColumnInfo]]) -> None:
    """Every table the subset names exists, every condition is SQL the source accepts over it (EXPLAIN): what
    the tables' columns alone decide (pre-data is enough: a dump's is checked before its rows are restored)."""
    _require_known(spec, schema)
    for table, condition in sorted(spec.conditions.items()):
        _check_sql(
            conn,
            f"SELECT 1 FROM {quote_qualified(table)} WHERE ({condition})",
            f"subset condition for {table} is refused by the source",
            "fix the condition: SQL over the table's own columns, as in a WHERE clause",
        )


def _virtual_edges(conn: psycopg.Connection, spec: SubsetSpec, keys: Mapping[str, Key]) -> list[Edge]:
    edges = []
    for number, ref in enumerate(spec.references, 1):
        key = keys.get(ref.references)
        columns = ref.columns or (key.columns if key else ())
        if key is None or columns != key.columns:
            raise SubsetError(
                f"subset reference {ref.table} -> {ref.references}: must point at {ref.references}'s primary key",
                "leave `columns` out (the primary key is used), or name the primary key's columns",
            )
        types = ", ".join(key.types)
        probe = f"SELECT ({ref.expression})::{types} FROM {quote_qualified(ref.table)}" if len(columns) == 1 else None
        _check_sql(
            conn,
            probe or f"SELECT ({ref.expression}) FROM {quote_qualified(ref.table)}",
            f"subset reference {ref.table} -> {ref.references}: {ref.expression!r}",
            "write a column of the table or an SQL expression over its row that gives the parent's key",
        )
        if len(columns) != 1:
            raise SubsetError(
                f"subset reference {ref.table} -> {ref.references}: a virtual reference to a composite key",
                "reference a table with a one-column primary key",
            )
        cast = f"({ref.expression})::{key.types[0]}"
        edges.append(Edge(f"virtual reference {number}", ref.table, ref.references, (cast,), columns, virtual=True))
    return edges


def plan_subset(
    conn: psycopg.Connection,
    spec: SubsetSpec,
    schema: Mapping[str, list[ColumnInfo]],
    skipped: Iterable[str] = (),
    estimate: bool = False,
    count: bool = True,
) -> SubsetPlan:
    """The subset's plan, checked against the source through `conn` (the run's snapshot connection). Raises
    SubsetError for anything declared wrong; unreached tables are listed in the plan (`refuse_unreached` fails
    the run on them)."""
    check_conditions(conn, spec, schema)
    conn.execute("SET LOCAL jit = off")  # see anonymize/sources.py: the closure's estimates would JIT-compile it
    spec = SubsetSpec(
        conditions=spec.conditions,
        percent=spec.percent,
        roots=spec.roots,
        whole=spec.whole,
        empty=spec.empty | frozenset(skipped),
        references=spec.references,
    )
    keys = read_keys(conn, schema)
    edges = read_edges(conn, schema, keys) + _virtual_edges(conn, spec, keys)
    moment = conn.execute("SELECT now()::text").fetchone()[0]
    conditions = {t: pin_now(c, moment) for t, c in spec.conditions.items()}
    described = dict(spec.conditions)
    if spec.percent is not None:
        for root in sampled_roots(spec, schema, edges):
            if root not in keys:
                continue  # reported below with the other keyless tables
            sample = sample_condition(root, keys[root], spec.percent)
            conditions[root] = f"({conditions[root]}) AND {sample}" if root in conditions else sample
            described[root] = " AND ".join(filter(None, [described.get(root), f"{spec.percent:g}% sample"]))
    found = regions(spec, schema, edges, conditions)
    keyless = sorted(t for t in found.closure if t not in keys)
    if keyless:
        raise SubsetError(
            f"subset: {keyless[0]} has no primary key, which the closure needs to keep each row once",
            "give it a primary key, or declare it whole or empty in the rules' subset section",
        )
    closure = ClosureSpec(found, tuple(edges), keys, conditions)
    plan = SubsetPlan(closure, [])
    order = parents_first(schema, edges)
    for table in order:
        mode = _mode(found, table)
        estimated = None
        if estimate and mode in ("root", "children", "parents", "whole"):
            query = f"SELECT 1 FROM {quote_qualified(table)} WHERE {plan.source_filter(table)}"
            estimated = int(_explain(conn, query)["Plan Rows"])
        plan.lines.append(TableLine(table, mode, described.get(table), estimated))
    if estimate:
        plan.missing_indexes = _missing_indexes(conn, closure)
    if count:
        count_closure(conn, plan)
    return plan


def count_closure(conn: psycopg.Connection, plan: SubsetPlan) -> None:
    """The closure computed in `conn`'s snapshot (fixpoint.py): each table's kept keys (its source filter) and
    row count. Refused first when a table is unreached."""
    plan.refuse_unreached()
    plan.counts = dict.fromkeys(plan.regions.closure, 0)
    for table, kept in kept_keys_by_table(conn, plan.closure).items():
        plan.counts[table] = kept.rows
        plan.filters[table] = keyed_filter(plan.closure.keys[table], kept.arrays)


def skipped_tables(rules: RulesFile, schema: Iterable[str]) -> list[str]:
    """Tables the rules copy without rows (skip_data): empty in any subset too."""
    return [t for t in schema if (rule := rules.table(t)) is not None and rule.skip_data]


def check_subset(source: Source, rules: RulesFile, spec: SubsetSpec, sink: Sink | None = None) -> SubsetPlan:
    """`--check --subset`: the plan with the planner's estimates and the missing indexes, nothing counted. A dump
    file's schema (pre-data and post-data, no rows) is restored into a scratch database beside `sink`'s for it:
    the plan, conditions and indexes are checked there; row estimates would need the rows, and are left out."""
    if source.live:
        restored = None
    else:
        from anonymize.subset.restore import RestoredSource

        if sink is None:
            raise SubsetError("a dump file's subset plan needs a target server to restore the dump's schema into")
        source = restored = RestoredSource(source, sink, lambda conn: reflect_schema(conn).keys(), jobs=1)
    with source:
        catalog = source.catalog()
        assert catalog is not None, "a live source, or the dump restored into one"
        schema = reflect_schema(catalog)
        plan = plan_subset(catalog, spec, schema, skipped_tables(rules, schema), estimate=restored is None, count=False)
        if restored is not None:
            plan.missing_indexes = _missing_indexes(catalog, plan.closure)
            plan.notes.append(
                f"a dump file ({_megabytes(restored.dump)}): the run first restores the rows of every table the "
                f"plan keeps, whole, into a scratch database on {describe(sink.server_dsn)} "  # type: ignore[union-attr]
                "(the disk space and time of a full restore of them, index builds included), computes the closure "
                "there, and drops it; row estimates need those rows and are not shown"
            )
        return plan


def _megabytes(dump: Source) -> str:
    path = Path(dump.description)
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    return f"{sum(p.stat().st_size for p in files) / 1e6:,.1f} MB"


def _mode(found: Regions, table: str) -> str:
    if table in found.roots:
        return "root"
    if table in found.down:
        return "children"
    if table in found.up:
        return "parents"
    if table in found.whole:
        return "whole"
    if table in found.empty:
        return "empty"
    return "unreached"


def _missing_indexes(conn: psycopg.Connection, closure: ClosureSpec) -> list[MissingIndex]:
    """Each edge followed from parent to child is one lookup of the child by the edge's columns per parent row:
    the planner's generic plan of that lookup shows whether an index serves it."""
    missing = []
    down = closure.regions.down
    for edge in closure.edges:
        if not (edge.parent in down and edge.child in down):
            continue
        child = quote_qualified(edge.child)
        types = _parent_types(conn, edge)
        match = " AND ".join(f"{s if edge.virtual else f'{child}.{s}'} = ${i}" for i, s in enumerate(edge.child_sql, 1))
        with _savepoint(conn):
            conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            conn.execute(f"PREPARE devkit_subset_probe({', '.join(types)}) AS SELECT 1 FROM {child} WHERE {match}")
            try:
                nulls = ", ".join("NULL" for _ in types)
                plan = _explain(conn, f"EXECUTE devkit_subset_probe({nulls})")
            finally:
                conn.execute("DEALLOCATE devkit_subset_probe")
        if _scans(plan):
            columns = tuple(s.strip('"') for s in edge.child_sql)
            missing.append(MissingIndex(edge.name, edge.child, columns, float(plan["Total Cost"])))
    return missing


def _parent_types(conn: psycopg.Connection, edge: Edge) -> list[str]:
    rows = conn.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = %s::regclass AND a.attname = ANY(%s)",
        (quote_qualified(edge.parent), list(edge.parent_columns)),
    ).fetchall()
    types = dict(rows)
    return [types[c] for c in edge.parent_columns]


def _scans(plan: Mapping[str, Any]) -> bool:
    if plan.get("Node Type") == "Seq Scan":
        return True
    return any(_scans(child) for child in plan.get("Plans", []))
