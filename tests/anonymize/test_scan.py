"""`devkit scan` on real PostgreSQL: personal data in `keep`-ruled or unruled columns and JSON keys is found and
fails the run; the shipped rules pass on a seeded SmartPOS database. What only a column's values as a whole give
away (digit-only phones, logins, photos, coordinates, postal codes, streets, secrets) is found in every type."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from anonymize import column_shapes
from anonymize.pii.detector import PiiDetector
from anonymize.postgres import ClientTools
from anonymize.rules import parse_rules
from anonymize.scan import FREE_TEXT, scan_column, scan_json, scan_source
from anonymize.sinks import DatabaseSink
from anonymize.sources import LiveSource, open_source
from devkit.cli import app
from devkit.seed.load import load
from testbed.servers import PostgresServer
from tests.seed.conftest import make_world

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "anonymize" / "rules" / "smartpos.yml"
runner = CliRunner()

SCHEMA = """
CREATE TABLE tickets (id int PRIMARY KEY, subject text, notes text, payload jsonb, body_json text);
CREATE TABLE extra (id int PRIMARY KEY, comment text);
"""
RULES = """
version: 1
tables:
  tickets:
    columns:
      id: keep
      subject: keep
      notes: keep
      payload: {transform: json, params: {paths: {$..email: email}}}
      # body_json is unruled
  extra:
    columns: {id: keep, comment: keep}
