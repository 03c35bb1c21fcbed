"""Subsets of the SmartPOS schema (`devkit seed`) through the command line: the plan (`--check`), a run whose
loaded database equals an independently computed closure, bad declarations refused in one line before anything
moves, tables nothing reaches refused (fail closed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from anonymize.postgres import ClientTools
from devkit.seed.load import load
from testbed.servers import PostgresServer
from tests.cli.test_snapshot import _dev_untouched, run
from tests.projects import snapshot_project
from tests.seed.conftest import make_world
from tests.subset import closure_oracle as oracle

TWO_MERCHANTS = "public.merchants: id in (select id from merchants order by merchant_no limit 2)"
TABLES = (
    "public.payment_service_providers", "public.merchants", "public.stores", "public.devices", "public.staff_users",
    "public.merchant_payment_configs", "public.orders", "public.order_items", "public.bills",
    "public.payment_intents", "public.payments", "public.webhook_events", "public.audit_logs",
)  # fmt: skip


@pytest.fixture(scope="module")
def prod(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.database("smartpos") as dsn:
        load(dsn, make_world("small", seed=2), "dev")
        yield dsn


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prod: str, pg_database: str) -> Path:
    return snapshot_project(
        tmp_path,
        monkeypatch,
        name="subset",
        key="subset-cli-key-0123456789abcdef",
        production=prod,
        dev=pg_database,
        precious_in=pg_database,
    )


def _keys(dsn: str) -> dict[str, set[tuple]]:
    return {t: {(r["id"],) for r in rows} for t, rows in oracle.read_all(dsn, TABLES).items()}


def test_two_merchants_last_week_equal_the_independent_closure(project: Path, prod: str, pg_database: str) -> None:
    window = "public.orders: created_at >= now() - interval '3 days'"
    result = run("snapshot", "--anonymize", "--yes", "--subset", TWO_MERCHANTS, "--subset", window)
    assert result.exit_code == 0, result.output
    with psycopg.connect(prod) as conn:
        chosen = {r[0] for r in conn.execute("SELECT id FROM merchants ORDER BY merchant_no LIMIT 2")}
        since = conn.execute("SELECT now() - interval '3 days'").fetchone()[0]
    expected = oracle.closure(
        oracle.read_all(prod, TABLES),
        {t: ("id",) for t in TABLES},
        oracle.fk_refs(prod),
        {"public.merchants": lambda r: r["id"] in chosen},
        filters={"public.orders": lambda r: r["created_at"] >= since},
    )
    loaded = _keys(pg_database)
    assert loaded == {t: expected[t] for t in TABLES}
    assert loaded["public.merchants"] >= {(m,) for m in chosen} and loaded["public.orders"]
    total = sum(len(v) for v in oracle.read_all(prod, ["public.orders"]).values())
    assert len(loaded["public.orders"]) < total  # a window, not every order


def test_check_prints_the_plan_and_moves_nothing(project: Path, pg_database: str) -> None:
    result = run("snapshot", "--check", "--subset", TWO_MERCHANTS)
    assert result.exit_code == 0, result.output
    for expected in ("subset plan", "public.merchants", "root", "children", "parents", "payment_service_providers"):
        assert expected in result.output
    assert _dev_untouched(pg_database)


def test_a_missing_index_shows_in_the_plan_with_its_cost(project: Path, prod: str) -> None:
    with psycopg.connect(prod) as conn:
        indexes = conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'orders'").fetchall()
    assert not any("(device_id" in definition for (definition,) in indexes), "the schema indexes orders.device_id now"
    result = run("snapshot", "--check", "--subset", TWO_MERCHANTS)
    assert "lookups without an index" in result.output and "orders_device_id_fkey" in result.output


@pytest.mark.parametrize(
    ("subset", "says"),
    [
        ("public.merchantz: id = 1", "no table public.merchantz"),
        ("public.merchants: nonesuch = 1", 'column "nonesuch" does not exist'),
        ("public.merchants: id in (select", "syntax error"),
        ("merchants", "is not TABLE:CONDITION"),
    ],
)
def test_a_bad_subset_is_one_line_and_nothing_moves(project: Path, pg_database: str, subset: str, says: str) -> None:
    for check in ([], ["--check"]):
        result = run("snapshot", "--anonymize", "--yes", *check, "--subset", subset)
        assert result.exit_code == 2, result.output
        assert says in result.output
        assert _dev_untouched(pg_database)


def test_a_table_no_path_reaches_is_refused(project: Path, prod: str, pg_database: str) -> None:
    # only the providers as root: merchants, and all that hangs off them, are reached by nothing
    providers = "payment_service_providers: true"
    for check in ([], ["--check"]):
        result = run("snapshot", "--anonymize", "--yes", *check, "--subset", providers)
        assert result.exit_code == 7, result.output
        assert "no path from the subset's roots reaches" in result.output
        assert _dev_untouched(pg_database)
    assert "public.order_items: no path from the subset's roots reaches it" in result.output  # --check lists each


def test_a_percent_of_the_merchants_equals_the_independent_closure(project: Path, prod: str, pg_database: str) -> None:
    result = run("snapshot", "--anonymize", "--yes", "--subset-percent", "50")
    assert result.exit_code == 0, result.output
    with psycopg.connect(prod) as conn:
        everyone = {r[0] for r in conn.execute("SELECT id FROM merchants")}
        # the sample the run promises: a stable hash of the key, the same in every run
        sampled = {
            r[0]
            for r in conn.execute(
                "SELECT id FROM merchants WHERE (hashtext(jsonb_build_array(id)::text) & 2147483647) % 10000 < 5000"
            )
        }
    expected = oracle.closure(
        oracle.read_all(prod, TABLES),
        {t: ("id",) for t in TABLES},
        oracle.fk_refs(prod),
        {"public.merchants": lambda r: r["id"] in sampled},
    )
    assert _keys(pg_database) == {t: expected[t] for t in TABLES}
    assert 0 < len(sampled) < len(everyone)


def test_a_dump_files_subset_equals_the_live_databases(
    project: Path, prod: str, pg_database: str, tmp_path: Path
) -> None:
    result = run("snapshot", "--anonymize", "--yes", "--subset", TWO_MERCHANTS)
    assert result.exit_code == 0, result.output
    live = _keys(pg_database)
    dump = tmp_path / "prod.dump"
    ClientTools.find().run(["pg_dump", "--format=custom", "-f", str(dump)], prod)
    result = run("snapshot", "--anonymize", "--yes", "--source", str(dump), "--subset", TWO_MERCHANTS)
    assert result.exit_code == 0, result.output
    assert "restored into a scratch database" in result.output
    assert _keys(pg_database) == live and live["public.merchants"]


def test_check_with_a_dump_file_says_what_the_restore_costs(project: Path, prod: str, tmp_path: Path) -> None:
    dump = tmp_path / "prod.dump"
    ClientTools.find().run(["pg_dump", "--format=custom", "-f", str(dump)], prod)
    result = run("snapshot", "--check", "--source", str(dump), "--subset", TWO_MERCHANTS)
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "subset plan" in output and "first restores the rows of every table the plan keeps" in output
    assert "orders_device_id_fkey" in output  # the dump's indexes, checked as on a live source
    with psycopg.connect(prod) as conn:
        indexed = conn.execute(
            "SELECT con.conname FROM pg_constraint con JOIN pg_index i ON i.indrelid = con.conrelid "
            "AND i.indkey[0] = con.conkey[1] WHERE con.contype = 'f' AND con.conparentid = 0 "
            "AND cardinality(con.conkey) = 1"
        ).fetchall()
    assert indexed and not any(name in output for (name,) in indexed)  # an indexed lookup is not listed
    bad = run("snapshot", "--check", "--source", str(dump), "--subset", "public.merchants: nonesuch = 1")
    assert bad.exit_code == 2 and 'column "nonesuch" does not exist' in bad.output
