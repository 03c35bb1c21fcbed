"""Delete old test transactions in short batches, archiving every row first; restore an archive.

What goes: test orders (`is_test`) placed before the cutoff and every row that hangs off them by foreign key —
derived from the schema, so a new child table is covered without touching this module (today: order items,
bills, payment intents, payments, webhook events). What stays: merchants, stores, devices, staff, provider
configs, audit logs (the trail outlives what it describes) and every order that is not test data.

Each batch is its own short transaction: lock a few thousand orders (SKIP LOCKED: rows the platform is writing
now wait for the next run instead of blocking it), delete children first (each DELETE streaming its rows into the
archive), make the archive durable, commit. Locks are held for one batch only, with a lock timeout so cleanup
never queues behind the platform for long; `--jobs N` connections take disjoint batches at once. Before the
batches, old time partitions of a leaf table that hold only rows cleanup deletes are archived and dropped whole
(devkit/cleanup_partitions.py).

Archive layout (one folder per run): `<table>.copy.gz` in COPY text format (one gzip member per batch) plus
`manifest.json` naming the columns, row counts and the cutoff; the manifest is rewritten after every committed
batch, so a killed run still leaves an archive that restores everything it deleted. `restore_archive` loads one
back in a single transaction, skipping rows that are already there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Protocol

import psycopg
from psycopg import sql
from sqlalchemy import Table

from devkit import __version__, cleanup_fk
from devkit.cleanup_fk import FkChecks, FkLink, OrphanFound
from devkit.cleanup_partitions import Partition, count_if_all_go, detach_and_drop, old_partitions, recreate
from devkit.durable_files import fsync_directory
from devkit.environments import connect, mask_dsn, scrub
from devkit.errors import DataError, DevkitError, UsageError
from devkit.schema import TABLES, metadata

ARCHIVE_FORMAT = "devkit-cleanup-archive/1"
ROOT_TABLE = "orders"
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"^(\d+)([mhdw])$")
# The longest --older-than. Our assumption: no test order worth keeping apart is older than a century, and a
# bound this size keeps "now minus the duration" a representable datetime (10000000d was an OverflowError).
MAX_AGE = timedelta(days=36525)
# The most orders one batch deletes. Batches are short transactions so locks on the platform's rows are held
# briefly; 100000 orders (about 600000 rows with what hangs off them) is our assumption of the most that still
# is. Without a bound, a huge value reached the server ("bigint out of range").
MAX_BATCH_SIZE = 100_000
# The most connections deleting at once. Each holds one batch's locks; our assumption: more than 8 only adds
# contention on a staging server's cores and WAL without making a run faster.
MAX_JOBS = 8
# Archive compression: level 3 compressed COPY text of staging's tables at 52 MB/s (ratio 3.5), level 9 (gzip's
# default, used before) at 18 MB/s (ratio 3.9) — measured on this 2-core machine, 22 MB of seeded rows.
_GZIP_LEVEL = 3
_SPOOL_IN_MEMORY = 8 << 20  # bytes of one table's compressed batch held in memory before spilling to a file
_COPY_CHUNK = 1 << 20


class CleanupEvents(Protocol):
    def step(self, name: str, detail: str = "") -> None: ...

    def advance(self, name: str, done: int, total: int | None) -> None: ...


class SilentCleanupEvents:
    def step(self, name: str, detail: str = "") -> None:
        pass

    def advance(self, name: str, done: int, total: int | None) -> None:
        pass


def parse_duration(text: str) -> timedelta:
    """`90m`, `24h`, `7d`, `2w` (at most MAX_AGE) -> timedelta; anything else is a UsageError naming the accepted
    forms."""
    forms = "use a positive whole number and a unit: 90m (minutes), 24h (hours), 7d (days) or 2w (weeks)"
    match = _DURATION.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise UsageError(f"invalid duration {text!r}", forms)
    amount, unit = int(match.group(1)), match.group(2)
    limit = MAX_AGE // timedelta(**{_UNITS[unit]: 1})  # compared as numbers: timedelta(days=10**9) overflows
    if amount > limit:
        raise UsageError(f"invalid duration {text!r}: longer than 100 years (at most {limit}{unit})", forms)
    return timedelta(**{_UNITS[unit]: amount})


def check_batch_size(batch_size: int) -> int:
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise UsageError(
            f"--batch-size must be between 1 and {MAX_BATCH_SIZE}, got {batch_size}",
            "pass e.g. --batch-size 500 (orders per short transaction)",
        )
    return batch_size


def check_jobs(jobs: int) -> int:
    if not 1 <= jobs <= MAX_JOBS:
        raise UsageError(
            f"--jobs must be between 1 and {MAX_JOBS}, got {jobs}", "pass e.g. --jobs 2 (connections deleting at once)"
        )
    return jobs


def prepare_archive_root(root: Path) -> Path:
    """Make sure archives can be written under `root` before anything is deleted: create it (and any missing
    parents) mode 0700, then create and remove a file in it. A problem is a UsageError naming the folder."""
    fix = "pass a folder you can write to (it is created if missing)"
    try:
        if root.exists() and not root.is_dir():
            raise UsageError(f"--archive {root} is a file, not a folder", fix)
        missing = [folder for folder in (root, *root.parents) if not folder.exists()]
    except OSError as exc:
        raise UsageError(f"cannot use --archive folder {root}: {exc.strerror}", fix) from None
    for folder in reversed(missing):  # outermost first; each one 0700, not just the last (os.makedirs' way)
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # created meanwhile by someone else: fine if it is a folder
            if not folder.is_dir():
                raise UsageError(f"--archive {folder} is a file, not a folder", fix) from None
        except OSError as exc:
            raise UsageError(f"cannot create --archive folder {root}: {exc.strerror}", fix) from None
    try:
        handle, probe = tempfile.mkstemp(prefix=".devkit-write-test-", dir=root)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"cannot write to --archive folder {root}: {exc.strerror}", fix) from None
    return root


@dataclass(frozen=True)
class Link:
    table: str
    column: str  # the child's foreign-key column
    parent: str


def cascade() -> list[tuple[str, list[Link]]]:
    """Tables reachable from orders through foreign keys pointing at them, parents first, each with the links
    that pull its rows in. Derived from the schema, the one description of what hangs off what."""
    members = [ROOT_TABLE]
    links: dict[str, list[Link]] = {ROOT_TABLE: []}
    for table in TABLES:  # TABLES is parents-first, so one pass reaches every descendant
        if table.name in links:
            continue
        found = [
            Link(table.name, fk.parent.name, fk.column.table.name)
            for fk in table.foreign_keys
            if fk.column.table.name in links
        ]
        if found:
            members.append(table.name)
            links[table.name] = found
    return [(name, links[name]) for name in members]


def _table(name: str) -> Table:
    return metadata.tables[name]


@dataclass
class CleanupResult:
    cutoff: datetime
    counts: dict[str, int]
    batches: int = 0
    longest_batch: float = 0.0  # seconds of the longest batch transaction: how long its row locks were held
    archive: Path | None = None
    skipped_locked: bool = False
    partitions: list[str] = field(default_factory=list)  # dropped whole (schema.name)
    # How the batches checked foreign keys (devkit/cleanup_fk.py): planned once, and PER_ROW with the reason if
    # any batch found the catalog changed under it.
    fk_checks: FkChecks = field(default_factory=lambda: FkChecks(cleanup_fk.PER_ROW, "not planned"))


def plan_counts(conn: psycopg.Connection, cutoff: datetime) -> dict[str, int]:
    """How many rows each table would lose (the --dry-run answer), in one read-only statement."""
    names = [name for name, _ in cascade()]
    query = sql.SQL("WITH {} SELECT {}").format(
        sql.SQL(", ").join(_closure_parts()),
        sql.SQL(", ").join(sql.SQL("(SELECT count(*) FROM {})").format(sql.Identifier(f"c_{n}")) for n in names),
    )
    row = conn.execute(query, {"cutoff": cutoff}).fetchone()
    return dict(zip(names, (int(value) for value in row), strict=True))


def _closure_parts() -> list[sql.Composable]:
    """CTEs `c_<table> AS (SELECT id ...)`: every row cleanup deletes before %(cutoff)s, table by table."""
    parts: list[sql.Composable] = [
        sql.SQL("{} AS (SELECT id FROM {} WHERE is_test AND ordered_at < %(cutoff)s)").format(
            sql.Identifier(f"c_{ROOT_TABLE}"), sql.Identifier(ROOT_TABLE)
        )
    ]
    for name, links in cascade()[1:]:
        condition = sql.SQL(" OR ").join(
            sql.SQL("{} IN (SELECT id FROM {})").format(sql.Identifier(link.column), sql.Identifier(f"c_{link.parent}"))
            for link in links
        )
        parts.append(
            sql.SQL("{} AS (SELECT id FROM {} WHERE {})").format(
                sql.Identifier(f"c_{name}"), sql.Identifier(name), condition
            )
        )
    return parts


def _require_schema(conn: psycopg.Connection, dsn: str) -> None:
    missing = [
        name for name, _ in cascade() if not conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]
    ]
    if missing:
        raise DataError(
            f"{mask_dsn(dsn)} has no SmartPOS table(s) {', '.join(missing)}", "seed it first (`devkit seed ENV`)"
        )


def dry_run(dsn: str, cutoff: datetime) -> dict[str, int]:
    with connect(dsn) as conn:
        conn.read_only = True
        _require_schema(conn, dsn)
        return plan_counts(conn, cutoff)


def fk_links(steps: list[tuple[str, list[Link]]]) -> list[FkLink]:
    return [FkLink(link.table, link.column, link.parent) for _, links in steps for link in links]


def plan_fk_checks(dsn: str, set_based: bool = True) -> FkChecks:
    """The foreign-key path a run would take now (what --dry-run reports); `set_based=False` forces per row."""
    if not set_based:
        return FkChecks(cleanup_fk.PER_ROW, "asked for")
    steps = cascade()
    with connect(dsn, autocommit=True) as conn:
        _require_schema(conn, dsn)
        return cleanup_fk.plan(conn, [name for name, _ in steps], fk_links(steps))


class _Archive:
    """Per-table gzip files plus a manifest rewritten after each committed batch.

    Each batch's rows of a table are one complete gzip member, compressed by the job that deleted them (outside
    any lock, so --jobs N compress in parallel; zlib releases the GIL) and appended whole under `lock`: a file is
    a sequence of members, which gzip readers (and `_rows`) read as one stream. A run killed mid-append leaves at
    most a truncated last member, whose batch never committed.

    The rows may hold personal data (staging's test orders carry customer names, emails, phones), so the folder
    is created 0700 and every file 0600 at creation (never chmod-ed afterwards, which would leave a window)."""

    def __init__(self, root: Path, environment: str, dsn: str, cutoff: datetime) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        self.path = root / f"cleanup-{environment}-{stamp}"
        prepare_archive_root(root)  # no-op when the CLI already did it; 0700 for any folder it has to create
        self.path.mkdir(mode=0o700, exist_ok=False)
        self._files: dict[str, IO[bytes]] = {}
        self.lock = threading.Lock()  # one batch at a time appends its members, so each file holds whole batches
        self.manifest = {
            "format": ARCHIVE_FORMAT,
            "devkit_version": __version__,
            "environment": environment,
            "database": mask_dsn(dsn),
            "cutoff": cutoff.isoformat(),
            "created_at": datetime.now(UTC).isoformat(),
            "complete": False,
            "tables": [
                {
                    "name": name,
                    "file": f"{name}.copy.gz",
                    "columns": [column.name for column in _table(name).columns],
                    "rows": 0,
                }
                for name, _ in cascade()  # parents first: the order to restore in
            ],
            "partitions": [],  # dropped whole: restore creates them again before putting their rows back
        }
        self._write_manifest()

    def spool(self) -> IO[bytes]:
        """Where a job gathers one table's compressed batch: memory up to a few MB, then an unnamed 0600 file
        in the archive folder (the rows are as private as the archive)."""
        return tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY, dir=self.path)

    def append(self, members: dict[str, IO[bytes]]) -> dict[str, int]:
        """Append one batch's members and make them durable: called before the batch's deletes commit. Returns
        where each file ended before, for `take_back`."""
        with self.lock:
            ends = {table: self._files[table].tell() if table in self._files else 0 for table in members}
            for table, member in members.items():
                if table not in self._files:
                    # O_EXCL: the folder is new, so the file must be too (and a planted symlink is refused).
                    fd = os.open(self.path / f"{table}.copy.gz", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    self._files[table] = os.fdopen(fd, "wb")
                    fsync_directory(self.path)  # the new file's name is durable before any row it holds is deleted
                out = self._files[table]
                member.seek(0)
                shutil.copyfileobj(member, out, _COPY_CHUNK)
            for table in members:
                out = self._files[table]
                out.flush()
                os.fsync(out.fileno())
            return ends

    def take_back(self, ends: dict[str, int]) -> None:
        """Cut the files back to `ends` (what `append` returned): rows archived for a delete that didn't happen."""
        with self.lock:
            for table, end in ends.items():
                out = self._files[table]
                out.truncate(end)
                out.seek(end)
                os.fsync(out.fileno())

    def dropping(self, partition: Partition) -> None:
        """Name a partition in the manifest before its drop commits (a drop that rolls back leaves a name restore
        finds already there)."""
        self.manifest["partitions"].append(partition.manifest_entry())
        self._write_manifest()

    def committed(self, added: dict[str, int]) -> None:
        for entry in self.manifest["tables"]:
            entry["rows"] += added.get(entry["name"], 0)
        self._write_manifest()

    def close(self, complete: bool) -> OSError | None:
        """Close every file and finish the manifest, as far as the disk lets us; the first failure is returned,
        not raised, so it never hides the error that ended the run (every committed batch is already durable)."""
        failure: OSError | None = None
        for handle in self._files.values():
            try:
                handle.close()
            except OSError as exc:
                failure = failure or exc
        self.manifest["complete"] = complete and failure is None
        try:
            self._write_manifest()
        except OSError as exc:
            failure = failure or exc
        return failure

    def _write_manifest(self) -> None:
        handle, temporary = tempfile.mkstemp(prefix=".manifest-", dir=self.path)  # created 0600
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(self.manifest, out, indent=2)
            os.replace(temporary, self.path / "manifest.json")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def cleanup(
    dsn: str,
    environment: str,
    cutoff: datetime,
    batch_size: int = 500,
    archive_root: Path | None = None,
    events: CleanupEvents | None = None,
    lock_timeout: str = "5s",
    jobs: int = 1,
    set_based_fk_checks: bool = True,
) -> CleanupResult:
    """Delete (and archive first, if asked) old test orders and what hangs off them, batch by batch, on `jobs`
    connections at once (each takes the next unlocked orders: SKIP LOCKED keeps their batches disjoint).

    With an archive, a batch's rows are written and fsync-ed after its DELETEs ran but before they commit, inside
    the batch's transaction: an archive that can't be written raises before the commit, so the batch rolls back
    and every row ever deleted is in the archive.

    Foreign keys are checked once per batch and key where that is provably the same as PostgreSQL's per-row
    triggers (devkit/cleanup_fk.py), per row otherwise or with `set_based_fk_checks=False`.
    """
    check_batch_size(batch_size)
    check_jobs(jobs)
    events = events or SilentCleanupEvents()
    steps = cascade()
    with connect(dsn, autocommit=True) as conn:
        _require_schema(conn, dsn)
        # Only the orders, for the progress bar: the dry run's full count of every table took a fifth of a run.
        total = conn.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE is_test AND ordered_at < %s").format(sql.Identifier(ROOT_TABLE)),
            (cutoff,),
        ).fetchone()[0]
        result = CleanupResult(cutoff, {name: 0 for name, _ in steps})
        if set_based_fk_checks:
            result.fk_checks = cleanup_fk.plan(conn, [name for name, _ in steps], fk_links(steps))
        else:
            result.fk_checks = FkChecks(cleanup_fk.PER_ROW, "asked for")
        archive = _open_archive(archive_root, environment, dsn, cutoff) if archive_root else None
        result.archive = archive.path if archive else None
        shared, stop = threading.Lock(), threading.Event()

        def drain(connection: psycopg.Connection) -> None:
            _create_id_tables(connection, steps)
            after = None
            while not stop.is_set():
                began = time.monotonic()
                fast = result.fk_checks.set_based
                deleted, after, problem = _one_batch(
                    connection, steps, cutoff, batch_size, archive, lock_timeout, after, fast
                )
                if not deleted:
                    return
                with shared:
                    if problem and result.fk_checks.set_based:  # the catalog changed mid-run: per row from now on
                        result.fk_checks = FkChecks(cleanup_fk.PER_ROW, f"from batch {result.batches + 1}: {problem}")
                    result.longest_batch = max(result.longest_batch, time.monotonic() - began)
                    result.batches += 1  # committed: counted before the manifest write that could still fail
                    for name, count in deleted.items():
                        result.counts[name] += count
                    if archive:
                        archive.committed(deleted)
                    events.advance(ROOT_TABLE, result.counts[ROOT_TABLE], total)

        def drain_own_connection() -> None:
            try:
                with connect(dsn, autocommit=True) as connection:
                    drain(connection)
            except BaseException:
                stop.set()  # the others finish the batch they are in and stop
                raise

        complete = False
        closing_failure: OSError | None = None
        try:
            for partition, rows in _drop_old_partitions(conn, steps, cutoff, archive, lock_timeout):
                result.counts[partition.table] += rows
                result.partitions.append(f"{partition.schema}.{partition.name}")
                if archive:
                    archive.committed({partition.table: rows})
            if jobs == 1:
                drain(conn)
            else:
                with ThreadPoolExecutor(jobs, thread_name_prefix="devkit-cleanup") as pool:
                    futures = [pool.submit(drain_own_connection) for _ in range(jobs)]
                failures = [future.exception() for future in futures if future.exception()]
                if failures:
                    raise failures[0]
            result.skipped_locked = result.counts[ROOT_TABLE] < total
            complete = True
        except (psycopg.Error, OrphanFound) as exc:
            message = exc.diag.message_primary if getattr(exc, "diag", None) else str(exc)
            raise DataError(
                f"cleanup of {mask_dsn(dsn)} stopped after {result.batches} batch(es): {scrub(str(message), dsn)}",
                "committed batches stay deleted (and archived); re-run to continue",
            ) from None
        except OSError as exc:
            if archive is None:  # only the archive does file I/O here
                raise
            raise _archive_failure(archive, exc, result.batches) from None
        finally:
            if archive:
                closing_failure = archive.close(complete)
        if closing_failure and archive:
            raise _archive_failure(archive, closing_failure, result.batches)
    return result


