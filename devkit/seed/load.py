"""Load a planned world into a database: schema if missing, rows through COPY, checksums, ledger — atomically.

Why one transaction and not "load a new database, swap by rename" (what snapshots do): a seed must converge
staging, whose database also holds rows the platform and its integration tests created, has live connections a
rename would have to kill, and is reached with a role that need not have CREATEDB. PostgreSQL gives the same
guarantee inside one database: DDL is transactional, and a client that fails or is killed mid-COPY leaves a
transaction the server rolls back, so the previous seed stays as it was. An advisory lock makes concurrent
seeds of one database queue rather than interleave.

Workers (`--workers N`, default one per CPU from 20,000 orders) each generate a disjoint share of the
transaction blocks and stream it over their own connection into stage tables (`devkit.seed.stage`); the one
transaction then takes them in (by swapping them for empty real tables, else one set-based statement per table),
so its rollback on a kill still covers everything the real tables see. Reference rows (merchants, stores,
devices, ...: small) go over the transaction's own connection. With no workers (a dev seed) the transaction's
connection streams every row itself.

Two ways in, chosen by what the database holds:
- nothing seeded yet: keys, indexes and foreign keys are set aside, rows COPY-ed (or taken in from the stage)
  straight into the tables, and the keys rebuilt once over the loaded rows (`devkit.seed.bulk`), all in the
  transaction;
- an earlier seed: COPY into temporary tables (or the stage tables), then upsert rows whose content changed and
  delete seeded rows the new world lacks (children first). Rows that did not change are not written, and rows
  that are not seed-owned (real data, test rows other tools created) are never touched.
The generators compute each table's checksum in the same vectorised pass that renders the COPY text, over those
very bytes. A merge's result is checked against them before commit (its upserts and deletes are SQL); a fresh
load's rows are the bytes sent, so it is re-read only when a trigger could have rewritten them (`_row_triggers`).
An unchanged world (same params, same checksums in the database) is a no-op without generating anything.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, Literal, Protocol

import faker
import numpy
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb
from sqlalchemy import Connection, Table, create_engine
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from devkit import __version__, failpoints
from devkit.environments import connect, mask_dsn, scrub
from devkit.errors import DataError, DevkitError
from devkit.schema import TABLES, metadata
from devkit.seed import stage
from devkit.seed.bulk import rebuild, set_aside
from devkit.seed.checksum import SEED_OWNED_SQL, RowHasher, TableDigest, checksum_sql
from devkit.seed.copy_binary import copy_statement
from devkit.seed.generate import GENERATOR_VERSION, World
from devkit.seed.keys import prepare_device_keys
from devkit.seed.ledger import ADD_SCALE_SQL, Manifest, SeedParams, latest_entry, ledger_metadata, record
from devkit.seed.transactions import TABLES as TRANSACTION_TABLES
from devkit.seed.workers import EncodedBlock, default_workers, world_stream

_LOCK_KEY = 0x5EED_DE7C  # pg_advisory_xact_lock key shared by every devkit seed


class SeedEvents(Protocol):
    """Progress sink; the terminal implements it, the domain never prints."""

    def step(self, name: str, detail: str = "") -> None: ...

    def advance(self, name: str, done: int, total: int | None) -> None: ...


class SilentSeedEvents:
    def step(self, name: str, detail: str = "") -> None:
        pass

    def advance(self, name: str, done: int, total: int | None) -> None:
        pass


@dataclass
class TableChange:
    inserted_or_updated: int = 0
    deleted: int = 0


@dataclass
class SeedResult:
    action: Literal["loaded", "converged", "unchanged"]
    manifest: Manifest
    seconds: float
    changes: dict[str, TableChange] = field(default_factory=dict)
    ledger_id: int | None = None

    @property
    def rows_per_second(self) -> float:
        return self.manifest.total_rows / self.seconds if self.seconds else 0.0


def seed_params(world: World) -> SeedParams:
    return SeedParams(
        profile=world.profile.name,
        profile_fingerprint=world.profile.fingerprint(),
        seed=world.seed,
        days=world.days,
        as_of=world.as_of,
        devkit_version=__version__,
        generator=f"{GENERATOR_VERSION}/faker-{faker.VERSION}/numpy-{numpy.__version__}",
        scale=world.profile.scale,
    )


def expected_manifest(world: World, events: SeedEvents | None = None, workers: int | None = None) -> Manifest:
    """Row counts and checksums of the world, from the generators alone (no database)."""
    events = events or SilentSeedEvents()
    manifest = Manifest(seed_params(world), {table.name: TableDigest() for table in TABLES})
    hashers = {table.name: RowHasher(table) for table in TABLES}
    total, done = world.order_count, 0
    for part in world_stream(world, default_workers(world) if workers is None else workers):
        if isinstance(part, EncodedBlock):
            for name, (_, digest) in part.tables.items():
                manifest.tables[name].absorb(digest)
            done += part.orders
            _advance_tables(events, manifest.row_counts, done, total)
        else:
            for name, rows in part.items():
                hashers[name].digest(rows, manifest.tables[name])
    return manifest


def _advance_tables(events: SeedEvents, counts: dict[str, int], orders_done: int, orders_total: int) -> None:
    """A counter per transaction table. Only the order count is known in advance; each other table's total is
    projected from its rows per order so far, which gives every bar a rate and an ETA."""
    for name in TRANSACTION_TABLES:
        rows = counts[name]
        projected = orders_total if name == "orders" else round(rows / orders_done * orders_total)
        events.advance(name, rows, projected)


def database_checksums(conn: psycopg.Connection) -> dict[str, TableDigest]:
    """Checksums of the seed-owned rows the database holds now."""
    out = {}
    for table in TABLES:
        count, high, low = conn.execute(checksum_sql(table)).fetchone()
        out[table.name] = TableDigest.from_sql(count, high, low)
    return out


def schema_present(conn: psycopg.Connection) -> bool:
    return all(conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table.name,)).fetchone()[0] for table in TABLES)


@contextmanager
def _transaction(dsn: str) -> Iterator[tuple[Connection, psycopg.Connection]]:
    """One transaction seen both through SQLAlchemy (DDL from the metadata) and psycopg (COPY)."""
    engine = create_engine("postgresql+psycopg://", creator=lambda: connect(dsn), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            yield conn, conn.connection.driver_connection
    except DBAPIError as exc:
        raise _data_error(exc.orig or exc, dsn) from None
    except psycopg.Error as exc:
        raise _data_error(exc, dsn) from None
    finally:
        engine.dispose()


def _data_error(exc: BaseException, dsn: str) -> DataError:
    diag = getattr(exc, "diag", None)
    message = (diag.message_primary if diag and diag.message_primary else str(exc)).strip()
    detail = f" ({diag.message_detail})" if diag and diag.message_detail else ""
    hint = "nothing was changed: the seed runs in one transaction"
    if isinstance(exc, psycopg.errors.UniqueViolation | psycopg.errors.ForeignKeyViolation):
        hint = "rows that are not seed data clash with the seed; remove them or reset the database — " + hint
    return DataError(f"seeding {mask_dsn(dsn)} failed: {scrub(message + detail, dsn)}", hint)


def load(
    dsn: str, world: World, environment: str, events: SeedEvents | None = None, workers: int | None = None
) -> SeedResult:
    """Make the database hold exactly `world`'s seed rows (and whatever else it held), or change nothing.
    `workers` processes generate the transactions (default: `default_workers`); the rows are the same for any."""
    events = events or SilentSeedEvents()
    workers = default_workers(world) if workers is None else workers
    began = time.monotonic()
    params = seed_params(world)
    staged = workers >= 1
    if staged:
        # Stage tables to be swapped in are shaped by the real ones (`stage.create`), from another connection:
        # the real tables must be committed first. A seed killed later leaves them empty, as they were made.
        with _transaction(dsn) as (sa_conn, conn):
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            metadata.create_all(sa_conn)
    with _transaction(dsn) as (sa_conn, conn):
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        events.step("schema", "checking")
        metadata.create_all(sa_conn)
        ledger_metadata.create_all(sa_conn)
        conn.execute(ADD_SCALE_SQL)
        stage.drop_leftovers(dsn)  # a killed seed's stage tables, whichever way this one loads
        previous = latest_entry(conn)
        if previous and previous.params == params:
            events.step("checksums", "comparing with the ledger")
            current = database_checksums(conn)
            if {name: d.checksum for name, d in current.items()} == previous.checksums:
                manifest = Manifest(params, current)
                return SeedResult("unchanged", manifest, time.monotonic() - began)
        merging = any(
            conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{table.name}" WHERE {SEED_OWNED_SQL})').fetchone()[0]
            for table in TABLES
        )
        staged_digests, swap = None, staged and not merging and stage.swappable(conn)
        if staged:
            stage.create(dsn, swap)
            events.step("rows", f"loading transactions over {workers} connections")
            staged_digests = stage.load_stage(dsn, world, workers, _progress(events, world.order_count))
        if merging:
            for table in TABLES:
                if not (staged and table.name in stage.STAGE_TABLES):
                    conn.execute(
                        f'CREATE TEMP TABLE "{_staging(table, False)}" (LIKE "{table.name}" INCLUDING DEFAULTS)'
                        " ON COMMIT DROP"
                    )
        set_aside_statements = [] if merging else set_aside(conn, [table.name for table in TABLES])
        events.step("rows", "merging into the earlier seed" if merging else "loading")
        manifest = _stream(conn, world, params, merging, events, workers, staged_digests)
        changes: dict[str, TableChange] = {}
        if merging:
            changes = _merge(conn, events, staged)
        else:
            if staged:
                events.step("rows", "swapping the staged transactions in")
                stage.swap_in(conn, swap)
            events.step("indexes", "building indexes and checking foreign keys")
            rebuild(conn, set_aside_statements)
        if merging and staged:
            stage.drop(conn)
        if merging or _row_triggers(conn):
            _check_written(conn, manifest, events)
        action = "converged" if merging else "loaded"
        ledger_id = record(conn, environment, action, manifest)
        events.step("commit", "")
    return SeedResult(action, manifest, time.monotonic() - began, changes, ledger_id)


def load_with_device_keys(
    dsn: str,
    world: World,
    environment: str,
    keys_path: Path,
    events: SeedEvents | None = None,
    workers: int | None = None,
) -> tuple[SeedResult, int]:
    """`load`, and the device keys file at `keys_path` made to match what was committed; returns the result and
    how many devices the file holds.

    The database and the file can't change in one atomic step, so the order is chosen so that a kill at any
    point leaves a file that matches the database, or one `--verify` flags and the next run fixes:
    1. the whole file is written under a temporary name in its folder (0600) and fsync-ed, before loading;
    2. the seed's transaction commits;
    3. the temporary file is renamed over the old one (one syscall) and the folder fsync-ed.
    Killed before 2 (or if the load fails): the transaction rolls back and the old file still matches the old
    rows - consistent; the orphaned temporary file is removed by the next seed. Killed between 2 and 3, a window
    of one rename (deriving and writing ~200 keys used to take 5-30 ms there): the old file is left beside the
    new rows - `devkit seed ENV --verify` reports it (`check_device_keys`), and the next `devkit seed ENV`
    rewrites it even when the database needs no change ("nothing changed" still publishes). Killed after 3:
    consistent."""
    try:
        pending = prepare_device_keys(keys_path, world, environment)
    except OSError as exc:
        raise DevkitError(
            f"cannot write the device keys file {keys_path}: {exc.strerror or exc}",
            "nothing was seeded; make the state folder writable (DEVKIT_STATE_DIR / [stack] state_dir)",
        ) from None
    try:
        result = load(dsn, world, environment, events, workers)
    except BaseException:
        pending.discard()
        raise
    try:
        return result, pending.publish()
    except OSError as exc:
        raise DevkitError(
            f"{environment} was seeded, but its device keys file {keys_path} could not be put in place: "
            f"{exc.strerror or exc}",
            f"fix the state folder and re-run `devkit seed {environment}` to rewrite the keys file",
        ) from None


def _row_triggers(conn: psycopg.Connection) -> bool:
    """Could anything on the server have made the stored rows differ from the COPY text sent? COPY FROM sets
    every column (no defaults apply) and fires no rules; only a user trigger on a seeded table can rewrite rows."""
    return conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = ANY(%s::regclass[]) AND NOT tgisinternal)",
        ([table.name for table in TABLES],),
    ).fetchone()[0]


def _check_written(conn: psycopg.Connection, manifest: Manifest, events: SeedEvents) -> None:
    """Re-read what the transaction holds and compare it with the generated checksums: a second pass over every
    seeded row (~1.2 s per 200k rows measured, more than the COPY itself), so a fresh load runs it only when a
    trigger could have rewritten rows. The merge always does: its upserts and deletes are SQL, not the bytes whose
    digests the generators computed. Either way the ledger records the generated checksums, and `--verify` and the
    no-op check compare them with the server's own."""
    events.step("checksums", "verifying what was written")
    written = database_checksums(conn)
    mismatched = [name for name, digest in manifest.tables.items() if written[name].checksum != digest.checksum]
    if mismatched:
        raise DataError(
            f"seeded rows differ from the generated ones in {', '.join(mismatched)} (rolled back)",
            "a non-seed row or trigger altered seeded data, or the checksum renderings drifted: report it",
        )


