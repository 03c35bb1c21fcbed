"""The subset's pure parts: declarations (command line, rules file) and what the graph makes of them."""

from __future__ import annotations

import pytest

from anonymize.errors import RulesError
from anonymize.rules import parse_rules
from anonymize.subset.closure import pin_now
from anonymize.subset.graph import Edge, components_parents_first, parents_first, regions, sampled_roots
from anonymize.subset.spec import SubsetError, SubsetSpec, build_spec, parse_condition


def _edge(child: str, parent: str) -> Edge:
    return Edge(f"{child}_{parent}_fkey", child, parent, ("x",), ("id",))


# merchants -> stores -> orders -> items; orders -> staff -> merchants; providers <- payments -> orders
EDGES = [
    _edge("stores", "merchants"),
    _edge("orders", "stores"),
    _edge("items", "orders"),
    _edge("orders", "staff"),
    _edge("staff", "merchants"),
    _edge("payments", "orders"),
    _edge("payments", "providers"),
]
TABLES = ["merchants", "stores", "orders", "items", "staff", "payments", "providers", "settings"]


def test_a_condition_splits_at_the_first_colon_and_qualifies_the_table() -> None:
    assert parse_condition("orders: created_at::date = '2025-01-01'") == (
        "public.orders",
        "created_at::date = '2025-01-01'",
    )
    assert parse_condition("sales.orders:id = 1") == ("sales.orders", "id = 1")


@pytest.mark.parametrize("text", ["orders", "orders:", ": id = 1", "public orders: id = 1"])
def test_a_malformed_condition_is_refused(text: str) -> None:
    with pytest.raises(SubsetError, match="is not TABLE:CONDITION"):
        parse_condition(text)


def test_the_command_line_wins_and_a_table_twice_is_refused() -> None:
    rules = parse_rules("version: 1\nsubset:\n  conditions: {orders: id < 10}\n  whole: [settings]\n").subset
    spec = build_spec(rules, ["orders: id < 5", "settings: true"], None)
    assert spec.conditions == {"public.orders": "id < 5", "public.settings": "true"}
    assert spec.whole == frozenset() and spec.active
    with pytest.raises(SubsetError, match=r"names public\.orders twice"):
        build_spec(rules, ["orders: id < 5", "public.orders: id > 1"], None)
    for percent in (0, -1, 101):
        with pytest.raises(SubsetError, match="--subset-percent"):
            build_spec(None, [], percent)
    assert not build_spec(rules.model_copy(update={"conditions": {}}), [], None).active


def test_a_bad_subset_section_names_its_line() -> None:
    with pytest.raises(RulesError, match=r"<rules>:3: subset.wholly"):
        parse_rules("version: 1\nsubset:\n  wholly: [settings]\n")
    with pytest.raises(RulesError, match="more than one of whole, empty"):
        parse_rules("version: 1\nsubset:\n  whole: [settings]\n  empty: [public.settings]\n")


def test_roots_go_down_parents_come_up_and_the_rest_is_unreached() -> None:
    found = regions(SubsetSpec(), TABLES, EDGES, {"merchants": "id = 1"})
    assert found.roots == {"merchants"}
    assert found.down == {"merchants", "stores", "orders", "items", "staff", "payments"}
    assert found.up == {"providers"} and found.unreached == {"settings"}
    declared = regions(SubsetSpec(whole=frozenset({"settings"})), TABLES, EDGES, {"merchants": "id = 1"})
    assert declared.unreached == frozenset() and declared.whole == {"settings"}


def test_a_condition_below_a_root_filters_instead_of_starting_a_subset() -> None:
    found = regions(SubsetSpec(), TABLES, EDGES, {"merchants": "id = 1", "orders": "recent"})
    assert found.roots == {"merchants"} and "orders" in found.down


def test_only_a_root_reaches_nothing_above_it() -> None:
    found = regions(SubsetSpec(), TABLES, EDGES, {"orders": "recent"})
    assert found.down == {"orders", "items", "payments"}
    assert found.up == {"stores", "staff", "merchants", "providers"}


