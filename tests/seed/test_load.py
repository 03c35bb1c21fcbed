"""Seeding real PostgreSQL 15: identical content, no-op re-seeds, convergence, integrity, verify."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import psycopg
import pytest

from devkit.schema import TABLES
from devkit.seed.checksum import jsonb_text
from devkit.seed.generate import entity_id
from devkit.seed.load import expected_manifest, load
from devkit.seed.transactions import blocks_of
from devkit.seed.verify import verify
from tests.seed.conftest import make_world, staging_world


def content_hashes(dsn: str) -> dict[str, str]:
    """Every table's full content, hashed by PostgreSQL itself (independent of devkit's checksum code)."""
    with psycopg.connect(dsn) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        return {
            table.name: conn.execute(
                "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY id)), '')"
                f' FROM "{table.name}" t'
            ).fetchone()[0]
            for table in TABLES
        }


@pytest.fixture
def second_database(postgres_server) -> Iterator[str]:
    with postgres_server.database() as dsn:
        yield dsn


def test_two_databases_seeded_alike_hold_identical_content(pg_database: str, second_database: str) -> None:
    first = load(pg_database, make_world(), "dev")
    second = load(second_database, make_world(), "staging")
    assert first.action == second.action == "loaded"
    assert first.manifest.checksums == second.manifest.checksums
    hashes = content_hashes(pg_database)
    assert hashes == content_hashes(second_database)
    assert int(hashes["orders"].split(":")[0]) == make_world().order_count


def test_reseeding_is_a_no_op(pg_database: str) -> None:
    load(pg_database, make_world(), "dev")
    before = content_hashes(pg_database)
    with psycopg.connect(pg_database) as conn:
        xmins = conn.execute("SELECT string_agg(xmin::text, ',' ORDER BY id) FROM orders").fetchone()[0]
    again = load(pg_database, make_world(), "dev")
    assert again.action == "unchanged"
    assert content_hashes(pg_database) == before
    with psycopg.connect(pg_database) as conn:
        assert conn.execute("SELECT string_agg(xmin::text, ',' ORDER BY id) FROM orders").fetchone()[0] == xmins
        assert conn.execute("SELECT count(*) FROM devkit_seed_ledger").fetchone()[0] == 1


def test_reseeding_converges_and_spares_rows_the_seed_does_not_own(pg_database: str, second_database: str) -> None:
    load(pg_database, make_world(seed=2), "dev")
    store_1 = entity_id("store", "1-1")
    foreign_order = uuid.uuid4()  # made by an integration test: test data, but not the seed's (v4 id)
    with psycopg.connect(pg_database) as conn:
        conn.execute(
            "INSERT INTO orders (id, store_id, device_id, order_no, status, subtotal_10, subtotal_8, tax_10, tax_8,"
            " total, ordered_at, is_test) VALUES (%s, %s, %s, 'IT-1', 'open', 100, 0, 10, 0, 110, now(), true)",
            (foreign_order, store_1, entity_id("device", "1-1-1")),
        )
    result = load(pg_database, make_world(seed=1), "dev")
    assert result.action == "converged"
    assert any(change.deleted for change in result.changes.values())
    load(second_database, make_world(seed=1), "dev")
    with psycopg.connect(pg_database) as conn:
        assert conn.execute("SELECT count(*) FROM orders WHERE id = %s", (foreign_order,)).fetchone()[0] == 1
        conn.execute("DELETE FROM orders WHERE id = %s", (foreign_order,))
    hashes = content_hashes(pg_database)
    assert hashes == content_hashes(second_database)


def test_integrity_and_totals_hold_in_the_database(pg_database: str) -> None:
    load(pg_database, make_world(), "dev")
    with psycopg.connect(pg_database) as conn:
        bad_totals = conn.execute(
            "SELECT count(*) FROM orders o JOIN (SELECT order_id, sum(amount) FILTER (WHERE tax_rate = 10) AS s10,"
            " sum(amount) FILTER (WHERE tax_rate = 8) AS s8 FROM order_items GROUP BY order_id) i ON i.order_id = o.id"
            " WHERE o.total <> coalesce(i.s10, 0) + coalesce(i.s8, 0) + floor(coalesce(i.s10, 0) * 0.10)"
            " + floor(coalesce(i.s8, 0) * 0.08)"
        ).fetchone()[0]
        assert bad_totals == 0
        assert (
            conn.execute(
                "SELECT count(*) FROM orders o JOIN bills b ON b.order_id = o.id WHERE b.total <> o.total"
            ).fetchone()[0]
            == 0
        )
        assert (
            conn.execute(
                "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM bills b WHERE b.order_id = o.id)"
            ).fetchone()[0]
            == 0
        )
        closed_unpaid = conn.execute(
            "SELECT count(*) FROM bills b WHERE b.status = 'closed' AND NOT EXISTS (SELECT 1 FROM payments p"
            " WHERE p.bill_id = b.id AND p.status = 'completed' AND p.amount = b.total)"
        ).fetchone()[0]
        assert closed_unpaid == 0
        assert (
            conn.execute("SELECT count(*) FROM payments WHERE status = 'declined' AND card_last4 <> '0002'").fetchone()[
                0
            ]
            == 0
        )
        assert conn.execute("SELECT bool_and(is_test) FROM payments").fetchone()[0] is True


def test_canonical_fixtures_exist(pg_database: str) -> None:
    load(pg_database, make_world(profile="small", seed=99), "dev")
    with psycopg.connect(pg_database) as conn:
        merchant = conn.execute("SELECT id, legal_name FROM merchants WHERE merchant_no = 1").fetchone()
        assert merchant == (entity_id("merchant", 1), "株式会社エムパックテスト商事")
        store = conn.execute("SELECT id FROM stores WHERE merchant_id = %s AND store_no = 1", (merchant[0],)).fetchone()
        device = conn.execute("SELECT store_id, status, public_key FROM devices WHERE serial = 'TEST123456'").fetchone()
        assert device[0] == store[0] and device[1] == "active" and device[2].startswith("-----BEGIN PUBLIC KEY-----")
        providers = conn.execute(
            "SELECT p.code, c.environment FROM merchant_payment_configs c JOIN payment_service_providers p"
            " ON p.id = c.provider_id WHERE c.merchant_id = %s ORDER BY p.code",
            (merchant[0],),
        ).fetchall()
        assert providers == [(code, "sandbox") for code in ("card_processor", "line_pay", "paypay", "rakuten_pay")]
        ledger = conn.execute(
            "SELECT profile, seed, devkit_version, row_counts, checksums FROM devkit_seed_ledger"
        ).fetchall()
        assert len(ledger) == 1 and ledger[0][:2] == ("small", 99) and ledger[0][3]["orders"] > 0
        assert set(ledger[0][4]) == {table.name for table in TABLES}


def test_verify_matches_then_names_the_tampered_table(pg_database: str) -> None:
    world = make_world()
    load(pg_database, world, "dev")
    assert all(check.ok for check in verify(pg_database, make_world()))
    with psycopg.connect(pg_database) as conn:
        conn.execute(
            "UPDATE order_items SET name = name || ' (edited)' WHERE ctid = (SELECT min(ctid) FROM order_items)"
        )
    failing = [check.table for check in verify(pg_database, make_world()) if not check.ok]
    assert failing == ["order_items"]
    assert load(pg_database, make_world(), "dev").action == "converged"
    assert all(check.ok for check in verify(pg_database, make_world()))


def test_checksum_rendering_of_jsonb_matches_postgres(pg_database: str) -> None:
    values = [
        {
            "b": 1,
            "aa": [1, "x"],
            "a": None,
            "ü": "日本語",
            "tab": 'a\tb"c\\d\u0001',
            "nested": {"zz": True, "y": False},
        },
        [],
        {},
        "plain",
    ]
    with psycopg.connect(pg_database) as conn:
        for value in values:
            text = conn.execute("SELECT (%s::jsonb)::text", (psycopg.types.json.Jsonb(value),)).fetchone()[0]
            assert text == jsonb_text(value)


def test_expected_manifest_equals_what_the_database_reports(pg_database: str) -> None:
    result = load(pg_database, make_world(), "dev")
    assert expected_manifest(make_world()).checksums == result.manifest.checksums


def _schema_objects(dsn: str) -> list[tuple[str, ...]]:
    with psycopg.connect(dsn) as conn:
        constraints = conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'devkit_seed_ledger'"
            " ORDER BY 1, 2"
        ).fetchall()
        indexes = conn.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            " AND tablename <> 'devkit_seed_ledger' ORDER BY 1, 2"
        ).fetchall()
    return constraints + indexes


def test_a_fresh_load_rebuilds_every_key_and_index_it_set_aside(pg_database: str) -> None:
    """Keys, indexes and foreign keys are dropped for the COPY and rebuilt; an outside table's foreign key to a seeded
    table keeps that table's primary key in place (it can't be dropped under it), and still holds after."""
    with psycopg.connect(pg_database) as conn:
        engine_free_ddl = "CREATE TABLE loyalty_stamps (order_id uuid NOT NULL REFERENCES orders(id))"
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        from devkit.schema import metadata

        engine = create_engine(
            "postgresql+psycopg://", creator=lambda: psycopg.connect(pg_database), poolclass=NullPool
        )
        metadata.create_all(engine)
        engine.dispose()
        conn.execute(engine_free_ddl)
    before = _schema_objects(pg_database)
    assert any(name == "orders_pkey" for _, name, _ in before)
    result = load(pg_database, make_world(), "dev")
    assert result.action == "loaded"
    assert _schema_objects(pg_database) == before
    with psycopg.connect(pg_database) as conn:
        order_id = conn.execute("SELECT id FROM orders LIMIT 1").fetchone()[0]
        conn.execute("INSERT INTO loyalty_stamps VALUES (%s)", (order_id,))
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute(
                "INSERT INTO order_items (id, order_id, line_no, sku, name, unit_price, quantity, tax_rate,"
                " amount) VALUES (gen_random_uuid(), gen_random_uuid(), 1, 'x', 'x', 1, 1, 10, 1)"
            )


def test_a_scaled_staging_seed_is_consistent_in_the_database(pg_database: str) -> None:
    """The staging profile at a small --scale, checked by PostgreSQL itself: totals and taxes, bills and payments,
    the test cards' meaning, and every foreign key (rebuilt and validated after the bulk load)."""
    world = staging_world(0.0005, days=1)
    result = load(pg_database, world, "staging", workers=2)
    assert result.manifest.row_counts["orders"] == world.order_count > 4 * 2048  # several blocks per worker
    assert all(check.ok for check in verify(pg_database, world, workers=2))
    problems = {
        "order totals": """SELECT count(*) FROM orders o JOIN (SELECT order_id,
              sum(amount) FILTER (WHERE tax_rate = 10) AS s10, sum(amount) FILTER (WHERE tax_rate = 8) AS s8
              FROM order_items GROUP BY order_id) i ON i.order_id = o.id
            WHERE o.subtotal_10 <> coalesce(i.s10, 0) OR o.subtotal_8 <> coalesce(i.s8, 0)
               OR o.tax_10 <> o.subtotal_10 * 10 / 100 OR o.tax_8 <> o.subtotal_8 * 8 / 100
               OR o.total <> o.subtotal_10 + o.subtotal_8 + o.tax_10 + o.tax_8""",
        "orders without items": "SELECT count(*) FROM orders o WHERE NOT EXISTS"
        " (SELECT 1 FROM order_items i WHERE i.order_id = o.id)",
        "bills": """SELECT count(*) FROM bills b JOIN orders o ON o.id = b.order_id
            WHERE b.total <> o.total OR b.tax_total <> o.tax_10 + o.tax_8
               OR b.subtotal <> o.subtotal_10 + o.subtotal_8""",
        "closed bills": """SELECT count(*) FROM bills b WHERE b.status = 'closed' AND 1 <> (SELECT count(*)
            FROM payments p WHERE p.bill_id = b.id AND p.status = 'completed' AND p.amount = b.total)""",
        "open bills": "SELECT count(*) FROM bills b WHERE b.status = 'open'"
        " AND EXISTS (SELECT 1 FROM payments p WHERE p.bill_id = b.id)",
        "void bills": "SELECT count(*) FROM bills b WHERE b.status = 'void'"
        " AND EXISTS (SELECT 1 FROM payments p WHERE p.bill_id = b.id AND p.status = 'completed')",
        "cards": """SELECT count(*) FROM payments WHERE method = 'credit_card' AND NOT (
            status = 'declined' AND card_last4 = '0002' AND card_brand = 'visa'
            OR status = 'completed' AND card_last4 IN ('4242', '4444', '0005'))""",
        "qr payments with cards": "SELECT count(*) FROM payments WHERE method <> 'credit_card'"
        " AND (card_last4 IS NOT NULL OR card_brand IS NOT NULL)",
        "webhooks": "SELECT count(*) FROM payments p WHERE 1 <> (SELECT count(*) FROM webhook_events w"
        " WHERE w.payment_id = p.id AND w.provider_id = p.provider_id)",
        "intents": "SELECT count(*) FROM payment_intents i JOIN bills b ON b.id = i.bill_id WHERE i.amount <> b.total",
        "methods the merchant lacks": """SELECT count(*) FROM payments p JOIN bills b ON b.id = p.bill_id
            JOIN stores s ON s.id = b.store_id WHERE NOT EXISTS (SELECT 1 FROM merchant_payment_configs c
            WHERE c.merchant_id = s.merchant_id AND c.provider_id = p.provider_id)""",
    }
    with psycopg.connect(pg_database) as conn:
        found = {name: conn.execute(query).fetchone()[0] for name, query in problems.items()}
        assert found == dict.fromkeys(problems, 0)
        statuses = {row[0] for row in conn.execute("SELECT DISTINCT status FROM orders")}
        assert statuses == {"closed", "cancelled", "open"}
        foreign_keys = conn.execute(
            "SELECT count(*) FILTER (WHERE convalidated), count(*) FROM pg_constraint WHERE contype = 'f'"
        ).fetchone()
        assert foreign_keys[0] == foreign_keys[1] > 10