def _open_archive(root: Path, environment: str, dsn: str, cutoff: datetime) -> _Archive:
    try:
        return _Archive(root, environment, dsn, cutoff)
    except OSError as exc:
        raise DevkitError(
            f"cannot create an archive under {root}: {exc.strerror}",
            "nothing was deleted; pass an --archive folder you can write to",
        ) from None


def _archive_failure(archive: _Archive, exc: OSError, batches: int) -> DevkitError:
    return DevkitError(
        f"writing {archive.path} failed after {batches} deleted batch(es): {exc.strerror or exc}",
        "a batch is only deleted once archived, so everything deleted is in that archive "
        "(`devkit cleanup ENV --restore` it); free space or fix the folder and re-run",
    )


def _id_table(name: str) -> sql.Identifier:
    return sql.Identifier(f"devkit_cleanup_{name}")


def _create_id_tables(conn: psycopg.Connection, steps: list[tuple[str, list[Link]]]) -> None:
    """One session-local table of ids per cascade table that others hang off (and the orders), emptied at every
    commit. A batch's ids stay on the server: fetching tens of thousands of UUIDs per batch into Python, sorting
    them and sending them back as arrays was a third of the run's time (profiled on staging --scale 0.001)."""
    for name in [ROOT_TABLE, *sorted(_parents(steps) - {ROOT_TABLE})]:
        conn.execute(
            sql.SQL(
                "CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS AS SELECT id FROM {} WITH NO DATA"
            ).format(_id_table(name), sql.Identifier(name))
        )


