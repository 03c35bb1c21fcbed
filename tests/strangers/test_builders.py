"""The stranger databases build, deterministically and to scale, and their oracles tell the truth: every planted
value is in the source where the oracle says, every locale value is of a listed kind, the ids are where the
payloads say, and the 19-digit ids that pass Luhn really do. On real PostgreSQL 15."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from types import ModuleType

import psycopg
import pytest

from testbed.servers import PostgresServer
from testbed.strangers import marketplace, payments
from testbed.strangers.locations import parse, read_values
from tests.strangers import checks
from tests.strangers.checks import Needles, classify, searchable
from tests.strangers.harness import ids_of, in_place_only_of, locale_of, name_of
from tests.strangers.report import builders

# Every builder module there is (testbed/strangers/pgfeatures.py too, once it exists): the oracle tests hold for all.
BUILDERS = tuple(builders(None))


@pytest.fixture(scope="module")
def built(postgres_server: PostgresServer) -> Iterator[dict[str, tuple[str, dict[str, int]]]]:
    """Each builder's database at scale 1.0: name -> (DSN, rows per table)."""
    with ExitStack() as stack:
        out = {}
        for builder in BUILDERS:
            dsn = stack.enter_context(postgres_server.database(name_of(builder)))
            out[name_of(builder)] = (dsn, builder.build(dsn))
        yield out


def by_name(builder: ModuleType) -> str:
    return name_of(builder)


@pytest.mark.parametrize("builder", BUILDERS, ids=by_name)
def test_default_size_is_small_enough_for_tests(builder: ModuleType, built: dict) -> None:
    _, counts = built[name_of(builder)]
    assert sum(counts.values()) <= 5000, counts
    assert name_of(builder) not in ("marketplace", "payments") or sum(counts.values()) >= 2000, counts


@pytest.mark.parametrize("builder", BUILDERS, ids=by_name)
def test_every_planted_value_is_found_in_the_source(builder: ModuleType, built: dict) -> None:
    """The search the leak check runs on the output finds every planted value in the source: the oracle is true
    and the search can see each kind of value (bytea, points, numerics, JSON leaves, names inside text)."""
    dsn, _ = built[name_of(builder)]
    planted = builder.personal_values(dsn)
    assert len(planted) >= 10 and all(planted.values())
    in_place_only = in_place_only_of(builder)
    needles = Needles({k: v for k, v in planted.items() if k not in in_place_only}, searchable)
    with psycopg.connect(dsn) as conn:
        tallies = checks.find_planted(conn, needles)
    found = set().union(*(tally.needles for tally in tallies.values()))
    assert set(needles.owners) - found == set()


@pytest.mark.parametrize("builder", BUILDERS, ids=by_name)
def test_every_planted_value_sits_in_its_own_location(builder: ModuleType, built: dict) -> None:
    """Compared with itself, every location keeps all its planted values in place: each location holds what the
    oracle says it holds (the in-place check reads each row's own value)."""
    dsn, _ = built[name_of(builder)]
    planted = builder.personal_values(dsn)
    with psycopg.connect(dsn) as conn:
        problems = checks.check_in_place(conn, conn, planted)
    counts = {}
    for problem in problems:
        match = re.fullmatch(r"(.+): (\d+) of (\d+) planted value\(s\) unchanged in their row", problem.text)
        assert match, problem.text
        counts[match.group(1)] = (int(match.group(2)), int(match.group(3)))
    readable = {location for location in planted if parse(location).readable_in_place}
    assert set(counts) == readable
    assert all(survived == total > 0 for survived, total in counts.values()), counts


@pytest.mark.parametrize("builder", BUILDERS, ids=by_name)
def test_every_locale_value_is_of_a_listed_kind_and_every_kind_occurs(builder: ModuleType, built: dict) -> None:
    dsn, _ = built[name_of(builder)]
    seen: dict[str, set[str]] = {}
    with psycopg.connect(dsn) as conn:
        for text, kinds in locale_of(builder).items():
            values = list(read_values(conn, parse(text)))
            assert values, text
            seen[text] = {classify(value, kinds) for value in values}
            assert None not in seen[text], f"{text}: a value of none of {kinds}"
    # every kind a location lists is met there (a kind nobody holds would check nothing)
    assert {text: set(kinds) - seen[text] for text, kinds in locale_of(builder).items()} == {
        text: set() for text in locale_of(builder)
    }