def test_verify_environment_names_tables_and_keys_in_one_error(pg_database: str, tmp_path) -> None:
    from devkit.seed.load import load_with_device_keys
    from devkit.seed.verify import verify_environment

    keys_path = tmp_path / "device-keys" / "staging.json"
    load_with_device_keys(pg_database, make_world(), "staging", keys_path)
    found = verify_environment("staging", pg_database, make_world(), keys_path)
    assert found.failure is None and found.keys.ok and not found.keys.absent
    assert all(check.ok for check in found.checks)
    absent = verify_environment("staging", pg_database, make_world(), tmp_path / "elsewhere.json")
    assert absent.failure is None and absent.keys.absent  # another machine: no keys file is no mismatch
    with psycopg.connect(pg_database) as conn:
        conn.execute(
            "UPDATE order_items SET name = name || ' (edited)' WHERE ctid = (SELECT min(ctid) FROM order_items)"
        )
    keys_path.write_text("{}")  # every device's key gone
    found = verify_environment("staging", pg_database, make_world(), keys_path)
    assert [check.table for check in found.checks if not check.ok] == ["order_items"]
    assert found.failure is not None
    assert found.failure.message.startswith("staging differs from the manifest in order_items; and the ")
    assert found.failure.hint == "re-run `devkit seed staging`"


