"""The closure computed set at a time: Python drives set-based SQL to a fixpoint, in the run's snapshot. Each hop
sends, per edge, all the keys the last hop added to a table at once (one array per key column, `= ANY` or a join
with `unnest`: a semi-join on the edge's indexed key or foreign key) and keeps what comes back that it didn't
hold. It computes the same sets as `closure_cte` (subset_down, then subset_kept; tests/subset compare both with
an independent oracle) without the recursive query's per-row steps: PostgreSQL evaluates a recursive CTE's step
once per iteration but every edge's branch once per row of the working table. Nothing is written to the source
(the source may be a read-only replica: no temporary tables); keys travel as their text, as the server spells
them, and are cast back to their types in each query."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter

import psycopg

from anonymize.subset.closure import (
    ClosureSpec,
    children_query,
    direct_parents_query,
    down_query,
    parameters,
    seed_query,
    up_query,
)
from anonymize.subset.graph import Edge, components_parents_first

KeySet = set[tuple[str, ...]]


@dataclass(frozen=True)
class KeptKeys:
    """One table's kept keys: their count and one array literal per key column (for `keyed_filter`)."""

    rows: int
    arrays: tuple[str, ...]


Step = Callable[..., dict[str, KeySet]]


def kept_keys_by_table(conn: psycopg.Connection, spec: ClosureSpec) -> dict[str, KeptKeys]:
    """subset_kept per table (tables with no kept row left out)."""
    regions = spec.regions
    kept_from = regions.down | regions.whole | regions.up
    followed = [e for e in spec.edges if e.child in kept_from and e.parent in kept_from]
    # The parents a row names by their keys are read with the row going down: going up, the rows kept going
    # down are not read again for them (measured: a third of a 10% closure).
    direct = {t: [e for e in followed if e.direct and e.child == t] for t in regions.down}
    named: dict[str, KeySet] = {}
    down = _down(conn, spec, direct, named)
    kept = {t: set(k) for t, k in down.items()}
    up = _parents(conn, spec, followed)
    found = named
    for table in sorted(down):
        for parent, keys in up(table, _arrays(down[table], len(spec.keys[table].columns)), direct=False).items():
            _add(found, parent, keys)
    for table in sorted(regions.whole):
        keys = _rows(conn, seed_query(table, spec.keys[table], None), {})
        _add(kept, table, keys)
        for parent, parents in up(table, _arrays(keys, len(spec.keys[table].columns))).items():
            _add(found, parent, parents)
    _fixpoint(spec, kept, _grow(kept, found), up)
    return {t: KeptKeys(len(k), _arrays(k, len(spec.keys[t].columns))) for t, k in kept.items() if k}


def _down(
    conn: psycopg.Connection, spec: ClosureSpec, direct: dict[str, list[Edge]], named: dict[str, KeySet]
) -> dict[str, KeySet]:
    """subset_down, a group of tables at a time, parents first (graph.components_parents_first): once every
    parent outside a group is complete, each of the group's tables is read once for all of them (its seed if a
    root, and one query over the edges from those parents), then a group that is a cycle grows hop by hop along
    its own edges. The same set as following every edge hop by hop from the roots, with each table's rows read
    once for its parents outside its cycle instead of once an edge."""
    regions = spec.regions
    edges = [e for e in spec.edges if e.parent in regions.down and e.child in regions.down]
    down: dict[str, KeySet] = {}
    for group in components_parents_first(regions.down, edges):
        found: dict[str, KeySet] = {}
        for table in sorted(group):
            also = _named_sql(direct[table])
            if table in regions.roots:
                rows = _rows(conn, seed_query(table, spec.keys[table], spec.conditions.get(table), also), {})
                _add(found, table, _split(rows, spec, table, direct[table], named))
            inward = [e for e in edges if e.child == table and e.parent not in group and down.get(e.parent)]
            by_key = [e for e in inward if e.parent_columns == spec.keys[e.parent].columns]
            if by_key:
                parents = [spec.keys[e.parent] for e in by_key]
                query = children_query(by_key, parents, spec.keys[table], spec.conditions.get(table), also)
                params: dict[str, str] = {}
                for j, edge in enumerate(by_key):
                    params.update(parameters(_arrays(down[edge.parent], len(spec.keys[edge.parent].columns)), f"e{j}k"))
                _add(found, table, _split(_rows(conn, query, params), spec, table, direct[table], named))
            for edge in (e for e in inward if e not in by_key):  # by another unique key: read with its parents
                step = _children(conn, spec, [edge], direct, named)
                arrays = _arrays(down[edge.parent], len(spec.keys[edge.parent].columns))
                for reached, keys in step(edge.parent, arrays).items():
                    _add(found, reached, keys)
        new = _grow(down, found)
        inside = [e for e in edges if e.parent in group and e.child in group]
        if inside:
            _fixpoint(spec, down, new, _children(conn, spec, inside, direct, named))
    return down


