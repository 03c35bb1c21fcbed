"""A snapshot whose rules file adds recognizers in Presidio's own forms (real PostgreSQL): what Presidio's
AnalyzerEngine finds in the source's free text with those recognizers is gone from the output, in the forked
workers too; without the `pii:` section the same values pass (devkit's own recognizers don't know them)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from anonymize.keys import Keyring
from anonymize.pii.analyzer import language_of
from anonymize.pii.hook import shared_detector
from anonymize.pipeline.run import run_snapshot
from anonymize.rules import load_rules
from anonymize.scan import scan_source
from anonymize.sinks import DatabaseSink
from anonymize.sources import LiveSource
from testbed.servers import PostgresServer

KEY = Keyring(b"test-key-0123456789abcdef-presidio-rules")
HERE = Path(__file__).resolve().parent / "pii" / "presidio_rules"
SCHEMA = """
CREATE TABLE orders (id int PRIMARY KEY, note text);
CREATE TABLE shifts (id int PRIMARY KEY, details jsonb);
"""
NOTES = [
    "社員番号 E{n:06d} が返品対応",
    "employee E{n:06d} refunded the order",
    "会員番号 M-{a:04d}-{b:04d} ポイント付与",
    "対応: 佐藤主任",
    "山田店長 から電話 TEL 090-1234-{n4:04d}",
]
PII = """
pii:
  recognizers:
    - yaml: recognizers.yaml
  entities: {EMPLOYEE_ID: bank_account, MEMBER_NUMBER: bank_account, TITLE: person}
"""
RULES = """
version: 1
tables:
  orders:
    columns: {id: keep, note: {transform: free_text, params: {detector: presidio}}}
  shifts:
    columns:
      id: keep
      details: {transform: json, params: {other_strings: {transform: free_text, params: {detector: presidio}}}}
"""


@pytest.fixture(scope="module")
def prod(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.database("prod_presidio_rules") as dsn:
        with psycopg.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute(SCHEMA)
            for i in range(1, 41):
                note = NOTES[i % len(NOTES)].format(n=100_000 + i, a=1000 + i, b=2000 + i, n4=i)
                cur.execute("INSERT INTO orders VALUES (%s, %s)", (i, note))
                cur.execute("INSERT INTO shifts VALUES (%s, %s)", (i, json.dumps({"memo": note, "n": i})))
        yield dsn


def _rules(tmp_path: Path, pii: bool) -> Path:
    shutil.copy(HERE / "recognizers.yaml", tmp_path / "recognizers.yaml")
    path = tmp_path / "rules.yaml"
    path.write_text(RULES + (PII if pii else ""), encoding="utf-8")
    return path


def _texts(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        notes = [row[0] for row in conn.execute("SELECT note FROM orders ORDER BY id")]
        memos = [row[0]["memo"] for row in conn.execute("SELECT details FROM shifts ORDER BY id")]
    return notes + memos


def test_values_analyzer_engine_finds_are_replaced(prod: str, pg_database: str, tmp_path: Path) -> None:
    rules = load_rules(_rules(tmp_path, pii=True))
    (presidio,) = rules.pii_recognizers
    engine = presidio.reference_analyzer()
    found = {
        text[r.start : r.end]
        for text in _texts(prod)
        for r in engine.analyze(text, language_of(text, presidio.languages))
        if r.score >= 0.5  # the detector's minimum score
    }
    assert {"E100001", "M-1002-2002", "佐藤主任", "山田店長"} <= found
    report = run_snapshot(LiveSource(prod), DatabaseSink(pg_database), rules, KEY, jobs=2)
    assert report.verification is not None and report.verification.passed
    output = "\n".join(_texts(pg_database))
    assert not [value for value in found if value in output]
    assert "返品対応" in output and "ポイント付与" in output  # only the found values changed


def test_without_the_pii_section_they_pass(prod: str, pg_database: str, tmp_path: Path) -> None:
    report = run_snapshot(LiveSource(prod), DatabaseSink(pg_database), load_rules(_rules(tmp_path, False)), KEY)
    assert report.verification is not None and report.verification.passed
    output = "\n".join(_texts(pg_database))
    assert "E100001" in output and "佐藤主任" in output and "090-1234-0004" not in output
    assert shared_detector().recognizers == shared_detector()._own  # the run's detector has no extra recognizers


KEPT = """
version: 1
tables:
  orders:
    columns: {id: keep, note: keep}
  shifts:
    columns:
      id: keep
      details: {transform: json, params: {other_strings: {transform: free_text, params: {detector: presidio}}}}
"""


def test_scan_finds_with_the_rules_recognizers(prod: str, tmp_path: Path) -> None:
    """`devkit scan` reads the same `pii:` section: a kept column holding what they find is a finding of their kinds;
    a free_text column using them is not."""
    shutil.copy(HERE / "recognizers.yaml", tmp_path / "recognizers.yaml")
    (tmp_path / "rules.yaml").write_text(KEPT + PII, encoding="utf-8")
    report = scan_source(LiveSource(prod), load_rules(tmp_path / "rules.yaml"))
    (finding,) = report.findings
    assert (finding.table, finding.column, finding.rule) == ("public.orders", "note", "keep")
    assert finding.kinds["BANK_ACCOUNT"] == 24 and finding.kinds["PERSON"] == 16  # ids, member numbers; staff
    (tmp_path / "rules.yaml").write_text(KEPT, encoding="utf-8")
    (finding,) = scan_source(LiveSource(prod), load_rules(tmp_path / "rules.yaml")).findings
    assert "BANK_ACCOUNT" not in finding.kinds  # devkit's own recognizers don't know the ids
