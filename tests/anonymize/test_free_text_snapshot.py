"""A snapshot of a database whose free text repeats its customers' names, emails and phones (real PostgreSQL):
nothing of them is left behind, and each gets the very fake its structured column got — although the free-text
tables are streamed in parallel with (and in worker processes apart from) the customers table."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from faker import Faker

from anonymize.keys import Keyring
from anonymize.pipeline.run import run_snapshot
from anonymize.postgres import ClientTools
from anonymize.rules import load_rules, parse_rules
from anonymize.sinks import DatabaseSink
from anonymize.sources import LiveSource, Source, open_source
from testbed.servers import PostgresServer

KEY = Keyring(b"test-key-0123456789abcdef-free-text")
CUSTOMERS = 40
TOOLS = ClientTools.find()
SHIPPED = Path(__file__).resolve().parents[2] / "anonymize" / "rules" / "smartpos.yml"
SCHEMA = """
CREATE TABLE audit_logs (id int PRIMARY KEY, message text);          -- streamed first: its name sorts first
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE, phone text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers(id), note text);
CREATE TABLE webhook_events (id int PRIMARY KEY, payload jsonb);
"""
PRESIDIO = "{transform: free_text, params: {detector: presidio}}"
RULES = f"""
version: 1
tables:
  audit_logs:
    columns: {{id: keep, message: {PRESIDIO}}}
  customers:
    columns: {{id: keep, name: person_name, email: email, phone: phone}}
  orders:
    columns: {{id: keep, customer_id: keep, note: {PRESIDIO}}}
  webhook_events:
    columns:
      id: keep
      payload: {{transform: json, params: {{other_strings: {PRESIDIO}}}}}
"""


def _national(phone: str) -> str:
    """090-1234-5678 -> 90-1234-5678 (what follows +81)."""
    return phone[1:]


def _customers() -> list[tuple[int, str, str, str]]:
    fake = Faker("ja_JP")
    fake.seed_instance(5)
    rng = random.Random(5)
    rows, names, emails = [], set(), set()
    while len(rows) < CUSTOMERS:
        name, email = fake.name(), fake.email()
        if name in names or email in emails or " " not in name:
            continue
        names.add(name)
        emails.add(email)
        phone = f"0{rng.choice('789')}0-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        rows.append((len(rows) + 1, name, email, phone))
    return rows


def _free_text(customer: tuple[int, str, str, str]) -> tuple[str, str, dict]:
    """The note, audit message and webhook payload that repeat one customer's PII (other spellings too)."""
    _, name, email, phone = customer
    note = f"{name}様 {phone} 折り返し希望"
    message = f"顧客 {name.replace(' ', '')} の連絡先を {email.upper()} / +81 {_national(phone)} に変更"
    inner = json.dumps({"contact": {"tel": phone, "mail": email}, "memo": f"{name}様より"}, ensure_ascii=False)
    payload = {"event": "payment.completed", "amount": 1200, "body": inner, "remarks": f"問合せ {email}"}
    return note, message, payload