def _in_batch(column: str, parent: str) -> sql.Composed:
    # `= ANY(ARRAY(subquery))`, not `IN (subquery)`: the never-analyzed temp table can't steer the planner into
    # a hash join over the whole child table; every lookup stays an index scan on the foreign-key column.
    return sql.SQL("{} = ANY(ARRAY(SELECT id FROM {}))").format(sql.Identifier(column), _id_table(parent))


def _parents(steps: list[tuple[str, list[Link]]]) -> set[str]:
    """The cascade tables other cascade tables point at: only their ids are collected into id tables. A leaf
    (order_items, webhook_events) is deleted straight by its foreign keys, sparing a lookup and a temp-table row
    for two thirds of the rows (profiled on staging --scale 0.002)."""
    return {link.parent for _, links in steps for link in links}


def _one_batch(
    conn: psycopg.Connection,
    steps: list[tuple[str, list[Link]]],
    cutoff: datetime,
    batch_size: int,
    archive: _Archive | None,
    lock_timeout: str,
    after: tuple[datetime, object] | None,
    set_based: bool = False,
) -> tuple[dict[str, int], tuple[datetime, object] | None, str | None]:
    """One short transaction: lock the next `batch_size` old test orders after `after` (ordered_at, id), collect
    the ids of what hangs off them (parents only: leaves go by foreign key), delete children first — each
    DELETE ... RETURNING streaming its rows into the archive when there is one — make the archive durable,
    commit. Returns the per-table counts (rows deleted) and the last order's key: the next batch starts after it
    instead of re-scanning the index entries of everything deleted so far (an order skipped because it was
    locked is left for the next run, as before).

    With `set_based`, the batch first takes the replica role when the catalog still allows it
    (devkit/cleanup_fk.py) and checks each foreign key once after its deletes; the third value returned is the
    problem that made it take the per-row path instead."""
    parents = _parents(steps)
    problem: str | None = None
    with conn.transaction():
        conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(lock_timeout)))
        if set_based:
            problem = cleanup_fk.enter_replica_role(conn, [name for name, _ in steps], fk_links(steps))
            set_based = problem is None
        resume = sql.SQL("AND ordered_at >= %(at)s AND (ordered_at, id) > (%(at)s, %(id)s) ") if after else sql.SQL("")
        last = conn.execute(
            sql.SQL(
                "WITH picked AS (SELECT id, ordered_at FROM {root} WHERE is_test AND ordered_at < %(cutoff)s {resume}"
                "ORDER BY ordered_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED), "
                "kept AS (INSERT INTO {ids} SELECT id FROM picked) "
                "SELECT ordered_at, id, (SELECT count(*) FROM picked) FROM picked ORDER BY ordered_at DESC, id DESC "
                "LIMIT 1"
            ).format(root=sql.Identifier(ROOT_TABLE), resume=resume, ids=_id_table(ROOT_TABLE)),
            {
                "cutoff": cutoff,
                "limit": batch_size,
                "at": after[0] if after else None,
                "id": after[1] if after else None,
            },
        ).fetchone()
        if last is None:
            return {}, None, problem
        found = {ROOT_TABLE: int(last[2])}  # rows each table's ids (or foreign keys) reach, for skipping empties
        conditions: dict[str, sql.Composable] = {ROOT_TABLE: _in_batch("id", ROOT_TABLE)}
        for name, links in steps[1:]:
            sources = [link for link in links if found.get(link.parent)]
            reach = sql.SQL(" OR ").join(_in_batch(link.column, link.parent) for link in sources)
            if not sources:
                found[name] = 0
            elif name in parents:
                select = sql.SQL(" UNION ").join(
                    sql.SQL("SELECT id FROM {} WHERE {}").format(
                        sql.Identifier(name), _in_batch(link.column, link.parent)
                    )
                    for link in sources
                )
                found[name] = conn.execute(sql.SQL("INSERT INTO {} {}").format(_id_table(name), select)).rowcount
                conditions[name] = _in_batch("id", name)
            else:
                found[name] = -1  # a leaf: counted by its DELETE
                conditions[name] = reach
        counts = {name: 0 for name, _ in steps}
        members: dict[str, IO[bytes]] = {}
        try:
            for name, _ in reversed(steps):  # children first: the parents' foreign-key checks then find nothing
                if not found[name]:
                    continue
                delete = sql.SQL("DELETE FROM {} WHERE {}").format(sql.Identifier(name), conditions[name])
                if archive:
                    members[name] = archive.spool()
                    counts[name] = _archived_delete(conn, delete, name, members[name])
                else:
                    counts[name] = conn.execute(delete).rowcount
            if set_based:  # before the archive is made durable: a batch that rolls back archives nothing
                ids = {name: _id_table(name) for name in parents if found.get(name)}
                cleanup_fk.check_links(conn, fk_links(steps), ids)
            if archive and members:
                archive.append(members)  # durable before the deletes commit
        finally:
            for member in members.values():
                member.close()
    return counts, (last[0], last[1]), problem


