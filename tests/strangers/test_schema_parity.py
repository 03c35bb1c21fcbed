"""Schema parity on a stranger's database (testbed/strangers/pgfeatures.py): what `pg_dump --schema-only` says of the
source, it says of the snapshot -- from a live source, from custom and plain dump files, and in an `--output` dump
restored with pg_restore. Materialized views are populated (where the source's are), as a refresh would populate
them, from the anonymized rows.

The comparison normalizes only the `\\restrict KEY` / `\\unrestrict KEY` lines pg_dump 15.14+ writes around a
plain dump: KEY is random per dump. Nothing else: no database name appears in a dump made without --create, and
every dump here comes from the same server and pg_dump, so even the version lines must match. The rules change
rows, never the schema, so any other difference is something lost.
"""

from __future__ import annotations

import difflib
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import yaml
from typer.testing import CliRunner

from anonymize.draft import draft_rules
from anonymize.keys import Keyring
from anonymize.pipeline.check import read_schema
from anonymize.pipeline.run import run_snapshot
from anonymize.postgres import ClientTools
from anonymize.rules import RulesFile, parse_rules
from anonymize.scan import scan_source
from anonymize.schema_parity import populated_matviews
from anonymize.sinks import DatabaseSink, DumpFileSink
from anonymize.sources import LiveSource, open_source
from devkit.cli import app
from testbed.servers import PostgresServer
from testbed.strangers import pgfeatures
from tests.pgroles import database_name, login_role

KEY = Keyring(b"schema-parity-test-key-0123456789")
TOOLS = ClientTools.find()

# The draft leaves these personal columns as they are (reported to the draft's owner); explicit rules here, so
# the materialized views below are refreshed from anonymized rows.
OVERRIDES = {
    "public.Customer": {
        "Full Name": {"transform": "person_name", "params": {"key_column": "id"}},
        "名前": {"transform": "person_name", "params": {"key_column": "id"}},
        "emails": {"transform": "constant", "params": {"value": "{}"}},
        "home_address": "null",
    },
    "public.order": {"ship_to": "null"},
    "sales.payment": {"card_holder": "person_name"},
}


@pytest.fixture(scope="module")
def source(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.database("pgfeatures") as dsn:
        pgfeatures.build(dsn, scale=0.5, seed=7)
        yield dsn


def drafted_rules(dsn: str) -> str:
    """What `devkit rules init` drafts for the database (schema and sampled values), with OVERRIDES applied."""
    schema = read_schema(LiveSource(dsn))
    found = scan_source(LiveSource(dsn), None, 200).suggestions()
    text = draft_rules(schema, found)
    drafted = yaml.safe_load(text)
    for table, columns in OVERRIDES.items():
        drafted["tables"][table]["columns"].update(columns)
    return yaml.safe_dump(drafted, allow_unicode=True)


@pytest.fixture(scope="module")
def rules_text(source: str) -> str:
    return drafted_rules(source)


@pytest.fixture(scope="module")
def rules(rules_text: str) -> RulesFile:
    return parse_rules(rules_text)


def schema_dump(dsn: str) -> str:
    """`pg_dump --schema-only`, normalized as the module says."""
    text = TOOLS.run(["pg_dump", "--schema-only"], dsn).decode()
    return re.sub(r"^\\(restrict|unrestrict) \S+$", r"\\\1 KEY", text, flags=re.MULTILINE)


def assert_same_schema(source: str, target: str) -> None:
    expected, actual = schema_dump(source), schema_dump(target)
    if expected != actual:
        diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(), "source", "target", lineterm="", n=1)
        pytest.fail("schema differs:\n" + "\n".join(list(diff)[:120]))


def _matviews(dsn: str) -> dict[str, tuple[bool, str]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT format('%I.%I', schemaname, matviewname), ispopulated, matviewowner FROM pg_matviews"
        ).fetchall()
    return {name: (populated, owner) for name, populated, owner in rows}