@pytest.fixture(scope="module")
def prod(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.database("prod_ft") as dsn:
        customers = _customers()
        with psycopg.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute(SCHEMA)
            cur.executemany("INSERT INTO customers VALUES (%s,%s,%s,%s)", customers)
            for customer in customers:
                note, message, payload = _free_text(customer)
                cur.execute("INSERT INTO orders VALUES (%s,%s,%s)", (customer[0], customer[0], note))
                cur.execute("INSERT INTO audit_logs VALUES (%s,%s)", (customer[0], message))
                cur.execute("INSERT INTO webhook_events VALUES (%s,%s)", (customer[0], json.dumps(payload)))
        yield dsn


def _rows(dsn: str, query: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query).fetchall()


@pytest.mark.parametrize(("source_kind", "jobs"), [("live", 1), ("live", 2), ("custom", 2), ("plain", 2)])
def test_free_text_gets_the_fakes_of_the_structured_columns(
    prod: str, pg_database: str, tmp_path: Path, source_kind: str, jobs: int
) -> None:
    if source_kind == "live":
        source: Source = LiveSource(prod)
    else:  # a pg_dump file: the known-values pre-pass reads the customers table from the file too
        dump = tmp_path / f"prod.{source_kind}"
        TOOLS.run(["pg_dump", f"--format={source_kind}", "-f", str(dump)], prod)
        source = open_source(str(dump), TOOLS)
    report = run_snapshot(source, DatabaseSink(pg_database), parse_rules(RULES), KEY, jobs=jobs)
    assert report.verification is not None and report.verification.passed
    assert any(note.startswith(f"known values: {CUSTOMERS * 3} ") for note in report.notes), report.notes

    source = {row[0]: row for row in _rows(prod, "SELECT id, name, email, phone FROM customers")}
    output = {row[0]: row for row in _rows(pg_database, "SELECT id, name, email, phone FROM customers")}
    notes = dict(_rows(pg_database, "SELECT id, note FROM orders"))
    messages = dict(_rows(pg_database, "SELECT id, message FROM audit_logs"))
    payloads = dict(_rows(pg_database, "SELECT id, payload FROM webhook_events"))
    everything = "\n".join(
        [*notes.values(), *messages.values(), *(json.dumps(p, ensure_ascii=False) for p in payloads.values())]
    )
    for cid, (_, name, email, phone) in source.items():
        # Nothing of the source is left, in any spelling.
        for value in (name, name.replace(" ", ""), email, email.upper(), phone, _national(phone)):
            assert value not in everything, f"customer {cid}: a source value survived in free text"
        # ... and every piece got the fake its column got, the honorific kept.
        _, fake_name, fake_email, fake_phone = output[cid]
        assert fake_name != name and fake_email != email and fake_phone != phone
        assert notes[cid] == f"{fake_name}様 {fake_phone} 折り返し希望"
        # (the email fake is lowercase whatever the input's case: emails are keyed case-insensitively)
        assert messages[cid].lower() == (
            f"顧客 {fake_name.replace(' ', '')} の連絡先を {fake_email} / +81 {_national(fake_phone)} に変更"
        )
        payload = payloads[cid]
        assert payload["event"] == "payment.completed" and payload["amount"] == 1200
        assert payload["remarks"] == f"問合せ {fake_email}"
        inner = json.loads(payload["body"])  # JSON inside a JSON string: decoded, faked, re-encoded
        assert inner == {"contact": {"tel": fake_phone, "mail": fake_email}, "memo": f"{fake_name}様より"}


def test_shipped_rules_on_a_seeded_smartpos_database(pg_database: str, postgres_server: PostgresServer) -> None:
    """The shipped rules (PII detector on notes, audit details and webhook payloads): verified, and an order's
    notes name the same fake customer and phone as its columns."""
    from devkit.seed.load import load
    from tests.seed.conftest import make_world

    load(pg_database, make_world(), "dev")
    target = postgres_server.dsn(f"dev_ft_{uuid.uuid4().hex[:8]}")
    report = run_snapshot(LiveSource(pg_database), DatabaseSink(target), load_rules(SHIPPED), KEY, jobs=2)
    try:
        assert report.verification is not None and report.verification.passed
        query = "SELECT id, customer_name, customer_phone, customer_email, notes FROM orders WHERE notes IS NOT NULL"
        source, output = _rows(pg_database, query), {row[0]: row for row in _rows(target, query)}
        checked = 0
        for oid, name, phone, email, notes in source:
            _, fake_name, fake_phone, fake_email, fake_notes = output[oid]
            for value, fake in ((name, fake_name), (phone, fake_phone), (email, fake_email)):
                if value and value in notes:
                    assert value not in fake_notes and fake in fake_notes, (oid, fake_notes)
                    checked += 1
        assert checked >= 5  # the small profile: ~800 orders, a few notes repeat the customer
    finally:
        _drop(postgres_server, target)


def _drop(server: PostgresServer, dsn: str) -> None:
    name = dsn.rsplit("/", 1)[-1]
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