def _columns(name: str) -> sql.Composed:
    return sql.SQL(", ").join(map(sql.Identifier, (c.name for c in _table(name).columns)))


def _archived_delete(conn: psycopg.Connection, delete: sql.Composed, name: str, out: IO[bytes]) -> int:
    """Run `delete` with RETURNING every column, its rows (COPY text) compressed into one gzip member in `out`:
    the rows are read once, by the statement that deletes them. Returns the number of rows."""
    return _copy_member(conn, sql.SQL("{} RETURNING {}").format(delete, _columns(name)), out)


def _copy_member(conn: psycopg.Connection, query: sql.Composed, out: IO[bytes]) -> int:
    """`query`'s rows (COPY text) compressed into one gzip member in `out`; the number of rows."""
    compressor = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, 31)  # wbits 31: a gzip member
    with conn.cursor() as cursor:
        with cursor.copy(sql.SQL("COPY ({}) TO STDOUT").format(query)) as copy:
            for data in copy:
                out.write(compressor.compress(data))
        out.write(compressor.flush())
        return cursor.rowcount


def _drop_old_partitions(
    conn: psycopg.Connection,
    steps: list[tuple[str, list[Link]]],
    cutoff: datetime,
    archive: _Archive | None,
    lock_timeout: str,
) -> Iterator[tuple[Partition, int]]:
    """Each old partition of a leaf table that holds only rows cleanup deletes, archived and dropped whole (see
    devkit/cleanup_partitions.py), with its rows; the batches then find nothing left in it."""
    parents, links = _parents(steps), dict(steps)
    leaves = [name for name, _ in steps if name not in parents and name != ROOT_TABLE]
    for partition in old_partitions(conn, leaves, cutoff):
        rows = _drop_partition(conn, partition, links[partition.table], cutoff, archive, lock_timeout)
        if rows:
            yield partition, rows