def _staging(table: Table, staged: bool) -> str:
    """Where a re-seed's rows wait for the merge: the stage table the workers filled, or a temporary one."""
    return stage.stage_name(table.name) if staged and table.name in stage.STAGE_TABLES else f"seed_{table.name}"


def _progress(events: SeedEvents, orders_total: int):
    """Progress of the staged load: blocks land from any worker in any order, so only sums are kept."""
    counts = dict.fromkeys(TRANSACTION_TABLES, 0)
    orders_done = 0

    def advance(orders: int, rows: dict[str, int]) -> None:
        nonlocal orders_done
        orders_done += orders
        for name, count in rows.items():
            counts[name] += count
        _advance_tables(events, counts, orders_done, orders_total)

    return advance


def _stream(
    conn: psycopg.Connection,
    world: World,
    params: SeedParams,
    merging: bool,
    events: SeedEvents,
    workers: int,
    staged: dict[str, TableDigest] | None = None,
) -> Manifest:
    """COPY what is not staged (everything, when nothing is) into the tables or the merge's temporary tables;
    the world's manifest."""
    manifest = Manifest(params, {table.name: TableDigest() for table in TABLES})
    for name, digest in (staged or {}).items():
        manifest.tables[name].absorb(digest)
    hashers = {table.name: RowHasher(table) for table in TABLES}
    json_columns = {
        table.name: {column.name for column in table.columns if isinstance(column.type, JSONB)} for table in TABLES
    }
    statements = {
        (table.name, binary): copy_statement(_staging(table, False) if merging else table.name, table, binary)
        for table in TABLES
        for binary in (False, True)
    }
    names = {table.name: [column.name for column in table.columns] for table in TABLES}
    # Transaction blocks arrive as COPY binary, or text with UTC timestamps written without an offset.
    conn.execute("SET LOCAL TimeZone TO 'UTC'")
    total, done = world.order_count, 0
    with conn.cursor() as cursor:
        parts = chain(world.batches(), world.login_batches()) if staged else world_stream(world, workers, True)
        for part in parts:
            if isinstance(part, EncodedBlock):
                for name, (data, digest) in part.tables.items():  # parents before children: TABLES order
                    with cursor.copy(statements[name, name in part.binary]) as copy:
                        copy.write(data)
                    manifest.tables[name].absorb(digest)
                done += part.orders
                _advance_tables(events, manifest.row_counts, done, total)
                failpoints.reach("seed-mid-copy")  # a block of every table written, nothing committed
                continue
            for table in TABLES:  # parents before children within the batch
                rows = part.get(table.name)
                if not rows:
                    continue
                columns, as_json = names[table.name], json_columns[table.name]
                with cursor.copy(statements[table.name, False]) as copy:
                    for row in rows:
                        copy.write_row([_adapt(row[name], name in as_json) for name in columns])
                hashers[table.name].digest(rows, manifest.tables[table.name])
            failpoints.reach("seed-mid-copy")
    return manifest


