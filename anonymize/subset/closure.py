"""The closure as SQL, pure, in two forms. For a run, the queries of one hop each (`seed_query`, `down_query`,
`up_query`, `direct_parents_query`): fixpoint.py sends each edge all the keys the last hop added at once and
iterates to a fixpoint, in the run's exported snapshot, before any table is read; each table's source query (in
the same snapshot) then reads only its kept rows, matched on its key against the kept keys handed to it as array
literals (`keyed_filter`). For `--check`, one recursive query over (table, key) pairs, inlined in each table's
query to estimate it (`source_filter`), computing nothing. Nothing is written to the source (no temporary key
tables: the source may be a read-only replica). Both compute:

    subset_down  the roots' rows (their conditions, the sample), then, recursively, every child row of a row in
                 it whose table is in the down region and which meets its own table's condition, if any;
    subset_kept  subset_down and the whole tables' rows, then, recursively, every parent of a row in it.

Each (table, key) once: rows reached several ways are kept once, and cycles (self references, mutual
references) end when a step adds nothing new. Every step is an index lookup on a key or a foreign key (the
plan's `--check` names the foreign keys without an index). NULL references join nothing: kept as NULL.
In the recursive query, keys travel as jsonb arrays of the primary key's values, cast back to the key's types;
PostgreSQL allows one reference to a recursive CTE per step, so a step's branches, one per edge, sit in one
LATERAL subquery, each gated by the table its row comes from: PostgreSQL runs every branch once per row of the
step, which is why a run computes the closure hop by hop instead (bench/snapshot/subset.py --compare).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from anonymize.postgres import quote_ident, quote_qualified
from anonymize.subset.graph import Edge, Key, Regions

TABLE, KEY = "subset_table", "subset_key"
# The moment a condition's now()/current_* means: read once when the plan is made, so that every table's query
# (each in its own session, each with its own now()) agrees on the window.
_NOW = re.compile(r"\b(now\s*\(\s*\)|current_timestamp\b|localtimestamp\b|current_date\b)", re.IGNORECASE)


def pin_now(condition: str, moment: str) -> str:
    """`condition` with now(), current_timestamp, localtimestamp, current_date read as the plan's `moment`."""

    def literal(match: re.Match[str]) -> str:
        word = match.group(1).lower().replace(" ", "")
        kind = {"current_date": "date", "localtimestamp": "timestamp"}.get(word, "timestamptz")
        return f"('{moment}'::timestamptz)::{kind}"

    return _NOW.sub(literal, condition)


def sample_condition(table: str, key: Key, percent: float) -> str:
    """The same `percent` of a table's rows in every run and every session: a stable hash of the key."""
    share = round(percent * 100)  # in hundredths of a percent
    return f"(hashtext({key_json(table, key)}::text) & 2147483647) % 10000 < {share}"


def key_json(alias: str, key: Key) -> str:
    return "jsonb_build_array(" + ", ".join(f"{_ref(alias)}.{quote_ident(c)}" for c in key.columns) + ")"


def _ref(alias: str) -> str:
    return quote_qualified(alias) if "." in alias else alias


def _from_key(key: Key, source: str = "d", table: str | None = None) -> list[str]:
    """A key's values cast back to their types. Within a step, `table` guards the cast: the planner may evaluate
    it before the test of which table the row comes from, on another table's key (a date cast of a text)."""
    if table is None:
        return [f"({source}.{KEY}->>{i})::{t}" for i, t in enumerate(key.types)]
    gate = f"{source}.{TABLE} = {_literal(table)}"
    return [f"(CASE WHEN {gate} THEN {source}.{KEY}->>{i} END)::{t}" for i, t in enumerate(key.types)]


def _equal(left: Sequence[str], right: Sequence[str]) -> str:
    return " AND ".join(f"{a} = {b}" for a, b in zip(left, right, strict=True))


@dataclass(frozen=True)
class ClosureSpec:
    """All the closure needs: regions, edges, keys, and each table's condition (already pinned and sampled)."""

    regions: Regions
    edges: tuple[Edge, ...]
    keys: Mapping[str, Key]
    conditions: Mapping[str, str]


