"""The snapshot's domain functions the CLI calls (devkit.snapshot): `--check`, the subset's plan and `rules init`'s
draft, called directly on a real PostgreSQL 15 (reachable before only through the CLI)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from anonymize.rules import parse_rules
from anonymize.subset.spec import build_spec
from devkit.config import load_settings
from devkit.errors import RefusedError
from devkit.snapshot import check_snapshot, draft_from_source, plan_subset
from testbed.servers import PostgresServer
from tests.anonymize.prodlike import RULES, build_prodlike


@pytest.fixture(scope="module")
def prod(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.database("domain_prod") as dsn:
        build_prodlike(dsn, customers=20, seed=5)
        yield dsn


def _settings(tmp_path: Path, prod: str, dev: str):
    (tmp_path / "devkit.toml").write_text('[stack]\nproject = "domain"\n')
    return load_settings(cwd=tmp_path, environ={"DEVKIT_DEV_DSN": dev, "DEVKIT_PRODUCTION_DSN": prod})


def test_check_covers_the_schema_and_names_what_is_missing(tmp_path: Path, prod: str, pg_database: str) -> None:
    settings = _settings(tmp_path, prod, pg_database)
    checked, source, target_dsn = check_snapshot(settings, prod, "dev", None, parse_rules(RULES))
    assert (checked.problems, checked.missing, target_dsn) == ([], [], pg_database)
    assert checked.tables == 6 and source.live
    partial = parse_rules(RULES.replace("      phone: phone\n", ""))
    checked, _, _ = check_snapshot(settings, prod, "dev", tmp_path / "out.dump", partial)
    assert any("customers.phone" in problem for problem in checked.problems), checked.problems
    with pytest.raises(RefusedError, match="'production': it is marked production"):
        check_snapshot(settings, prod, "production", None, parse_rules(RULES))


def test_the_subset_plan_reaches_children_from_the_roots(tmp_path: Path, prod: str, pg_database: str) -> None:
    settings = _settings(tmp_path, prod, pg_database)
    spec = build_spec(None, ["public.merchants: id in (select id from merchants order by id limit 1)"], None)
    plan = plan_subset(settings, prod, "dev", parse_rules(RULES), spec)
    kept = {line.table: line.mode for line in plan.lines}
    assert "public.merchants" in kept and "public.customers" in kept and "public.orders" in kept


def test_the_draft_rules_every_column_and_scans_on_request(tmp_path: Path, prod: str, pg_database: str) -> None:
    settings = _settings(tmp_path, prod, pg_database)
    text, schema = draft_from_source(settings, prod, "dev", scan=False, sample=10)
    assert len(schema) == 6 and "customers" in text and "email: email" in text
    assert parse_rules(text).tables  # the draft is a rules file
    scanned, _ = draft_from_source(settings, prod, "dev", scan=True, sample=10)
    assert scanned != text  # sampled values add what names alone don't tell
