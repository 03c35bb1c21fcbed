"""The subset's graph, pure: rule tables (partitioned tables once, as their root) joined by edges child -> parent
(foreign keys, and the rules' virtual references), and what a subset's conditions make of it: which tables are
roots, which are reached going down from them (children), which only going up (parents of kept rows), which by
nothing, and an order parents-first."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from anonymize.subset.spec import SubsetSpec


@dataclass(frozen=True)
class Key:
    """A table's key: its primary key's columns and their SQL types."""

    columns: tuple[str, ...]
    types: tuple[str, ...]


@dataclass(frozen=True)
class Edge:
    """child -> parent: `child_sql` (quoted column names, or one virtual reference's expression) equal
    `parent_columns` of `parent`. A NULL on the child's side references nothing (MATCH SIMPLE)."""

    name: str
    child: str
    parent: str
    child_sql: tuple[str, ...]
    parent_columns: tuple[str, ...]
    virtual: bool = False
    # The child's columns are the parent's key, same types, and PostgreSQL validated the key: a kept child row
    # names its parent's key itself, no lookup of the parent needed (closure.py).
    direct: bool = False


@dataclass(frozen=True)
class Regions:
    """Where each table stands in a subset. `roots` start it; `down` holds the tables reached from the roots by
    following children (roots included); `up` the tables only reached as parents of kept rows; `whole` and `empty`
    are as the rules say; `unreached` is what nothing reaches and nothing declares (fail closed)."""

    roots: frozenset[str]
    down: frozenset[str]
    up: frozenset[str]
    whole: frozenset[str]
    empty: frozenset[str]
    unreached: frozenset[str]

    @property
    def closure(self) -> frozenset[str]:
        """Tables whose rows the closure query picks (whole tables too: their rows' parents are kept)."""
        return self.down | self.up | self.whole


def children_of(edges: Iterable[Edge]) -> dict[str, list[Edge]]:
    found: dict[str, list[Edge]] = {}
    for edge in edges:
        found.setdefault(edge.parent, []).append(edge)
    return found


def parents_of(edges: Iterable[Edge]) -> dict[str, list[Edge]]:
    found: dict[str, list[Edge]] = {}
    for edge in edges:
        found.setdefault(edge.child, []).append(edge)
    return found


def _reach(start: Iterable[str], step: Mapping[str, list[Edge]], forward: bool, blocked: frozenset[str]) -> set[str]:
    seen = set(start)
    todo = list(seen)
    while todo:
        table = todo.pop()
        for edge in step.get(table, []):
            following = edge.child if forward else edge.parent
            if following not in seen and following not in blocked:
                seen.add(following)
                todo.append(following)
    return seen


def sampled_roots(spec: SubsetSpec, tables: Iterable[str], edges: Iterable[Edge]) -> tuple[str, ...]:
    """The tables `--subset-percent` samples: the rules' `roots`, else every table no edge leaves (a self-reference
    aside) that has children and that the rules don't copy whole or empty."""
    if spec.roots:
        return spec.roots
    edges = list(edges)
    has_parent = {e.child for e in edges if e.child != e.parent}
    has_child = {e.parent for e in edges if e.child != e.parent}
    declared = spec.whole | spec.empty
    return tuple(sorted(t for t in tables if t in has_child and t not in has_parent and t not in declared))


def regions(spec: SubsetSpec, tables: Iterable[str], edges: Iterable[Edge], conditioned: Iterable[str]) -> Regions:
    """Roots are the conditioned tables no other conditioned table reaches going down (one that is reached, like
    orders under merchants, filters what comes down to it instead: a few merchants' orders of the last week).
    Whole and empty tables are never gone through going down; parents are never empty tables' rows."""
    tables = frozenset(tables)
    edges = list(edges)
    down_step = children_of(edges)
    up_step = parents_of(edges)
    blocked = spec.whole | spec.empty
    conditioned = frozenset(conditioned) - blocked
    below = {t: _reach([t], down_step, True, blocked) - {t} for t in conditioned}
    roots = frozenset(
        t for t in conditioned if not any(t in below[other] and other not in below[t] for other in conditioned)
    )
    down = frozenset(_reach(roots, down_step, True, blocked))
    up = frozenset(_reach(down | spec.whole, up_step, False, spec.empty)) - down - spec.whole
    whole, empty = spec.whole & tables, spec.empty & tables
    unreached = tables - down - up - whole - empty
    return Regions(roots, down, up, whole, empty, unreached)


def parents_first(tables: Iterable[str], edges: Iterable[Edge]) -> list[str]:
    """Tables with every parent before its children. A cycle is entered at the first of its tables by name (one
    whose pending parents all lead back to it); the tables below a cycle still wait for all of it."""
    tables = sorted(set(tables))
    parents = {t: {e.parent for e in edges if e.child == t and e.parent != t and e.parent in tables} for t in tables}
    return _layered(
        {t: set(p) for t, p in parents.items()},
        lambda waiting: next(t for t in waiting if all(t in _ancestors(p, parents) for p in waiting[t])),
    )


N = TypeVar("N", bound=Hashable)


def _layered(waiting: dict[N, set[N]], when_stuck: Callable[[dict[N, set[N]]], N]) -> list[N]:
    """Kahn's order, a layer at a time: every node no longer waiting on another goes next, in `waiting`'s order;
    when all wait (a cycle), `when_stuck` names the one to take. `waiting` (node -> what it waits on) is consumed."""
    order: list[N] = []
    while waiting:
        ready = [node for node, pending in waiting.items() if not pending] or [when_stuck(waiting)]
        for node in ready:
            order.append(node)
            del waiting[node]
        for pending in waiting.values():
            pending.difference_update(ready)
    return order


def _ancestors(table: str, parents: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [table]
    while todo:
        for parent in parents.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def components_parents_first(tables: Iterable[str], edges: Iterable[Edge]) -> list[frozenset[str]]:
    """`tables` grouped by cycle (strongly connected components of the edges between them: tables on a common
    cycle, or a table alone), every group after all the groups with an edge into it. A group's rows can be
    looked up once all its parents' rows outside it are known: one lookup a table for those, then hop by hop
    inside a group that is a cycle (fixpoint.py)."""
    tables = frozenset(tables)
    inside = [e for e in edges if e.child in tables and e.parent in tables]
    down = children_of(inside)
    up = parents_of(inside)
    component: dict[str, frozenset[str]] = {}
    for table in sorted(tables):
        if table not in component:
            found = frozenset(_reach([table], down, True, frozenset()) & _reach([table], up, False, frozenset()))
            component.update(dict.fromkeys(found, found))
    groups = sorted(set(component.values()), key=min)
    before = {g: {component[e.parent] for e in inside if component[e.child] == g} - {g} for g in groups}
    return _layered(before, _never_stuck)


def _never_stuck(waiting: Mapping[frozenset[str], set[frozenset[str]]]) -> frozenset[str]:
    raise AssertionError(f"a cycle between cycle groups: {sorted(map(sorted, waiting))}")  # groups form a DAG