@pytest.mark.parametrize("builder", BUILDERS, ids=by_name)
def test_id_locations_hold_values(builder: ModuleType, built: dict) -> None:
    dsn, _ = built[name_of(builder)]
    with psycopg.connect(dsn) as conn:
        for text in ids_of(builder):
            assert next(read_values(conn, parse(text)), None) is not None, text


def test_marketplace_has_the_shapes_the_issue_names(built: dict) -> None:
    dsn, _ = built["marketplace"]
    planted = marketplace.personal_values(dsn)
    names = planted["public.reviews.body"]
    assert any(name.isascii() for name in names) and any(not name.isascii() for name in names)
    with psycopg.connect(dsn) as conn:
        phones = [v for (v,) in conn.execute("SELECT phone FROM customers WHERE phone IS NOT NULL")]
        assert sum(re.fullmatch(r"\d{10}", p) is not None for p in phones) >= 50  # digit-only US phones
        assert conn.execute("SELECT count(*) FROM addresses WHERE address2 IS NOT NULL").fetchone()[0] >= 100
        assert conn.execute("SELECT count(*) FROM staff WHERE photo IS NOT NULL").fetchone()[0] >= 10
        populated = conn.execute("SELECT ispopulated FROM pg_matviews WHERE matviewname = 'product_ratings'")
        assert populated.fetchone() == (True,)
        owner, acl = conn.execute(
            "SELECT pg_get_userbyid(nspowner), nspacl::text FROM pg_namespace WHERE nspname = 'public'"
        ).fetchone()
        assert owner == "postgres" and "=UC/" in acl  # as a cluster upgraded from 14 has it


def test_payment_ids_that_pass_luhn_really_pass_it_and_sit_in_the_payloads(built: dict) -> None:
    dsn, _ = built["payments"]
    lucky = payments.luhn_valid_txn_ids(dsn)
    assert len(lucky) >= 20
    assert all(len(value) == 19 and _luhn_reference(value) for value in lucky)
    with psycopg.connect(dsn) as conn:
        in_payloads = {
            value
            for (value,) in conn.execute(
                "SELECT coalesce(payload->>'transaction_id', payload->>'reference') FROM webhook_events"
            )
        }
        assert len(lucky & in_payloads) >= 15  # the same ids in a plain column and in the JSON
        mismatched = conn.execute(
            "SELECT count(*) FROM webhook_events w JOIN payments p ON p.id = w.payment_id"
            " WHERE coalesce(w.payload->'data'->'object'->>'charge', w.payload->'data'->'object'->>'id',"
            " w.payload->>'transaction_id', w.payload->>'reference') <> p.provider_txn_id"
        ).fetchone()[0]
        assert mismatched == 0
        pans = [pan for (pan,) in conn.execute("SELECT card_pan FROM payments WHERE card_pan IS NOT NULL")]
        assert pans and all(_luhn_reference(pan) for pan in pans)
        pieces = conn.execute(
            "SELECT count(*) FROM webhook_events w JOIN payments p ON p.id = w.payment_id"
            " WHERE w.payload #>> '{data,object,payment_method_details,card,last4}' = right(p.card_pan, 4)"
        ).fetchone()[0]
        assert pieces >= 200  # the real card's last four digits beside its holder in the payload


@pytest.mark.parametrize("builder", BUILDERS, ids=by_name)
def test_builds_are_deterministic_per_seed_and_scale(builder: ModuleType, postgres_server: PostgresServer) -> None:
    results = []
    for seed in (1, 1, 2):
        with postgres_server.database(name_of(builder)) as dsn:
            counts = builder.build(dsn, scale=0.5, seed=seed)
            results.append((counts, builder.personal_values(dsn)))
    assert results[0] == results[1]
    assert results[0][1] != results[2][1]


@pytest.mark.parametrize("builder", BUILDERS, ids=by_name)
def test_sizes_scale(builder: ModuleType, built: dict, postgres_server: PostgresServer) -> None:
    _, full = built[name_of(builder)]
    with postgres_server.database(name_of(builder)) as dsn:
        half = builder.build(dsn, scale=0.5)
    assert half.keys() == full.keys()
    # Reference tables (a product catalogue) keep their size; everything else halves, and so does the whole.
    for table, rows in full.items():
        assert half[table] == rows or 0.3 * rows <= half[table] <= 0.7 * rows, (table, half[table], rows)
    assert 0.3 * sum(full.values()) <= sum(half.values()) <= 0.7 * sum(full.values())


def _luhn_reference(number: str) -> bool:
    """Luhn written the textbook way, independent of the builders' generator."""
    digits = [int(d) for d in number]
    return (sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])) % 10 == 0