"""


@pytest.fixture
def leaky(pg_database: str) -> str:
    with psycopg.connect(pg_database) as conn:
        conn.execute(SCHEMA)
        for i in range(1, 41):
            note = f"田中様 090-{1000 + i}-5678 折り返し希望" if i % 2 else f"返信先 user{i}@example.co.jp"
            payload = {"email": f"buyer{i}@example.com", "shipping": {"contact_phone": f"080-2222-{3000 + i}"}}
            conn.execute(
                "INSERT INTO tickets VALUES (%s, %s, %s, %s, %s)",
                (i, f"注文 ORD-{i:06d} 金額 {i * 1200} 円", note, json.dumps(payload), None),
            )
            conn.execute("INSERT INTO extra VALUES (%s, %s)", (i, f"SKU-{i:04d} x{i % 3 + 1}"))
    return pg_database


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in ("DEVKIT_CONFIG", "DEVKIT_STATE_DIR", "DEVKIT_PROJECT", "DEVKIT_PRODUCTION_DSN"):
        monkeypatch.delenv(variable, raising=False)
    (tmp_path / "devkit.toml").write_text('[stack]\nproject = "scan"\n')
    (tmp_path / "rules.yml").write_text(RULES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_scan_finds_keep_ruled_notes_and_an_unruled_json_key(leaky: str) -> None:
    report = scan_source(LiveSource(leaky), parse_rules(RULES), sample=100)
    found = {f.where: f for f in report.findings}
    assert set(found) == {"public.tickets.notes", "public.tickets.payload $.shipping.contact_phone"}, found
    notes = found["public.tickets.notes"]
    assert notes.rule == "keep" and notes.hits == notes.sampled == 40
    assert set(notes.kinds) == {"PERSON", "PHONE", "EMAIL"} and notes.suggestion == FREE_TEXT
    key = found["public.tickets.payload $.shipping.contact_phone"]
    assert key.rule == "json" and key.kinds == {"PHONE": 40} and key.suggestion == "phone"
    # order numbers, amounts and SKUs in kept columns are not personal data
    assert report.tables == 2 and report.columns_sampled == 5


def test_scan_cli_exits_non_zero_with_json_for_ci(project: Path, leaky: str) -> None:
    result = runner.invoke(app, ["scan", "--source", leaky, "--rules", "rules.yml", "--json"])
    assert result.exit_code == 7, result.output
    data = json.loads(result.stdout)
    assert data["passed"] is False
    assert {(f["column"], f["path"]) for f in data["findings"]} == {
        ("notes", None),
        ("payload", "$.shipping.contact_phone"),
    }
    assert "rule them in rules.yml" in result.output
    # the values themselves are never printed
    assert "090-1001-5678" not in result.output and "example.co.jp" not in result.output


def test_scan_cli_lists_findings_and_passes_once_ruled(project: Path, leaky: str) -> None:
    result = runner.invoke(app, ["scan", "--source", leaky, "--rules", "rules.yml", "--sample", "10"])
    assert result.exit_code == 7
    assert "public.tickets.notes: 10/10 sampled values hold" in result.output
    fixed = RULES.replace("notes: keep", f"notes: {FREE_TEXT}").replace(
        "paths: {$..email: email}", "paths: {$..email: email, $..contact_phone: phone}"
    )
    (project / "rules.yml").write_text(fixed)
    result = runner.invoke(app, ["scan", "--source", leaky, "--rules", "rules.yml"])
    assert result.exit_code == 0, result.output
    assert "no unruled personal data" in result.output


def test_shipped_rules_pass_on_a_seeded_smartpos_database(project: Path, pg_database: str) -> None:
    load(pg_database, make_world(), "dev")
    result = runner.invoke(app, ["scan", "--source", pg_database, "--rules", str(SHIPPED), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["passed"] and data["values_sampled"] > 1000
    # ... while without rules the same database is full of findings, free text and JSON keys included
    report = scan_source(LiveSource(pg_database), None, sample=1000)
    where = {f.where for f in report.findings}
    assert {"public.orders.customer_name", "public.orders.notes", "public.webhook_events.payload $.buyer.name"} <= where
    assert "public.order_items.name" not in where  # product names are not people


def test_one_odd_value_is_not_a_finding_but_two_are() -> None:
    detector = PiiDetector()
    values = ["袋不要", "領収書あり", "連絡 090-1234-5678"]
    assert scan_column("public.t", "memo", "keep", values, detector) is None
    finding = scan_column("public.t", "memo", "keep", [*values, "090-8765-4321"], detector)
    assert finding is not None and finding.hits == 2 and finding.kinds == {"PHONE": 2}
    assert scan_json("public.t", "doc", "none", ['{"a": {"b": "送付先 a@example.com"}}'] * 2, detector)[0].path == (
        "$.a.b"
    )


def test_rules_init_rules_what_the_scan_detects_and_the_draft_then_passes(project: Path, leaky: str) -> None:
    with psycopg.connect(leaky) as conn:  # a column whose name says nothing: only its values give it away
        conn.execute("ALTER TABLE extra ADD COLUMN misc text")
        conn.execute("UPDATE extra SET misc = 'お問い合わせ: taro' || id || '@example.ne.jp'")
    result = runner.invoke(app, ["rules", "init", "--source", leaky, "--output", "drafted.yml"])
    assert result.exit_code == 0, result.output
    drafted = (project / "drafted.yml").read_text()
    assert "misc: {transform: free_text, params: {detector: presidio}}  # scan: 40/40 sampled values hold EMAIL" in (
        drafted
    )
    assert (  # each sampled key of people a path rule, every other string through the detector
        "payload: {transform: json, params: {other_strings: {transform: free_text, params: {detector: presidio}}, "
        'paths: {"$.email": email, "$.shipping.contact_phone": phone}}}' in drafted
    )
    assert "notes: {transform: free_text, params: {detector: presidio}}" in drafted
    assert runner.invoke(app, ["rules", "init", "--source", leaky, "--no-scan"]).stdout.count("misc: keep") == 1
    result = runner.invoke(app, ["scan", "--source", leaky, "--rules", "drafted.yml"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("fmt", ["custom", "plain"])
def test_a_dump_file_is_scanned_like_the_live_database(
    leaky: str, tmp_path: Path, postgres_server: PostgresServer, fmt: str
) -> None:
    tools = ClientTools.find()
    dump = tmp_path / f"leaky.{fmt}"
    tools.run(["pg_dump", f"--format={fmt}", "-f", str(dump)], leaky)
    scratch = DatabaseSink(postgres_server.dsn("scan_scratch"), tools)  # reads the dump's schema back, then dropped
    report = scan_source(open_source(str(dump), tools), parse_rules(RULES), sample=100, scratch=scratch)
    assert {f.where for f in report.findings} == {
        "public.tickets.notes",
        "public.tickets.payload $.shipping.contact_phone",
    }
    assert report.values_sampled == scan_source(LiveSource(leaky), parse_rules(RULES), sample=100).values_sampled


# ---------------------------------------------------------------- what a column's values are, as a whole


def _shape(name: str, values: list[str], family: str = "text", **detected: int) -> str | None:
    verdict = column_shapes.column_shape(name, family, values, detected)
    return verdict.shape if verdict else None


def test_digit_only_phones_by_their_prefixes_in_a_phone_column_or_beside_detected_phones() -> None:
    us = [f"{212 + i}{555 + i}{i:04d}" for i in range(50)]
    assert _shape("phone", us) == "PHONE"
    assert _shape("contact", us[:30] + ["+44 7911 123456"] * 20, PHONE=20) == "PHONE"  # beside detected phones
    assert _shape("reference", us) is None  # ten digits in a column named for ids: ids
    assert _shape("phone", ["0000000000"] * 10) is None  # placeholders
    scanned = scan_column("public.customers", "mobile", "keep", us + ["09012345678"] * 9, PiiDetector())
    assert scanned is not None and scanned.hits == scanned.sampled == 59 and scanned.suggestion == "phone"


def test_logins_made_of_names_photos_postal_codes_streets_and_secrets() -> None:
    assert _shape("login", ["jsmith", "mary.jones", "asmith2", "k.takahashi", "april.houston"]) == "USERNAME"
    assert _shape("username", ["open", "closed", "pending", "shipped"]) is None  # words, not names
    assert _shape("photo", ["\\x89504e470d0a1a0a00", "\\xffd8ffe000104a46"], "bytea") == "PHOTO"
    assert _shape("logo", ["\\x89504e470d0a1a0a00"] * 3, "bytea") is None  # a shop's logo: nobody's photo
    assert _shape("attachment", ["\\x255044462d312e34"] * 3, "bytea") == "PHOTO"  # a scanned PDF
    assert _shape("postal_code", ["94107", "SW1A 1AA", "100-0001", "73301"]) == "POSTAL_CODE"
    assert _shape("amount", ["94107", "12000", "73301", "55555"]) is None  # five digits, named for something else
    assert _shape("street_address", ["1012 Julia Dam", "14 High Street", "Flat 3, 22 Station Rd"]) == "ADDRESS"
    bcrypt = ["$2b$12$" + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZa"] * 3
    assert _shape("pw", bcrypt) == "SECRET"  # a password hash's shape needs no name
    tokens = ["bc_live_Xk2Lq9ZpR7TnV3mWc8YhJ4dFs6GbN1aQ", "bc_live_Yk2Lq9ZpR7TnV3mWc8YhJ4dFs6GbN1aP"]
    assert _shape("api_token", tokens) == "SECRET"
    assert _shape("provider_txn_id", ["ch_3Xk2Lq9ZpR7TnV3mWc8YhJ4dF", "ch_3Yk2Lq9ZpR7TnV3mWc8YhJ4dF"]) is None  # ids
    assert _shape("sku", ["SKU-000001", "SKU-000002"]) is None


def test_coordinates_at_street_precision() -> None:
    assert _shape("latitude", ["35.046945", "51.422500"], "numeric") == "COORDINATES"
    assert _shape("location", ["(-0.314828,51.4225)", "(139.7671,35.6812)"], "other") == "COORDINATES"
    assert _shape("latitude", ["35.0", "51.4"], "numeric") is None  # a town's, not a door's


STRANGER = """
CREATE TABLE staff (id int PRIMARY KEY, username text, photo bytea, pin_hash text, emails text[],
                    phone text, home address_t);
