"""reflect_schema and the shipped SmartPOS rules, on a real PostgreSQL 15."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from anonymize.rules import check_coverage, load_rules, parse_rules, reflect_schema
from devkit.schema import metadata  # the one devkit import of these tests: the schema the rules must cover

SMARTPOS_RULES = Path(__file__).resolve().parents[2] / "anonymize" / "rules" / "smartpos.yml"

DDL = """
CREATE DOMAIN email_address AS varchar(80);
CREATE TYPE mood AS ENUM ('ok', 'meh');
CREATE SCHEMA crm;
CREATE TABLE crm.customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email email_address NOT NULL UNIQUE,
    name varchar(40) NOT NULL,
    kana text,
    code char(6),
    login text,
    amount numeric(10,2),
    created timestamptz DEFAULT now(),
    tags text[],
    feeling mood,
    payload jsonb,
    ip inet,
    full_name text GENERATED ALWAYS AS (name || ' ' || coalesce(kana, '')) STORED,
    dropped_later int,
    UNIQUE (code, login)
);
ALTER TABLE crm.customers DROP COLUMN dropped_later;
CREATE UNIQUE INDEX customers_login_key ON crm.customers (login);
CREATE TABLE public.events (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE VIEW public.customer_names AS SELECT name FROM crm.customers;
CREATE TEMP TABLE scratch (x int);
"""


def test_reflect_schema_reads_the_catalog(pg_database: str) -> None:
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(DDL)
        schema = reflect_schema(conn)
    assert set(schema) == {"crm.customers", "public.events"}  # no partitions, views, temp tables
    columns = {c.name: c for c in schema["crm.customers"]}
    assert list(columns) == [
        "id", "email", "name", "kana", "code", "login", "amount", "created", "tags", "feeling", "payload", "ip",
        "full_name",
    ]  # fmt: skip
    assert columns["id"].unique and not columns["id"].nullable and columns["id"].family == "integer"
    assert columns["email"].unique and columns["email"].pg_type == "email_address"
    assert columns["email"].family == "text" and columns["email"].max_length == 80  # via the domain's base type
    assert columns["name"].max_length == 40 and not columns["name"].nullable and not columns["name"].unique
    assert columns["code"].max_length == 6 and not columns["code"].unique  # only in a two-column unique
    assert columns["login"].unique  # unique index
    assert columns["amount"].family == "numeric" and columns["amount"].pg_type == "numeric(10,2)"
    assert columns["created"].family == "timestamp"
    assert columns["tags"].family == "other" and columns["feeling"].family == "other"
    assert columns["payload"].family == "json" and columns["ip"].family == "inet"
    assert columns["full_name"].generated and not columns["name"].generated
    assert columns["email"].table == "crm.customers" and columns["email"].qualified == "crm.customers.email"


def test_coverage_against_a_reflected_schema(pg_database: str) -> None:
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(DDL)
        schema = reflect_schema(conn)
    rules = parse_rules(
        """\
version: 1
tables:
  crm.customers:
    columns:
      id: keep
      email: email
      name: person_name
      kana: {transform: person_name, params: {script: katakana, key_column: name}}
      code: token
      login: {transform: person_name}
      amount: {transform: numeric_noise, params: {relative: 0.05}}
      created: date_shift
      tags: email
      feeling: email
      payload: {transform: json, params: {paths: {$.email: email}}}
      ip: ip
  events:
    skip_data: true
""",
        "rules.yml",
    )
    problems = check_coverage(rules, schema)
    assert len(problems) == 2, problems
    assert "rules.yml:10: crm.customers.login: person_name on a unique column needs key_column" in problems[0]
    # an array takes its elements' transform (anonymize/transformers/arrays.py); an enum is no e-mail
    assert "crm.customers.feeling: transform email can't produce" in problems[1]


@pytest.fixture
def smartpos_schema(pg_database: str) -> dict:
    engine = create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(pg_database), poolclass=NullPool)
    with engine.begin() as connection:
        metadata.create_all(connection)
    engine.dispose()
    with psycopg.connect(pg_database) as conn:
        return reflect_schema(conn)


def test_shipped_smartpos_rules_cover_the_schema(smartpos_schema: dict) -> None:
    assert len(smartpos_schema) == len(metadata.tables) >= 10
    rules = load_rules(SMARTPOS_RULES)
    assert check_coverage(rules, smartpos_schema) == []


def test_smartpos_rules_transform_every_pii_column(smartpos_schema: dict) -> None:
    """Every column devkit.schema marks as personal or secret has a rule other than keep."""
    rules = load_rules(SMARTPOS_RULES)
    for table in metadata.tables.values():
        for sa_column in table.columns:
            if "pii" in sa_column.info:
                rule = rules.tables[f"public.{table.name}"].columns[sa_column.name]
                assert rule.transform != "keep", f"{table.name}.{sa_column.name}"


def test_a_schema_change_fails_the_check(smartpos_schema: dict, pg_database: str) -> None:
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("ALTER TABLE orders ADD COLUMN customer_birthday date")
        conn.execute("ALTER TABLE staff_users DROP COLUMN phone")
        schema = reflect_schema(conn)
    problems = check_coverage(load_rules(SMARTPOS_RULES), schema)
    assert any("public.orders.customer_birthday: column has no rule" in p for p in problems)
    assert any("public.staff_users.phone: rule for a column that does not exist" in p for p in problems)
    assert len(problems) == 2


def test_an_optional_table_may_be_absent_or_present(smartpos_schema: dict, pg_database: str) -> None:
    rules = load_rules(SMARTPOS_RULES)
    assert rules.tables["public.devkit_seed_ledger"].optional
    assert "public.devkit_seed_ledger" not in smartpos_schema
    assert check_coverage(rules, smartpos_schema) == []
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE devkit_seed_ledger (id int)")
        schema = reflect_schema(conn)
    assert "public.devkit_seed_ledger" in schema
    assert check_coverage(rules, schema) == []  # present: skip_data needs no column rules
