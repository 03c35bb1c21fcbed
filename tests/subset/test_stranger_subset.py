"""Subsets of a stranger's schema, end to end through run_snapshot: the loaded database equals an independently
computed closure, table by table, key by key; PostgreSQL validated every foreign key; nothing is duplicated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from anonymize.keys import Keyring
from anonymize.pipeline.run import run_snapshot
from anonymize.postgres import ClientTools
from anonymize.rules import parse_rules, reflect_schema
from anonymize.sinks import DatabaseSink, DumpFileSink
from anonymize.sources import LiveSource
from anonymize.subset.closure import keyed_filter, keys_query
from anonymize.subset.plan import plan_subset, skipped_tables
from anonymize.subset.spec import SubsetSpec, build_spec
from testbed.servers import PostgresServer
from tests.subset import closure_oracle as oracle
from tests.subset.stranger import KEYS, RULES, TABLES, fill

KEY = Keyring(b"subset-stranger-key-0123456789ab")


@pytest.fixture(scope="module")
def source(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.database("stranger") as dsn:
        fill(dsn)
        yield dsn


def _refs(dsn: str) -> list[oracle.Ref]:
    def author(row: oracle.Row) -> tuple | None:
        value = row["body"].get("author")
        return None if value is None else (int(value),)

    return [*oracle.fk_refs(dsn), oracle.Ref("public.notes", "public.employees", author, ("id",))]


def _loaded(dsn: str) -> dict[str, set[tuple]]:
    data = oracle.read_all(dsn, TABLES)
    return {t: {tuple(r[c] for c in KEYS[t]) for r in rows} for t, rows in data.items()}


def _snapshot(source: str, target: str, spec: SubsetSpec) -> None:
    report = run_snapshot(LiveSource(source), DatabaseSink(target), parse_rules(RULES), KEY, jobs=2, subset=spec)
    assert report.verification is not None and report.verification.passed, report.verification.failures


def _expected(source: str, tenant: oracle.Filter, events: oracle.Filter | None = None) -> dict[str, set[tuple]]:
    """The independent closure of the tenants `tenant` accepts (and the events `events` accepts, if given)."""
    filters = {"public.events": events} if events else None
    data = oracle.read_all(source, TABLES)
    return oracle.closure(data, KEYS, _refs(source), {"public.tenants": tenant}, filters, whole=["public.settings"])


@pytest.mark.parametrize("on_stdin", [False, True], ids=["query-argument", "query-on-stdin"])
def test_a_tenant_subset_equals_the_independent_closure(
    source: str, postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch, on_stdin: bool
) -> None:
    if on_stdin:
        # A subset's source queries carry its kept keys; past Linux's 128 KiB argument cap they go to psql's
        # stdin: forced here for every query, the whole and plain tables' included.
        monkeypatch.setattr("anonymize.sources._ARGUMENT_LIMIT", 0)
    rules = parse_rules(RULES)
    spec = build_spec(rules.subset, ["tenants: id in (2, 3)"], None)
    with postgres_server.database("subset") as target:
        _snapshot(source, target, spec)
        loaded = _loaded(target)
        with psycopg.connect(target) as conn:
            unvalidated = conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated")
            assert unvalidated.fetchone()[0] == 0
            # sequences where the source's stand: a new note in dev takes a fresh id
            assert conn.execute("SELECT last_value FROM notes_id_seq").fetchone()[0] == 18
    expected = _expected(source, lambda r: r["id"] in (2, 3))
    assert loaded == expected
    # the closure reached each feature: the self-reference's whole tree, the cycle, NULL references, JSON authors
    assert len(loaded["public.categories"]) == 14 and len(loaded["public.teams"]) == 4
    assert {("JP",), ("FR",)} >= loaded["public.countries"]
    assert len(loaded["public.notes"]) == 4  # reached only through the JSON reference: the authors' notes
    assert len(loaded["public.badges"]) == 4  # through employees.code, not the key; a NULL one comes from nobody
    # events whose (tenant_id, sku) is NULL reference no product: no path reaches them from a tenant
    assert len(loaded["public.events"]) == 12 and loaded["public.settings"] == {("theme",), ("locale",)}


def test_a_condition_below_the_root_filters_what_comes_down(source: str, postgres_server: PostgresServer) -> None:
    rules = parse_rules(RULES)
    spec = build_spec(rules.subset, ["tenants: id = 4", "events: at < '2025-02-01'"], None)
    with postgres_server.database("subset") as target:
        _snapshot(source, target, spec)
        loaded = _loaded(target)
    expected = _expected(source, lambda r: r["id"] == 4, lambda r: str(r["at"]) < "2025-02-01")
    assert loaded == expected and 0 < len(loaded["public.events"]) < 8


def test_a_subset_written_to_a_dump_file_restores_to_the_same_closure(
    source: str, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    rules = parse_rules(RULES)
    spec = build_spec(rules.subset, ["tenants: id = 5"], None)
    output = tmp_path / "subset.dump"
    with postgres_server.database("scratch") as server_dsn:
        report = run_snapshot(LiveSource(source), DumpFileSink(server_dsn, output), rules, KEY, jobs=2, subset=spec)
    assert report.verification is not None and report.verification.passed, report.verification.failures
    with postgres_server.database("restored") as restored:
        ClientTools.find().run(["pg_restore", "--exit-on-error", "--no-owner", str(output)], restored)
        loaded = _loaded(restored)
    expected = _expected(source, lambda r: r["id"] == 5)
    assert loaded == expected


def test_the_closure_set_at_a_time_equals_the_recursive_query(source: str) -> None:
    """The run's closure (fixpoint.py, a hop per query) against the one recursive query `--check` still estimates
    with, key by key, and against the oracle: a condition with `%` (a LIKE), the sample hash, a whole table."""
    rules = parse_rules(RULES)
    spec = build_spec(rules.subset, ["tenants: name like '%t 2' or id = 4", "events: at < '2025-02-01'"], None)
    with LiveSource(source) as live:
        catalog = live.catalog()
        schema = reflect_schema(catalog)
        plan = plan_subset(catalog, spec, schema, skipped_tables(rules, schema))
        recursive = {t: (rows, arrays) for t, rows, *arrays in catalog.execute(keys_query(plan.closure))}
        sampled = plan_subset(catalog, build_spec(rules.subset, [], 40.0), schema, skipped_tables(rules, schema))
        sampled_recursive = {t: rows for t, rows, *_ in catalog.execute(keys_query(sampled.closure))}
    assert {t: n for t, n in plan.counts.items() if n} == {t: rows for t, (rows, _) in recursive.items()}
    for table, (_, arrays) in recursive.items():
        key = plan.closure.keys[table]
        same = f"SELECT ({keyed_filter(key, arrays)}) = ({plan.filters[table]}) FROM {table}"
        with psycopg.connect(source) as conn:
            assert all(row[0] for row in conn.execute(same)), table
    expected = _expected(source, lambda r: r["id"] in (2, 4), lambda r: str(r["at"]) < "2025-02-01")
    assert {t: n for t, n in plan.counts.items() if n} == {t: len(k) for t, k in expected.items() if k}
    assert {t: n for t, n in sampled.counts.items() if n} == sampled_recursive and sampled_recursive


def test_the_closure_reads_a_table_once_for_all_its_parents_outside_a_cycle(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Going down, a table that several kept tables are parents of (products: tenants' and categories', the
    latter a cycle of their own) is read by one query over all those edges once they are complete, not once an
    edge and hop; every other table once too; the counts stay the oracle's."""
    from anonymize.subset import fixpoint

    reads: dict[str, list[int]] = {}
    real = fixpoint.children_query

    def spy(edges, *args, **kwargs):  # type: ignore[no-untyped-def]
        reads.setdefault(edges[0].child, []).append(len(edges))
        return real(edges, *args, **kwargs)

    monkeypatch.setattr(fixpoint, "children_query", spy)
    rules = parse_rules(RULES)
    spec = build_spec(rules.subset, ["tenants: id in (2, 4)"], None)
    with LiveSource(source) as live:
        catalog = live.catalog()
        schema = reflect_schema(catalog)
        plan = plan_subset(catalog, spec, schema, skipped_tables(rules, schema))
    assert reads and all(len(calls) == 1 for calls in reads.values()), reads
    assert reads["public.products"] == [2], reads
    expected = _expected(source, lambda r: r["id"] in (2, 4))
    assert {t: n for t, n in plan.counts.items() if n} == {t: len(k) for t, k in expected.items() if k}