def assert_matviews_as_refreshed(source: str, target: str) -> None:
    """Populated where the source's are; each holds what a REFRESH (as its owner, under its owner's row-level
    security) gives now, from the anonymized rows."""
    expected = _matviews(source)
    assert _matviews(target) == expected
    assert any(populated for populated, _ in expected.values()) and not all(p for p, _ in expected.values())
    with psycopg.connect(target) as conn:
        for name, (populated, _) in expected.items():
            if not populated:
                continue
            before = conn.execute(f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {name} t")
            held = before.fetchone()
            with conn.transaction(force_rollback=True):
                conn.execute(f"REFRESH MATERIALIZED VIEW {name}")
                after = conn.execute(f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {name} t")
                assert held == after.fetchone(), f"{name} holds something else than a refresh gives"
    # The reader role's row-level security hides cancelled orders from its view, as in the source.
    query = "SELECT status::text, orders FROM sales.orders_by_status ORDER BY 1"
    with psycopg.connect(source) as conn_s, psycopg.connect(target) as conn_t:
        assert conn_t.execute(query).fetchall() == conn_s.execute(query).fetchall()
        assert "cancelled" not in {s for s, _ in conn_t.execute(query)}


def assert_anonymized_directory(source: str, target: str) -> None:
    """The directory matview was refreshed from the anonymized customers, not copied from the source."""
    personal = pgfeatures.personal_values(source)
    with psycopg.connect(target) as conn:
        text = "\n".join(str(r) for r in conn.execute('SELECT * FROM "Audit".customer_directory'))
        assert conn.execute('SELECT count(*) FROM "Audit".customer_directory').fetchone()[0] > 0
    for where in ("public.Customer.Full Name", "public.Customer.名前", "public.Customer.primary_email"):
        assert not [v for v in personal[where] if v in text], f"{where} found in the directory"


def test_live_source_through_the_cli(
    source: str, rules_text: str, postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rules.yml").write_text(rules_text)
    (tmp_path / "devkit.toml").write_text('[stack]\nproject = "parity"\n')
    for variable in ("DEVKIT_CONFIG", "DEVKIT_STATE_DIR", "DEVKIT_PROJECT"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEVKIT_ANON_KEY", "schema-parity-cli-key-0123456789")
    monkeypatch.setenv("DEVKIT_PRODUCTION_DSN", source)
    with postgres_server.database("dev") as dev:
        monkeypatch.setenv("DEVKIT_DEV_DSN", dev)
        result = CliRunner().invoke(app, ["snapshot", "--anonymize", "--rules", "rules.yml", "--yes"])
        assert result.exit_code == 0, result.output
        assert_same_schema(source, dev)
        assert_matviews_as_refreshed(source, dev)
        assert_anonymized_directory(source, dev)


@pytest.mark.parametrize("dump_format", ["custom", "plain", "directory", "tar"])
def test_dump_file_source(
    source: str, rules: RulesFile, postgres_server: PostgresServer, tmp_path: Path, dump_format: str
) -> None:
    dump = tmp_path / f"source.{dump_format}"
    TOOLS.run(["pg_dump", f"--format={dump_format}", "-f", str(dump)], source)
    with postgres_server.database("dev") as dev:
        run_snapshot(open_source(str(dump)), DatabaseSink(dev), rules, KEY, jobs=2)
        assert_same_schema(source, dev)
        assert_matviews_as_refreshed(source, dev)
        assert_anonymized_directory(source, dev)


def test_output_dump_restores_to_the_same_schema(
    source: str, rules: RulesFile, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    output = tmp_path / "anonymized.dump"
    run_snapshot(LiveSource(source), DumpFileSink(postgres_server.dsn(), output), rules, KEY, jobs=2)
    with postgres_server.database("restored") as restored:
        # --enable-row-security: sales.orders_by_status is refreshed as its owner, whom row-level security
        # filters; pg_restore's default (row_security off) refuses that refresh, for a dump of the source too.
        command, env = TOOLS.command(["pg_restore", "--exit-on-error", "--enable-row-security", str(output)], restored)
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert_same_schema(source, restored)
        assert_matviews_as_refreshed(source, restored)
        assert_anonymized_directory(source, restored)


def test_refresh_order_follows_what_each_view_reads(source: str) -> None:
    with psycopg.connect(source) as conn:
        order = populated_matviews(conn)
    assert "sales.slow_report" not in order  # never populated in the source: stays so
    assert set(order) == {name for name, (populated, _) in _matviews(source).items() if populated}
    # good_days reads daily_revenue; best_month reads it through a view (and its name sorts first)
    assert order.index("sales.daily_revenue") < order.index("sales.good_days")
    assert order.index("sales.daily_revenue") < order.index("sales.best_month")


def test_roles_the_target_lacks_are_skipped_and_noted(postgres_server: PostgresServer, tmp_path: Path) -> None:
    """A dump from a server with a role this one lacks: its objects stay the loading role's, its grants and
    default privileges are left out, each skip is noted, and everything else is carried over."""
    gone = f"pgf_gone_{uuid.uuid4().hex[:8]}"
    dump = tmp_path / "source.dump"
    with postgres_server.database("pgfgone") as source, postgres_server.database("dev") as dev:
        pgfeatures.build(source, scale=0.2, seed=3)
        _sql(
            source,
            f"CREATE ROLE {gone} NOLOGIN",
            "CREATE TABLE sales.legacy (id int PRIMARY KEY, label text)",
            "INSERT INTO sales.legacy VALUES (1, 'first'), (2, 'second')",
            f"ALTER TABLE sales.legacy OWNER TO {gone}",
            f'GRANT SELECT ON public."order" TO {gone}',
            f"GRANT USAGE ON SCHEMA sales TO {gone}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {gone} IN SCHEMA sales GRANT SELECT ON TABLES TO pgf_reader",
        )
        rules = parse_rules(drafted_rules(source))
        TOOLS.run(["pg_dump", "--format=custom", "-f", str(dump)], source)
        # The source as the target will be: what the role owned is the superuser's, what it was granted is gone.
        _sql(source, f"REASSIGN OWNED BY {gone} TO {postgres_server.user}", f"DROP OWNED BY {gone}")
        _sql(source, f"DROP ROLE {gone}")

        report = run_snapshot(open_source(str(dump)), DatabaseSink(dev), rules, KEY, jobs=2)

        assert_same_schema(source, dev)
        assert_matviews_as_refreshed(source, dev)
        notes = [note for note in report.notes if f'role "{gone}" does not exist' in note]
        assert len(notes) == 1, report.notes
        assert "1 owner statement" in notes[0] and "3 privilege statements" in notes[0], notes[0]


def test_a_loading_role_that_is_no_superuser_carries_what_it_may(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """The loading role may hand objects only to roles it is a member of, and may not make a schema-wide
    publication: those statements are skipped and noted; owners it may set, every grant and the refreshes hold."""
    with (
        postgres_server.database("pgfsource") as source,
        postgres_server.database("dev") as dev,
        login_role(postgres_server, "loader", "CREATEDB") as loader,
    ):
        pgfeatures.build(source, scale=0.2, seed=5)
        # Creating an event trigger takes a superuser (pg_restore's post-data fails without one), and a table
        # whose row-level security is FORCEd hides its rows from the verification, which reads as their owner.
        _sql(source, "DROP EVENT TRIGGER note_ddl", 'ALTER TABLE public."order" NO FORCE ROW LEVEL SECURITY')
        _sql(dev, f"ALTER DATABASE {database_name(dev)} OWNER TO {loader.name}", f"GRANT pgf_owner TO {loader.name}")
        rules = parse_rules(drafted_rules(source))

        report = run_snapshot(LiveSource(source), DatabaseSink(loader.dsn(dev)), rules, KEY, jobs=2)

        notes = "\n".join(report.notes)
        assert 'role "pgf_app"' in notes and 'role "pgf_reader"' in notes, notes
        assert "must be superuser to add or set schemas" in notes, notes  # pgf_audit's ADD TABLES IN SCHEMA
        with psycopg.connect(dev) as conn:
            owners = dict(
                conn.execute(
                    "SELECT c.oid::regclass::text, pg_get_userbyid(c.relowner) FROM pg_class c"
                    " WHERE c.oid IN ('public.\"Customer\"'::regclass, 'public.\"order\"'::regclass,"
                    " 'sales.daily_revenue'::regclass)"
                ).fetchall()
            )
            assert owners == {'"Customer"': "pgf_owner", '"order"': loader.name, "sales.daily_revenue": "pgf_owner"}
            schema_owner = conn.execute("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'public'")
            assert schema_owner.fetchone()[0] == "pgf_owner"
            granted = "SELECT has_table_privilege('pgf_reader', 'public.\"Customer\"', 'SELECT'),"
            granted += " has_column_privilege('pgf_app', 'public.\"Customer\"', '名前', 'UPDATE'),"
            granted += " has_column_privilege('pgf_app', 'public.\"Customer\"', 'Full Name', 'SELECT')"
            assert conn.execute(granted).fetchone() == (True, True, False)
            publications = conn.execute(
                "SELECT pubname, (SELECT count(*) FROM pg_publication_namespace s WHERE s.pnpubid = p.oid),"
                " (SELECT count(*) FROM pg_publication_rel r WHERE r.prpubid = p.oid) FROM pg_publication p ORDER BY 1"
            ).fetchall()
            assert publications == [("pgf_audit", 0, 0), ("pgf_orders", 0, 2)]
        expected = {name: populated for name, (populated, _) in _matviews(source).items()}
        assert {name: populated for name, (populated, _) in _matviews(dev).items()} == expected


def test_the_target_database_keeps_its_own_properties(
    source: str, rules: RulesFile, postgres_server: PostgresServer
) -> None:
    """The database swapped in is the target's: its owner, privileges, connection limit, comment and settings
    (its own and its roles' in it) are those of the database it replaces, none of the source's."""
    with postgres_server.database("dev") as dev:
        name = database_name(dev)
        _sql(
            dev,
            f'ALTER DATABASE {name} SET search_path = "$user", public, "Audit"',
            f"ALTER DATABASE {name} SET timezone TO 'Asia/Tokyo'",
            f"ALTER ROLE pgf_app IN DATABASE {name} SET statement_timeout TO '5s'",
            f"COMMENT ON DATABASE {name} IS 'everyone''s dev database'",
            f"ALTER DATABASE {name} CONNECTION LIMIT 50",
            f"REVOKE ALL ON DATABASE {name} FROM PUBLIC",
            f"GRANT CONNECT, TEMPORARY ON DATABASE {name} TO pgf_reader",
            f"GRANT CONNECT ON DATABASE {name} TO pgf_app WITH GRANT OPTION",
            f"ALTER DATABASE {name} OWNER TO pgf_owner",
        )
        before = _database_properties(dev)

        run_snapshot(LiveSource(source), DatabaseSink(dev), rules, KEY, jobs=2)

        assert _database_properties(dev) == before
        with psycopg.connect(dev) as conn:
            assert conn.execute("SHOW search_path").fetchone()[0] == '"$user", public, "Audit"'
            assert conn.execute("SHOW work_mem").fetchone()[0] != "16MB"  # the source's own setting


def _database_properties(dsn: str) -> tuple[object, ...]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT pg_get_userbyid(datdba), datconnlimit, datacl::text[], shobj_description(d.oid, 'pg_database'),"
            " array(SELECT coalesce(pg_get_userbyid(nullif(s.setrole, 0)), '') || ': ' || array_to_string(s.setconfig,"
            " '; ') FROM pg_db_role_setting s WHERE s.setdatabase = d.oid ORDER BY 1)"
            " FROM pg_database d WHERE datname = current_database()"
        ).fetchone()


def _sql(dsn: str, *statements: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)