def _named_sql(edges: Sequence[Edge]) -> tuple[str, ...]:
    return tuple(s for edge in edges for s in edge.child_sql)


def _split(
    rows: KeySet, spec: ClosureSpec, table: str, edges: Sequence[Edge], named: dict[str, KeySet]
) -> Iterable[tuple[str, ...]]:
    """A table's keys from rows that carry, after the key, the columns `edges` name their parents by: those
    parents go to `named` (a NULL among an edge's columns names nothing: MATCH SIMPLE)."""
    width = len(spec.keys[table].columns)
    if not edges:
        return rows
    at = width
    for edge in edges:
        end = at + len(edge.child_sql)
        parents = set(map(itemgetter(slice(at, end)), rows))  # C-level: a 10% closure slices 200k rows
        if len(edge.child_sql) == 1:
            parents.discard((None,))
        else:
            parents = {k for k in parents if None not in k}
        _add(named, edge.parent, parents)
        at = end
    return set(map(itemgetter(slice(0, width)), rows))


def _children(
    conn: psycopg.Connection,
    spec: ClosureSpec,
    edges: list[Edge],
    direct: dict[str, list[Edge]],
    named: dict[str, KeySet],
) -> Step:
    def step(parent: str, arrays: Sequence[str]) -> dict[str, KeySet]:
        found: dict[str, KeySet] = {}
        for edge in (e for e in edges if e.parent == parent):
            child = edge.child
            condition = spec.conditions.get(child)
            query = down_query(edge, spec.keys[parent], spec.keys[child], condition, _named_sql(direct[child]))
            _add(found, child, _split(_rows(conn, query, parameters(arrays)), spec, child, direct[child], named))
        return found

    return step


def _parents(conn: psycopg.Connection, spec: ClosureSpec, edges: list[Edge]) -> Step:
    def step(child: str, arrays: Sequence[str], direct: bool = True) -> dict[str, KeySet]:
        """The parents of `child`'s rows by `arrays`; `direct=False`: only those a lookup of the parent finds."""
        found: dict[str, KeySet] = {}
        mine = [e for e in edges if e.child == child]
        for edge in (e for e in mine if not e.direct):
            _add(
                found,
                edge.parent,
                _rows(conn, up_query(edge, spec.keys[child], spec.keys[edge.parent]), parameters(arrays)),
            )
        named = [e for e in mine if e.direct] if direct else []
        if named:  # every such edge from one read of the rows
            rows = _rows(conn, direct_parents_query(child, spec.keys[child], named), parameters(arrays))
            _split(rows, spec, child, named, found)
        return found

    return step


def _fixpoint(spec: ClosureSpec, held: dict[str, KeySet], frontier: dict[str, KeySet], step: Step) -> None:
    """Grow `held` by `step` from the keys in `frontier`, then from the keys each hop added, until a hop adds
    none: each key is followed once."""
    while frontier:
        found: dict[str, KeySet] = {}
        for table in sorted(frontier):
            for reached, keys in step(table, _arrays(frontier[table], len(spec.keys[table].columns))).items():
                _add(found, reached, keys)
        frontier = _grow(held, found)


def _grow(held: dict[str, KeySet], found: dict[str, KeySet]) -> dict[str, KeySet]:
    """Add `found` to `held`; what was new."""
    new_keys = {}
    for table, keys in found.items():
        new = keys - held.get(table, set())
        if new:
            held.setdefault(table, set()).update(new)
            new_keys[table] = new
    return new_keys


def _rows(conn: psycopg.Connection, query: str, params: Mapping[str, str]) -> KeySet:
    """A query's rows; `params` are the followed keys, one array literal per key column (`parameters`)."""
    return set(conn.execute(query, params).fetchall())


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
