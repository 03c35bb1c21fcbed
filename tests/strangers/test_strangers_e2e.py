"""The documented flow on databases devkit has never seen (issue 13), through the real CLI on real PostgreSQL 15:
`rules init` with the draft left untouched, `snapshot --anonymize`, then every check of the harness.

`MUST_PASS` lists the (database, check) pairs that hold today. A check that fails today is not skipped or marked
xfail here: it is in the gap report (`python -m tests.strangers.report`) until a fix makes it pass, and then the
fix adds its pair to this table -- one line.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from testbed.servers import PostgresServer
from tests.strangers import harness
from tests.strangers.checks import Needles, searchable
from tests.strangers.report import builders

# Every builder module there is: testbed/strangers/pgfeatures.py joins by existing, its passing pairs by a line below.
BUILDERS = {harness.name_of(builder): builder for builder in builders(None)}

MUST_PASS: list[tuple[str, str]] = [
    ("marketplace", "published"),
    ("marketplace", "row_counts"),
    ("marketplace", "foreign_keys"),
    ("marketplace", "sequences"),
    ("marketplace", "ids"),
    ("marketplace", "leaks"),
    ("marketplace", "leaks_dump"),
    ("marketplace", "in_place"),
    ("marketplace", "scan_weakened"),
    ("marketplace", "scan_draft"),
    ("marketplace", "schema"),
    ("marketplace", "matviews"),
    ("marketplace", "locale"),
    ("pgfeatures", "published"),
    ("pgfeatures", "row_counts"),
    ("pgfeatures", "foreign_keys"),
    ("pgfeatures", "sequences"),
    ("pgfeatures", "schema"),
    ("pgfeatures", "matviews"),
    ("pgfeatures", "ids"),
    ("pgfeatures", "locale"),
    ("pgfeatures", "scan_weakened"),
    ("pgfeatures", "leaks"),
    ("pgfeatures", "leaks_dump"),
    ("pgfeatures", "in_place"),
    ("pgfeatures", "scan_draft"),
    ("payments", "published"),
    ("payments", "row_counts"),
    ("payments", "foreign_keys"),
    ("payments", "sequences"),
    ("payments", "schema"),
    ("payments", "matviews"),
    ("payments", "locale"),
    ("payments", "ids"),
    ("payments", "leaks"),
    ("payments", "leaks_dump"),
    ("payments", "in_place"),
    ("payments", "scan_weakened"),
    ("payments", "scan_draft"),
]


@pytest.fixture(scope="module")
def outcome_of(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], harness.Outcome]:
    """database name -> the harness's outcome on it, built and measured once per module."""
    outcomes: dict[str, harness.Outcome] = {}

    def get(name: str) -> harness.Outcome:
        if name not in outcomes:
            builder = BUILDERS[name]
            with postgres_server.database(name) as source_dsn:
                builder.build(source_dsn)
                outcomes[name] = harness.run(builder, postgres_server, source_dsn, tmp_path_factory.mktemp(name))
        return outcomes[name]

    return get


@pytest.mark.parametrize(("database", "check"), MUST_PASS)
def test_check_passes(outcome_of: Callable[[str], harness.Outcome], database: str, check: str) -> None:
    problems = outcome_of(database).checks[check]
    assert not problems, "\n".join(str(problem) for problem in problems)


def test_the_table_names_real_checks_and_databases() -> None:
    assert {check for _, check in MUST_PASS} <= set(harness.CHECKS)
    assert {database for database, _ in MUST_PASS} <= set(BUILDERS)


def test_every_check_runs_on_every_database(outcome_of: Callable[[str], harness.Outcome]) -> None:
    """Each database gets a verdict for every check (a failing one is reported, never silently missing), and
    the timings the report prints were taken."""
    for name in BUILDERS:
        outcome = outcome_of(name)
        assert set(outcome.checks) == set(harness.CHECKS), name
        assert {"rules_init", "snapshot"} <= set(outcome.seconds), name
        assert "copy" in outcome.seconds or any("untransformed" in note for note in outcome.notes), name
        assert outcome.weakened, f"{name}: the weakened draft weakened nothing"


def test_problems_name_places_never_values(outcome_of: Callable[[str], harness.Outcome]) -> None:
    """What CI prints names locations, kinds and counts; a planted value may only be a problem's `example`,
    which the gap report shows on request."""
    for name in BUILDERS:
        outcome = outcome_of(name)
        needles = Needles(outcome.planted, searchable)
        texts = [problem.text.lower() for problems in outcome.checks.values() for problem in problems]
        assert [text for text in texts if next(needles.find(text), None)] == [], name