CREATE TABLE stores (id int PRIMARY KEY, street_address text, lat numeric(9,6), lon numeric(9,6), spot point);
CREATE TABLE depots (id int PRIMARY KEY, code text, lat numeric(9,6), lon numeric(9,6));
"""


def test_scan_names_kept_columns_of_every_type_that_hold_personal_data(pg_database: str) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
    with psycopg.connect(pg_database) as conn:
        conn.execute("CREATE TYPE address_t AS (street text, city text, postal_code text)")
        conn.execute(STRANGER)
        logins = ["jsmith", "mary.jones", "asmith", "k.takahashi", "april.houston", "tom.baker"]
        for i, login in enumerate(logins):
            conn.execute(
                "INSERT INTO staff VALUES (%s, %s, %s, %s, %s, %s, ROW(%s, 'Springfield', %s))",
                (i, login, png, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo" + str(i),
                 [f"{login}@example.com", f"{login}@work.example.com"], f"41586753{i:02d}", f"{100 + i} Julia Dam",
                 f"SW1A {i}AA"),
            )  # fmt: skip
            conn.execute(
                "INSERT INTO stores VALUES (%s, %s, %s, %s, point(%s, %s))",
                (i, f"{10 + i} High Street", 51.422512 + i / 1000, -0.314828, -0.314828, 51.422512 + i / 1000),
            )
            conn.execute("INSERT INTO depots VALUES (%s, %s, %s, %s)", (i, f"D{i}", 35.046945 + i / 100, 139.7))
    rules = parse_rules(
        "version: 1\ntables:\n"
        "  staff: {columns: {id: keep, username: keep, photo: keep, pin_hash: keep, emails: keep, phone: keep,"
        " home: keep}}\n"
        "  stores: {columns: {id: keep, street_address: {transform: address, params: {part: street}}, lat: keep,"
        " lon: keep, spot: keep}}\n"
        "  depots: {columns: {id: keep, code: keep, lat: keep, lon: keep}}\n"
    )
    report = scan_source(LiveSource(pg_database), rules, sample=100)
    found = {f.where: (set(f.kinds), f.suggestion) for f in report.findings}
    assert found == {
        "public.staff.username": ({"USERNAME"}, "username"),
        "public.staff.photo": ({"PHOTO"}, "null"),
        "public.staff.pin_hash": ({"SECRET"}, "token"),
        "public.staff.emails": ({"EMAIL"}, "email"),  # each element of the array
        "public.staff.phone": ({"PHONE"}, "phone"),  # digit-only, in a phone column
        "public.staff.home": ({"ADDRESS", "POSTAL_CODE"}, "null"),  # a composite: no transform reaches inside
        # beside an address the rules replace: where it is
        "public.stores.lat": ({"COORDINATES"}, "coordinates"),
        "public.stores.lon": ({"COORDINATES"}, "coordinates"),
        "public.stores.spot": ({"COORDINATES"}, "coordinates"),
    }, found  # the depots' positions, with no address or person beside them, are nobody's


def test_ids_and_public_keys_under_key_names_are_no_secrets() -> None:
    uuids = ["3f2504e0-4f89-11d3-9a0c-0305e82c3301", "9b2d5c1e-2f0a-4c7e-8d3b-5a6f7e8c9d0a"] * 3
    assert _shape("idempotency_key", uuids) is None
    assert _shape("api_token", uuids) is None  # a UUID is an id, whatever the name says
    assert _shape("public_key", ["MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE="] * 3) is None
    assert _shape("secret_key", ["MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE="] * 3) == "SECRET"