def _drop_partition(
    conn: psycopg.Connection,
    partition: Partition,
    links: list[Link],
    cutoff: datetime,
    archive: _Archive | None,
    lock_timeout: str,
) -> int:
    """One transaction: SHARE-lock the partition (from now writes into it wait, reads go on), check that every
    row goes, archive it whole (durable), then detach and drop it — the only moment the table itself is locked
    (ACCESS EXCLUSIVE, for two catalog changes and the commit). Returns its rows; 0 when a row would stay or a
    lock isn't granted within the lock timeout (the archived rows are taken back): the batches delete its rows
    instead."""
    member: IO[bytes] | None = None
    archived: dict[str, int] | None = None
    try:
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(lock_timeout)))
            conn.execute(sql.SQL("LOCK TABLE {} IN SHARE MODE").format(partition.identifier))
            rows = count_if_all_go(conn, partition, links, _closure_parts(), cutoff)
            if rows:
                if archive:
                    member = archive.spool()
                    query = sql.SQL("SELECT {} FROM {}").format(_columns(partition.table), partition.identifier)
                    if _copy_member(conn, query, member) != rows:  # the SHARE lock holds it still: can't happen
                        raise DataError(f"{partition.name} changed under its lock", "re-run cleanup")
                    archived = archive.append({partition.table: member})
                detach_and_drop(conn, partition)
                if archive:
                    archive.dropping(partition)
        return rows
    except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
        if archive and archived is not None:
            archive.take_back(archived)
        return 0
    finally:
        if member is not None:
            member.close()


