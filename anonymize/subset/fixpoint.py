"""The closure computed set at a time: Python drives set-based SQL to a fixpoint, in the run's snapshot. Each hop
sends, per edge, all the keys the last hop added to a table at once (one array per key column, `= ANY` or a join
with `unnest`: a semi-join on the edge's indexed key or foreign key) and keeps what comes back that it didn't
hold. It computes the same sets as `closure_cte` (subset_down, then subset_kept; tests/subset compare both with
an independent oracle) without the recursive query's per-row steps: PostgreSQL evaluates a recursive CTE's step
once per iteration but every edge's branch once per row of the working table. Nothing is written to the source
(the source may be a read-only replica: no temporary tables); keys travel as their text, as the server spells
them, and are cast back to their types in each query."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import psycopg

from anonymize.subset.closure import (
    ClosureSpec,
    direct_parents_query,
    down_query,
    seed_query,
    up_query,
)
from anonymize.subset.graph import Edge

KeySet = set[tuple[str, ...]]


@dataclass(frozen=True)
class KeptKeys:
    """One table's kept keys: their count and one array literal per key column (for `keyed_filter`)."""

    rows: int
    arrays: tuple[str, ...]


Step = Callable[[str, Sequence[str]], dict[str, KeySet]]


def kept_keys_by_table(conn: psycopg.Connection, spec: ClosureSpec) -> dict[str, KeptKeys]:
    """subset_kept per table (tables with no kept row left out)."""
    regions = spec.regions
    down: dict[str, KeySet] = {}
    for table in sorted(regions.roots):
        _add(down, table, _rows(conn, seed_query(table, spec.keys[table], spec.conditions.get(table)), ()))
    down_edges = [e for e in spec.edges if e.parent in regions.down and e.child in regions.down]
    _fixpoint(spec, down, _children(conn, spec, down_edges))
    kept = {t: set(k) for t, k in down.items()}
    for table in sorted(regions.whole):
        _add(kept, table, _rows(conn, seed_query(table, spec.keys[table], None), ()))
    kept_from = regions.down | regions.whole | regions.up
    followed = [e for e in spec.edges if e.child in kept_from and e.parent in kept_from]
    _fixpoint(spec, kept, _parents(conn, spec, followed))
    return {t: KeptKeys(len(k), _arrays(k, len(spec.keys[t].columns))) for t, k in kept.items() if k}


def _children(conn: psycopg.Connection, spec: ClosureSpec, edges: list[Edge]) -> Step:
    def step(parent: str, arrays: Sequence[str]) -> dict[str, KeySet]:
        found: dict[str, KeySet] = {}
        for edge in (e for e in edges if e.parent == parent):
            condition = spec.conditions.get(edge.child)
            query = down_query(edge, spec.keys[parent], spec.keys[edge.child], condition)
            _add(found, edge.child, _rows(conn, query, arrays))
        return found

    return step


def _parents(conn: psycopg.Connection, spec: ClosureSpec, edges: list[Edge]) -> Step:
    def step(child: str, arrays: Sequence[str]) -> dict[str, KeySet]:
        found: dict[str, KeySet] = {}
        mine = [e for e in edges if e.child == child]
        for edge in (e for e in mine if not e.direct):
            _add(found, edge.parent, _rows(conn, up_query(edge, spec.keys[child], spec.keys[edge.parent]), arrays))
        direct = [e for e in mine if e.direct]
        if direct:  # every such edge from one read of the rows
            rows = _rows(conn, direct_parents_query(child, spec.keys[child], direct), arrays)
            at = 0
            for edge in direct:
                width = len(edge.child_sql)
                named = {r[at : at + width] for r in rows}
                _add(found, edge.parent, (k for k in named if None not in k))  # MATCH SIMPLE: a NULL names nothing
                at += width
        return found

    return step


def _fixpoint(spec: ClosureSpec, held: dict[str, KeySet], step: Step) -> None:
    """Grow `held` by `step` from every key it holds, then from the keys each hop added, until a hop adds none:
    each key is followed once."""
    frontier = {t: set(k) for t, k in held.items() if k}
    while frontier:
        found: dict[str, KeySet] = {}
        for table in sorted(frontier):
            for reached, keys in step(table, _arrays(frontier[table], len(spec.keys[table].columns))).items():
                _add(found, reached, keys)
        frontier = {}
        for table, keys in found.items():
            new = keys - held.get(table, set())
            if new:
                held.setdefault(table, set()).update(new)
                frontier[table] = new


def _rows(conn: psycopg.Connection, query: str, arrays: Sequence[str]) -> KeySet:
    """A query's rows; `arrays` are the followed keys, one array literal per key column (`%(k0)s`, `%(k1)s`...)."""
    return set(conn.execute(query, {f"k{i}": literal for i, literal in enumerate(arrays)}).fetchall())


def _add(into: dict[str, KeySet], table: str, keys: Iterable[tuple[str, ...]]) -> None:
    into.setdefault(table, set()).update(keys)


def _arrays(keys: KeySet, width: int) -> tuple[str, ...]:
    """One array literal per key column, in the same order, each element quoted (the element type's input reads
    it back). Built by one join: per-row Python measured most of a 10% closure's time (2M-row bench)."""
    if not keys:
        return ("{}",) * width
    ordered = list(keys)
    return tuple(_array([k[i] for k in ordered]) for i in range(width))


def _array(values: Sequence[str]) -> str:
    joined = '","'.join(values)
    if joined.count('"') > 3 * (len(values) - 1) or "\\" in joined:  # rare in keys: escape element by element
        joined = '","'.join(v.replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return '{"' + joined + '"}'