def test_whole_tables_are_not_gone_through_and_empty_ones_never_come_up() -> None:
    spec = SubsetSpec(whole=frozenset({"orders"}), empty=frozenset({"providers"}))
    found = regions(spec, TABLES, EDGES, {"merchants": "id = 1"})
    assert "items" in found.unreached and "orders" not in found.down
    assert "providers" not in found.up and found.empty == {"providers"}


def test_percent_samples_the_tables_no_edge_leaves() -> None:
    assert sampled_roots(SubsetSpec(), TABLES, EDGES) == ("merchants", "providers")
    assert sampled_roots(SubsetSpec(roots=("merchants",)), TABLES, EDGES) == ("merchants",)


def test_parents_come_first_and_a_cycle_does_not_stop_the_order() -> None:
    order = parents_first(TABLES, [*EDGES, _edge("merchants", "orders")])
    assert order.index("stores") < order.index("orders") < order.index("items")
    assert sorted(order) == sorted(TABLES)


def test_groups_are_cycles_and_come_after_every_group_with_an_edge_into_them() -> None:
    """What the closure reads a table at a time by: orders once for both stores and staff, once both are known;
    a cycle (orders -> stores -> orders here, a self-reference on items) is one group, grown hop by hop."""
    groups = components_parents_first(TABLES, EDGES)
    assert sorted(t for g in groups for t in g) == sorted(TABLES)
    assert all(len(g) == 1 for g in groups)
    at = {t: i for i, g in enumerate(groups) for t in g}
    assert at["merchants"] < at["stores"] < at["orders"] < at["items"]
    assert at["staff"] < at["orders"] and at["providers"] < at["payments"] and at["orders"] < at["payments"]
    cyclic = components_parents_first(TABLES, [*EDGES, _edge("stores", "orders"), _edge("items", "items")])
    assert frozenset({"stores", "orders"}) in cyclic and frozenset({"items"}) in cyclic
    at = {t: i for i, g in enumerate(cyclic) for t in g}
    assert at["merchants"] < at["orders"] < at["items"] and at["staff"] < at["orders"] < at["payments"]


def test_now_is_read_once_for_every_table() -> None:
    pinned = pin_now("created_at >= NOW() - interval '7 days' AND d < current_date", "2025-03-01 10:00:00+09")
    assert "now" not in pinned.lower() and "current_date" not in pinned
    assert "('2025-03-01 10:00:00+09'::timestamptz)::date" in pinned


def test_a_table_is_sized_by_the_share_of_its_rows_the_subset_keeps() -> None:
    """What splitting into ranges goes by: a 1% subset of a big table is one unit, not the whole table's ranges."""
    from anonymize.catalog import CatalogTable
    from anonymize.subset.closure import ClosureSpec
    from anonymize.subset.graph import Regions
    from anonymize.subset.plan import SubsetPlan

    def table(name: str, rule: str, rows: int) -> CatalogTable:
        return CatalogTable(name, rule, ("id",), rows, rows * 100)

    none: frozenset[str] = frozenset()
    found = Regions(frozenset({"m"}), frozenset({"m", "o"}), none, frozenset({"w"}), frozenset({"e"}), none)
    plan = SubsetPlan(ClosureSpec(found, (), {}, {}), [], counts={"m": 5, "o": 30, "w": 7})
    assert plan.kept_table(table("o_2025", "o", 1000), 3000).size_bytes == 1000  # 30/3000 of its 100,000 bytes
    assert plan.kept_table(table("o_2025", "o", 1000), 3000).estimated_rows == 10
    assert plan.kept_table(table("m", "m", 2), 2).size_bytes == 200  # never more than the table
    assert plan.kept_table(table("e", "e", 50), 50).size_bytes == 0  # empty: nothing read
    assert plan.kept_table(table("x", "x", 50), 50).size_bytes == 5000  # not in the subset: every row
    assert plan.kept_table(table("o", "o", 0), 0).size_bytes == 0  # no estimate: as the catalog says
    assert SubsetPlan(plan.closure, []).kept_table(table("o", "o", 9), 9).size_bytes == 900  # nothing counted