# --- restore ----------------------------------------------------------------------------------------------


def read_manifest(archive: Path) -> dict:
    """The archive's manifest, checked to be one `cleanup` wrote: every problem is one DataError, before any
    database is touched (a hand-edited entry can't name another table or a file outside the archive)."""
    path = archive / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        raise UsageError(f"{archive} is not a cleanup archive (no manifest.json)", "pass the archive folder") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}", "check the archive's permissions") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: unreadable manifest: {exc}", "the archive is damaged") from None
    if isinstance(manifest, dict) and "format" in manifest and manifest["format"] != ARCHIVE_FORMAT:
        raise DataError(f"{path}: unknown archive format {manifest['format']!r}", f"expected {ARCHIVE_FORMAT}")
    problem = _manifest_problem(manifest)
    if problem:
        raise DataError(f"{path}: not a cleanup manifest ({problem})", "the archive is damaged")
    return manifest


def _manifest_problem(manifest: object) -> str | None:
    if not isinstance(manifest, dict):
        return "not a JSON object"
    if manifest.get("format") != ARCHIVE_FORMAT:
        return "no format"
    tables = manifest.get("tables")
    if not isinstance(tables, list):
        return "no tables list"
    known = {name for name, _ in cascade()}
    for entry in tables:
        if not isinstance(entry, dict):
            return "a table entry is not an object"
        name = entry.get("name")
        if name not in known:
            return f"table {name!r} is not one cleanup archives"
        if entry.get("file") != f"{name}.copy.gz":
            return f"table {name}'s file is {entry.get('file')!r}, not {name}.copy.gz"
        columns = entry.get("columns")
        if not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns):
            return f"table {name} has no column list"
        rows = entry.get("rows")
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
            return f"table {name}'s row count is {rows!r}"
    partitions = manifest.get("partitions", [])  # archives written before partitions were dropped have none
    if not isinstance(partitions, list):
        return "partitions is not a list"
    for entry in partitions:
        if not isinstance(entry, dict) or entry.get("table") not in known:
            return "a partition entry names no table cleanup archives"
        if not all(isinstance(entry.get(key), str) and entry[key] for key in ("schema", "name", "from", "to")):
            return f"partition {entry.get('name')!r} lacks its schema, name or bounds"
    return None