def closure_cte(spec: ClosureSpec) -> str:
    """`WITH RECURSIVE subset_down(...) AS (...), subset_kept(...) AS (...)`, ready for a SELECT."""
    regions = spec.regions
    seeds = [_seed(t, spec.keys[t], spec.conditions.get(t)) for t in sorted(regions.roots)]
    down_steps = [
        _down_step(e, spec.keys[e.parent], spec.keys[e.child], spec.conditions.get(e.child))
        for e in spec.edges
        if e.parent in regions.down and e.child in regions.down
    ]
    kept_from = regions.down | regions.whole | regions.up
    followed = [e for e in spec.edges if e.child in kept_from and e.parent in kept_from]
    up_steps = [_up_step(e, spec.keys[e.child], spec.keys[e.parent]) for e in followed if not e.direct]
    for child in sorted({e.child for e in followed if e.direct}):
        up_steps.append(
            _direct_parents(child, spec.keys[child], [e for e in followed if e.direct and e.child == child])
        )
    whole = [_seed(t, spec.keys[t], None) for t in sorted(regions.whole)]
    down = "\n  UNION ".join(seeds or ["SELECT NULL::text, NULL::jsonb WHERE false"])
    if down_steps:
        down += "\n  UNION SELECT x.* FROM subset_down d, LATERAL (\n    " + "\n    UNION ALL ".join(down_steps)
        down += f"\n  ) x({TABLE}, {KEY})"
    kept = "\n  UNION ".join([f"SELECT {TABLE}, {KEY} FROM subset_down", *whole])
    if up_steps:
        kept += "\n  UNION SELECT x.* FROM subset_kept d, LATERAL (\n    " + "\n    UNION ALL ".join(up_steps)
        kept += f"\n  ) x({TABLE}, {KEY})"
    return (
        f"WITH RECURSIVE subset_down({TABLE}, {KEY}) AS (\n  {down}\n),\nsubset_kept({TABLE}, {KEY}) AS (\n  {kept}\n)"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _seed(table: str, key: Key, condition: str | None) -> str:
    where = f" WHERE ({condition})" if condition else ""
    return f"SELECT {_literal(table)}::text, {key_json(table, key)} FROM {quote_qualified(table)}{where}"


def _down_step(edge: Edge, parent_key: Key, child_key: Key, condition: str | None) -> str:
    """Children of a row of `edge.parent` (found by its key: the edge's parent columns are the key, or are read
    from the parent row)."""
    child = quote_qualified(edge.child)
    own = f" AND ({condition})" if condition else ""
    child_side = [s if edge.virtual else f"{child}.{s}" for s in edge.child_sql]
    if edge.parent_columns == parent_key.columns:
        match = _equal(child_side, _from_key(parent_key, table=edge.parent))
        source = child
    else:  # a foreign key to a unique key other than the primary key: the parent row gives its values
        parent = f"{quote_qualified(edge.parent)} subset_parent"
        keyed = _from_key(parent_key, table=edge.parent)
        match = _equal([f"subset_parent.{quote_ident(c)}" for c in parent_key.columns], keyed)
        match += " AND " + _equal(child_side, [f"subset_parent.{quote_ident(c)}" for c in edge.parent_columns])
        source = f"{parent}, {child}"
    return (
        f"SELECT {_literal(edge.child)}::text, {key_json(edge.child, child_key)} FROM {source}"
        f" WHERE d.{TABLE} = {_literal(edge.parent)} AND {match}{own}"
    )


def _child_to_parent(edge: Edge) -> str:
    """`child c JOIN parent p ON` the edge. A virtual reference's expression is computed in a subquery over the
    child alone, where its unqualified columns can only mean the child's (the planner flattens it: the key lookup
    stays an index scan)."""
    child = quote_qualified(edge.child)
    if edge.virtual:
        refs = ", ".join(f"({s}) AS subset_ref{i}" for i, s in enumerate(edge.child_sql))
        child_from = f"(SELECT {child}.*, {refs} FROM {child}) c"
        child_side = [f"c.subset_ref{i}" for i in range(len(edge.child_sql))]
    else:
        child_from = f"{child} c"
        child_side = [f"c.{s}" for s in edge.child_sql]
    parent_side = [f"p.{quote_ident(c)}" for c in edge.parent_columns]
    return f"{child_from} JOIN {quote_qualified(edge.parent)} p ON {_equal(parent_side, child_side)}"


def _up_step(edge: Edge, child_key: Key, parent_key: Key) -> str:
    """The parent of a row of `edge.child` (the child row read by its key)."""
    own_key = _equal([f"c.{quote_ident(c)}" for c in child_key.columns], _from_key(child_key, table=edge.child))
    return (
        f"SELECT {_literal(edge.parent)}::text, {key_json('p', parent_key)} "
        f"FROM {_child_to_parent(edge)} WHERE d.{TABLE} = {_literal(edge.child)} AND {own_key}"
    )


def _direct_parents(child: str, child_key: Key, edges: Sequence[Edge]) -> str:
    """The parents a row of `child` names by their keys, every such edge at once: one lookup of the row, none of
    its parents (measured on 1M rows: the up half of a 10% closure 2.75 s with a lookup per edge and parent).
    A key with a NULL column names nothing (MATCH SIMPLE)."""
    own_key = _equal([f"c.{quote_ident(c)}" for c in child_key.columns], _from_key(child_key, table=child))
    named = []
    for edge in edges:
        columns = [f"c.{s}" for s in edge.child_sql]
        present = " AND ".join(f"{c} IS NOT NULL" for c in columns)
        named.append(f"({_literal(edge.parent)}, CASE WHEN {present} THEN jsonb_build_array({', '.join(columns)}) END)")
    return (
        f"SELECT n.* FROM {quote_qualified(child)} c CROSS JOIN LATERAL (VALUES {', '.join(named)}) n(t, k)"
        f" WHERE d.{TABLE} = {_literal(child)} AND {own_key} AND n.k IS NOT NULL"
    )


def kept_keys(table: str, key: Key) -> str:
    """The SELECT of a table's kept keys, typed, from subset_kept."""
    columns = ", ".join(_from_key(key, "k"))
    return f"SELECT {columns} FROM subset_kept k WHERE k.{TABLE} = {_literal(table)}"


def source_filter(spec: ClosureSpec, table: str) -> str:
    """The WHERE of one table's (or leaf partition's) source query: its key among the kept keys. The first key
    column is matched against an array of the kept values (an InitPlan: the table is read through its primary
    key's index, never scanned, however wrong the planner's guess of the recursive query's size; a plain
    `IN (subquery)` measured a hash semi-join over a sequential scan of the whole table). A composite key then
    also matches whole, which computes the closure a second time for those tables."""
    key = spec.keys[table]
    first = quote_ident(key.columns[0])
    keys = f"{closure_cte(spec)}\n{kept_keys(table, key)}"
    matched = f"{first} = ANY(ARRAY(SELECT DISTINCT subset_first FROM ({keys}) AS kept(subset_first)))"
    if len(key.columns) == 1:
        return matched
    columns = ", ".join(quote_ident(c) for c in key.columns)
    return f"{matched} AND ({columns}) IN ({keys})"


def keys_query(spec: ClosureSpec) -> str:
    """The closure computed once: per table, its row count and its kept keys, one array literal (text) per key
    column, as the server spells them, ready to be cast back by `keyed_filter`."""
    width = max((len(spec.keys[t].columns) for t in spec.regions.closure), default=1)
    arrays = ", ".join(f"array_agg({KEY}->>{i})::text" for i in range(width))
    return f"{closure_cte(spec)}\nSELECT {TABLE}, count(*), {arrays} FROM subset_kept GROUP BY 1"


def keyed_filter(key: Key, arrays: Sequence[str]) -> str:
    """A table's source filter from its kept keys: the first key column matched against an array of its kept
    values (read through the primary key's index), and a composite key matched whole too."""
    typed = [f"{_literal(a)}::{t}[]" for a, t in zip(arrays, key.types, strict=False)]
    matched = f"{quote_ident(key.columns[0])} = ANY({typed[0]})"
    if len(key.columns) == 1:
        return matched
    columns = ", ".join(quote_ident(c) for c in key.columns)
    return f"{matched} AND ({columns}) IN (SELECT * FROM unnest({', '.join(typed)}))"


# The set-at-a-time closure's queries (fixpoint.py): keys as text, the followed keys as parameters %(k0)s,
# %(k1)s... (one array literal per key column), any `%` of a condition or expression escaped for them.


def _param(i: int, prefix: str = "k") -> str:
    return f"\x00{prefix}{i}\x00"


def _parameterized(query: str) -> str:
    return re.sub("\x00([a-z0-9]+)\x00", r"%(\1)s", query.replace("%", "%%"))


def parameters(arrays: Sequence[str], prefix: str = "k") -> dict[str, str]:
    """The parameters of a query's followed keys: one array literal per key column, named as `_among` names them."""
    return {f"{prefix}{i}": literal for i, literal in enumerate(arrays)}


def _keys_text(ref: str, key: Key) -> str:
    return ", ".join(f"{ref}.{quote_ident(c)}::text" for c in key.columns)


def _among(columns: Sequence[str], key: Key, prefix: str = "k") -> str:
    """`columns` among the followed keys of `key`: its first column `= ANY` (an index lookup per key), and a
    composite key matched whole too."""
    typed = [f"{_param(i, prefix)}::text::{t}[]" for i, t in enumerate(key.types)]
    matched = f"{columns[0]} = ANY({typed[0]})"
    if len(columns) == 1:
        return matched
    return f"{matched} AND ({', '.join(columns)}) IN (SELECT * FROM unnest({', '.join(typed)}))"


def _also(ref: str, named: Sequence[str]) -> str:
    return "".join(f", {ref}.{s}::text" for s in named)


def seed_query(table: str, key: Key, condition: str | None, named: Sequence[str] = ()) -> str:
    """A root's rows (its condition, the sample) or a whole table's: their keys, then the `named` columns."""
    where = f" WHERE ({condition})" if condition else ""
    ref = quote_qualified(table)
    return _parameterized(f"SELECT {_keys_text(ref, key)}{_also(ref, named)} FROM {ref}{where}")


def down_query(edge: Edge, parent_key: Key, child_key: Key, condition: str | None, named: Sequence[str] = ()) -> str:
    """The children, meeting their own condition, of the followed rows of `edge.parent` (by their keys: the edge's
    parent columns are the key, or are read from the parent rows): their keys, then the `named` columns."""
    child = quote_qualified(edge.child)
    own = f" AND ({condition})" if condition else ""
    child_side = [s if edge.virtual else f"{child}.{s}" for s in edge.child_sql]
    if edge.parent_columns == parent_key.columns:
        match, source = _among(child_side, parent_key), child
    else:  # a foreign key to a unique key other than the primary key: the parent rows give its values
        source = f"{quote_qualified(edge.parent)} subset_parent, {child}"
        match = _among([f"subset_parent.{quote_ident(c)}" for c in parent_key.columns], parent_key)
        match += " AND " + _equal(child_side, [f"subset_parent.{quote_ident(c)}" for c in edge.parent_columns])
    keys = f"{_keys_text(child, child_key)}{_also(child, named)}"
    return _parameterized(f"SELECT {keys} FROM {source} WHERE {match}{own}")


def children_query(
    edges: Sequence[Edge], parent_keys: Sequence[Key], child_key: Key, condition: str | None, named: Sequence[str] = ()
) -> str:
    """The rows of one child table, meeting its condition, that any of `edges` (each into it from a parent by the
    parent's key) makes children of that parent's followed keys (edge j's as `e{j}k0`, `e{j}k1`...): their keys,
    then the `named` columns. One read of the table for all its parents (an OR of index lookups: a bitmap OR):
    a row that several parents reach (an order of a kept merchant and of a kept customer) is read once, not once
    an edge (measured, the 5M-row bench at 1%: the orders of the kept customers looked up again took a quarter
    of the closure)."""
    child = quote_qualified(edges[0].child)
    arms = []
    for j, (edge, parent_key) in enumerate(zip(edges, parent_keys, strict=True)):
        assert edge.child == edges[0].child and edge.parent_columns == parent_key.columns
        child_side = [s if edge.virtual else f"{child}.{s}" for s in edge.child_sql]
        arms.append(_among(child_side, parent_key, f"e{j}k"))
    match = arms[0] if len(arms) == 1 else " OR ".join(f"({arm})" for arm in arms)
    own = f" AND ({condition})" if condition else ""
    keys = f"{_keys_text(child, child_key)}{_also(child, named)}"
    return _parameterized(f"SELECT {keys} FROM {child} WHERE ({match}){own}")


def up_query(edge: Edge, child_key: Key, parent_key: Key) -> str:
    """The parents of the followed rows of `edge.child`."""
    own_key = _among([f"c.{quote_ident(c)}" for c in child_key.columns], child_key)
    return _parameterized(f"SELECT {_keys_text('p', parent_key)} FROM {_child_to_parent(edge)} WHERE {own_key}")


def direct_parents_query(child: str, child_key: Key, edges: Sequence[Edge]) -> str:
    """The followed rows of `child` read once for every edge naming its parent's key itself: their keys, then each
    edge's columns, in the order of `edges` (a NULL among them names nothing: left to the caller)."""
    named = [s for edge in edges for s in edge.child_sql]
    own_key = _among([f"c.{quote_ident(c)}" for c in child_key.columns], child_key)
    return _parameterized(
        f"SELECT {_keys_text('c', child_key)}{_also('c', named)} FROM {quote_qualified(child)} c WHERE {own_key}"
    )
