"""The leak check's at-scale rules through a whole run on real PostgreSQL 15 (worker processes included): units,
one-name logins and realistic fakes equal to other rows' real values publish, counted in the report; a full
address line left at a kept JSON path still fails and publishes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest

from anonymize.columns import ColumnInfo
from anonymize.keys import Keyring
from anonymize.pipeline.run import VerificationError, run_snapshot
from anonymize.rules import ColumnRule, parse_rules
from anonymize.sinks import DatabaseSink
from anonymize.sources import LiveSource
from anonymize.transformers.factory import build_transformer
from testbed.servers import PostgresServer

KEY = Keyring(b"test-key-0123456789abcdef-verify-scale-pg")
REAL_LINE = "1234 Elm Street"
RULES = """
version: 1
tables:
  addresses:
    columns:
      id: keep
      address1: {transform: address, params: {part: street, locale: us}}
      address2: {transform: address, params: {part: building}}
  staff:
    columns: {id: keep, username: {transform: username, params: {key_column: id}}}
  reviews:
    columns: {id: keep, body: {transform: free_text, params: {detector: regex}}}
  orders:
    columns:
      id: keep
      shipping: {transform: json, params: {other_strings: {transform: free_text, params: {detector: regex}},
                 paths: {"$.address.line1": LINE1, "$.address.line2": {transform: address, params: {part: building}}}}}
"""
STREET = "{transform: address, params: {part: street, locale: us}}"


@pytest.fixture(scope="module")
def source(postgres_server: PostgresServer) -> Iterator[str]:
    street = ColumnRule.model_validate({"transform": "address", "params": {"part": "street", "locale": "us"}})
    fake = build_transformer(street, ColumnInfo("public.addresses", "address1", "text"), KEY).transform(REAL_LINE, {})
    assert fake is not None and fake != REAL_LINE
    orders = [
        {"address": {"line1": REAL_LINE, "line2": "Apt 12B"}, "instructions": "Suite 870"},  # line1's fake: row 2's
        {"address": {"line1": "9 Oak Road", "line2": "Suite 870"}, "instructions": "Ring twice"},
    ]
    with postgres_server.database("scale") as dsn:
        with psycopg.connect(dsn) as conn:
            conn.execute(
                "CREATE TABLE addresses (id bigint PRIMARY KEY, address1 text, address2 text);"
                "CREATE TABLE staff (id bigint PRIMARY KEY, username text UNIQUE);"
                "CREATE TABLE reviews (id bigint PRIMARY KEY, body text);"
                "CREATE TABLE orders (id bigint PRIMARY KEY, shipping jsonb)"
            )
            conn.execute(
                "INSERT INTO addresses VALUES (1, %s, 'Suite 870'), (2, %s, 'Apt 12B'), (3, '7 Hill Lane', NULL)",
                (REAL_LINE, fake),  # row 1's fake is row 2's real line
            )
            conn.execute("INSERT INTO staff VALUES (1, 'kota'), (2, 'bray'), (3, 'jsmith')")
            conn.execute("INSERT INTO reviews VALUES (1, 'Kota was great'), (2, 'Bray'), (3, 'Suite 870')")
            for i, document in enumerate(orders, 1):
                conn.execute("INSERT INTO orders VALUES (%s, %s)", (i, json.dumps(document)))
        yield dsn


def test_units_logins_and_realistic_collisions_publish_counted(source: str, pg_database: str) -> None:
    rules = parse_rules(RULES.replace("LINE1", STREET))
    report = run_snapshot(LiveSource(source), DatabaseSink(pg_database), rules, KEY, jobs=2)
    verification = report.verification
    assert verification is not None and verification.passed
    assert verification.realistic_collisions == {"public.addresses.address1": 1, "public.orders.shipping": 1}
    assert verification.coincidences["public.reviews.body"] == 3  # "kota", "bray", "suite 870": counted
    assert any(note.startswith("public.orders.shipping: 1 fake(s) equal to real values") for note in report.notes)


def test_a_full_address_line_left_in_place_still_fails(source: str, pg_database: str) -> None:
    rules = parse_rules(RULES.replace("LINE1", "keep"))
    with pytest.raises(VerificationError) as caught:
        run_snapshot(LiveSource(source), DatabaseSink(pg_database), rules, KEY, jobs=2)
    verification = caught.value.report.verification
    assert verification is not None
    assert verification.leaks == {"public.orders.shipping": 1}
    assert "public.addresses.address1 (address rule)" in caught.value.message
    assert "Elm" not in caught.value.message