def _rows(path: Path, size: int = 1 << 16) -> Iterator[bytes]:
    """The archived COPY text in whole lines. A run killed mid-batch leaves a gzip stream without its end
    marker (everything up to the last sync flush is intact) and maybe a partial last row from a batch whose
    delete never committed: the stream is read as far as it goes and the partial row dropped. A file that is
    not gzip, or whose data is corrupt, is a DataError naming it."""
    decompressor = zlib.decompressobj(wbits=31)
    tail = b""
    try:
        with path.open("rb") as raw:
            while block := raw.read(size):
                while block:
                    data = tail + decompressor.decompress(block)
                    block = b""
                    if decompressor.eof:  # one gzip member ended; another may follow
                        block = decompressor.unused_data
                        decompressor = zlib.decompressobj(wbits=31)
                    cut = data.rfind(b"\n") + 1
                    tail = data[cut:]
                    if cut:
                        yield data[:cut]
    except zlib.error as exc:
        raise DataError(
            f"{path} is not a readable gzip file ({exc})", "the archive is damaged; nothing was restored"
        ) from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}", "nothing was restored") from None


@dataclass
class RestoreResult:
    restored: dict[str, int] = field(default_factory=dict)
    already_present: dict[str, int] = field(default_factory=dict)


def restore_archive(dsn: str, archive: Path, events: CleanupEvents | None = None) -> RestoreResult:
    """Put an archive's rows back, parents first, in one transaction; rows already there are left alone."""
    events = events or SilentCleanupEvents()
    manifest = read_manifest(archive)
    result = RestoreResult()
    try:
        with connect(dsn) as conn, conn.transaction(), conn.cursor() as cursor:
            for partition in manifest.get("partitions", []):
                recreate(conn, partition)
            for entry in manifest["tables"]:
                name, file = entry["name"], archive / entry["file"]
                if not file.exists():
                    if entry["rows"]:
                        raise DataError(f"{file} is missing from the archive", "the archive is incomplete")
                    continue
                events.step("restore", name)
                staging = f"restore_{name}"
                columns = sql.SQL(", ").join(map(sql.Identifier, entry["columns"]))
                cursor.execute(
                    sql.SQL("CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(
                        sql.Identifier(staging), sql.Identifier(name)
                    )
                )
                with cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(staging), columns)) as copy:
                    for chunk in _rows(file):
                        copy.write(chunk)
                archived = cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(staging)))
                archived_rows = archived.fetchone()[0]
                # On the primary key: `(id)` on a plain table, `(id, <partition key>)` on a partitioned one.
                key = cursor.execute(
                    "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'p'", (name,)
                ).fetchone()
                conflict = sql.SQL("ON CONSTRAINT {}").format(sql.Identifier(key[0])) if key else sql.SQL("(id)")
                cursor.execute(
                    sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT {} DO NOTHING").format(
                        sql.Identifier(name), columns, columns, sql.Identifier(staging), conflict
                    )
                )
                result.restored[name] = cursor.rowcount
                result.already_present[name] = archived_rows - cursor.rowcount
    except psycopg.Error as exc:
        message = exc.diag.message_primary if getattr(exc, "diag", None) else str(exc)
        raise DataError(
            f"restoring {archive.name} into {mask_dsn(dsn)} failed: {scrub(str(message), dsn)}",
            "nothing was restored (one transaction); are the parent merchants/stores still there?",
        ) from None
    return result