def test_a_fresh_load_is_reread_when_a_trigger_could_rewrite_rows(pg_database: str) -> None:
    """A fresh load trusts its own COPY bytes (no second pass) only while no trigger can change them on the way in."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from devkit.errors import DataError
    from devkit.schema import metadata

    engine = create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(pg_database), poolclass=NullPool)
    metadata.create_all(engine)
    engine.dispose()
    with psycopg.connect(pg_database) as conn:
        conn.execute(
            "CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN NEW.name := upper(NEW.name); RETURN NEW; END $$;"
            " CREATE TRIGGER shout BEFORE INSERT ON order_items FOR EACH ROW EXECUTE FUNCTION shout()"
        )
    with pytest.raises(DataError, match="order_items"):
        load(pg_database, make_world(), "dev")
    with psycopg.connect(pg_database) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 0  # rolled back
        conn.execute("DROP TRIGGER shout ON order_items")
    assert load(pg_database, make_world(), "dev").action == "loaded"
    assert all(check.ok for check in verify(pg_database, make_world()))


def test_one_connection_and_several_load_identical_content(pg_database: str, second_database: str) -> None:
    """In-process on the seed's own connection, and 3 workers each streaming its share over its own connection into
    stage tables: the same rows. Then a re-seed over staged connections converges to the new world."""
    world = staging_world(0.0002, days=2)
    assert len(blocks_of(world)) > 3  # every worker gets blocks
    one = load(pg_database, world, "staging", workers=0)
    several = load(second_database, staging_world(0.0002, days=2), "staging", workers=3)
    assert one.manifest.checksums == several.manifest.checksums
    assert content_hashes(pg_database) == content_hashes(second_database)
    with psycopg.connect(second_database) as conn:  # taken in and dropped by the seed's transaction
        assert (
            conn.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'devkit_seed_stage%'").fetchone()[0] == 0
        )

    newer = staging_world(0.0002, days=2, as_of=date(2025, 3, 2))  # one day shifts: rows both added and removed
    converged = load(second_database, newer, "staging", workers=2)
    assert converged.action == "converged"
    assert converged.changes["orders"].inserted_or_updated and converged.changes["orders"].deleted
    assert all(check.ok for check in verify(second_database, newer, workers=2))
    load(pg_database, newer, "staging", workers=0)
    assert content_hashes(pg_database) == content_hashes(second_database)


def test_a_fresh_staged_load_swaps_tables_in_keeping_grants_and_falls_back_where_something_depends(
    pg_database: str,
) -> None:
    """Empty transaction tables are replaced by their filled stage tables (no second copy of the rows); what LIKE
    doesn't copy (grants, comment, storage options) is carried over; a table a view depends on keeps its identity
    and gets the rows by INSERT ... SELECT instead."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from devkit.schema import metadata

    engine = create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(pg_database), poolclass=NullPool)
    metadata.create_all(engine)
    engine.dispose()
    oids = "SELECT relname, oid FROM pg_class WHERE relname IN ('orders', 'order_items')"
    with psycopg.connect(pg_database) as conn:
        conn.execute(
            "CREATE VIEW order_totals AS SELECT id, total FROM orders;"
            " GRANT SELECT ON order_items TO PUBLIC; COMMENT ON TABLE order_items IS 'one line of an order';"
            " ALTER TABLE order_items SET (fillfactor = 90)"
        )
        before = dict(conn.execute(oids).fetchall())
    world = staging_world(0.0002, days=1)
    assert load(pg_database, world, "staging", workers=2).action == "loaded"
    assert all(check.ok for check in verify(pg_database, world, workers=2))
    with psycopg.connect(pg_database) as conn:
        after = dict(conn.execute(oids).fetchall())
        assert after["orders"] == before["orders"]  # the view's table was filled in place
        assert after["order_items"] != before["order_items"]  # swapped
        assert conn.execute("SELECT count(*) FROM order_totals").fetchone()[0] == world.order_count
        assert conn.execute(
            "SELECT has_table_privilege('public', 'order_items', 'SELECT'), obj_description(oid, 'pg_class'),"
            " reloptions FROM pg_class WHERE relname = 'order_items'"
        ).fetchone() == (True, "one line of an order", ["fillfactor=90"])
        staged = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'devkit_seed_stage%'").fetchone()
        assert staged == (0,)