def _adapt(value: Any, as_json: bool) -> Any:
    return Jsonb(value) if as_json and value is not None else value


def _merge(conn: psycopg.Connection, events: SeedEvents, staged: bool) -> dict[str, TableChange]:
    changes = {table.name: TableChange() for table in TABLES}
    for table in TABLES:  # upsert parents first so changed children can point at them
        events.step("merge", f"upserting {table.name}")
        names = [column.name for column in table.columns]
        others = [name for name in names if name != "id"]
        column_list = sql.SQL(", ").join(map(sql.Identifier, names))
        statement = sql.SQL(
            "INSERT INTO {target} AS t ({columns}) SELECT {columns} FROM {staging} "
            "ON CONFLICT (id) DO UPDATE SET {assignments} WHERE ({current}) IS DISTINCT FROM ({incoming})"
        ).format(
            target=sql.Identifier(table.name),
            staging=sql.Identifier(_staging(table, staged)),
            columns=column_list,
            assignments=sql.SQL(", ").join(
                sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(name)) for name in others
            ),
            current=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(name)) for name in others),
            incoming=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(name)) for name in others),
        )
        changes[table.name].inserted_or_updated = conn.execute(statement).rowcount
    for table in reversed(TABLES):  # then drop seeded rows the new world lacks, children first
        events.step("merge", f"removing stale {table.name}")
        statement = sql.SQL(
            f"DELETE FROM {{target}} AS t WHERE {SEED_OWNED_SQL}"
            " AND NOT EXISTS (SELECT 1 FROM {staging} AS s WHERE s.id = t.id)"
        ).format(target=sql.Identifier(table.name), staging=sql.Identifier(_staging(table, staged)))
        changes[table.name].deleted = conn.execute(statement).rowcount
    return changes
