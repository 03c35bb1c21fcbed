"""Where a snapshot goes, always through a brand-new database on the target server:

- `DatabaseSink`: load `<db>_devkit_new_<tag>_<ts>_<run>`, give it `<db>`'s own owner, privileges, settings and
  comment, then swap it in for `<db>` in one transaction (two renames), drop the previous one only after the swap
  committed. A failure drops the new database; a kill leaves
  it behind as a stale `*_devkit_new_*` that the next run into `<db>` removes. Either way `<db>` is exactly as it
  was until the swap.
- `DumpFileSink`: load a scratch database the same way, then `pg_dump --format=custom` it to the output file
  (written under a temporary name, renamed when complete) and drop it: a file `pg_restore` accepts.
- `RestoreScratch`: a private database next to a sink's, named and swept like its scratch databases
  (`<db>_devkit_restore_<tag>_<ts>_<run>`), never published: where a subset of a dump file restores the dump to
  compute its closure (anonymize/subset/restore.py). Dropped when the run ends, whatever the outcome.

Scratch names are cut to PostgreSQL's 63 bytes, so `<tag>`, a hash of the whole target name, says whose they are
(targets whose names share their first bytes get different tags), and `<ts>_<run>` which run made them.
Runs on one target database are serialized by an advisory lock held for the whole run. Each run also holds an
advisory lock keyed by each scratch name it makes, from before the database exists until its session ends
(closed, or the process killed), so a leftover is dropped only once its lock can be taken: its run is dead.
Advisory locks are per database: every lock of a target is taken through the same admin database.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from anonymize.catalog import SequenceValue
from anonymize.checkpoint_ahead import CheckpointAhead
from anonymize.errors import AnonymizeError
from anonymize.postgres import (
    ClientTools,
    ToolError,
    connect,
    database_of,
    describe,
    quote_ident,
    quote_qualified,
    scrub,
    with_database,
)
from anonymize.schema_parity import database_properties, run_statements

MAX_NAME = 63  # NAMEDATALEN - 1
NEW_MARK = "_devkit_new_"
OLD_MARK = "_devkit_old_"
EXPORT_MARK = "_devkit_export_"
RESTORE_MARK = "_devkit_restore_"
SWAP_ATTEMPTS = 5


class TargetError(AnonymizeError):
    """The target can't take the load: busy, refused, or a load/swap statement failed."""


def _stamp() -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime())


def target_tag(identity: str) -> str:
    """8 hex digits of a target's whole name: what tells apart scratch databases of targets whose names had to
    be cut to the same first bytes."""
    return hashlib.blake2b(identity.encode(), digest_size=4).hexdigest()


def scratch_prefix(base: str, mark: str, tag: str) -> str:
    """`<base><mark><tag>_`, `base` shortened so that the whole scratch name fits PostgreSQL's 63 bytes."""
    tail = f"{mark}{tag}_"
    room = MAX_NAME - len(tail.encode()) - _RUN_PART_BYTES
    return base.encode()[:room].decode(errors="ignore") + tail


def scratch_name(base: str, mark: str, tag: str, stamp: str, run: str) -> str:
    """`<base><mark><tag>_<stamp>_<run>`: whose (tag), when (UTC stamp) and which run (random) made it."""
    return f"{scratch_prefix(base, mark, tag)}{stamp}_{run}"


_RUN_PART_BYTES = len("20250101000000_abcdef")
_RUN_PART = re.compile(r"\d{14}_[0-9a-f]{6}")


def lock_key(kind: str, name: str) -> int:
    """A 64-bit advisory lock key for a target (`kind` "snapshot") or a scratch database ("scratch")."""
    digest = hashlib.blake2b(f"devkit-{kind}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass
class TableWriter:
    """COPY FROM STDIN into one table; `rows` is what the server counted once closed."""

    copy: psycopg.Copy
    rows: int = 0
    bytes: int = 0

    def write(self, data: bytes) -> None:
        self.copy.write(data)
        self.bytes += len(data)


@dataclass
class DatabaseLoad:
    """The new database a run loads into, on the target server."""

    server_dsn: str  # any database on the target server (credentials)
    name: str
    _connections: list[psycopg.Connection] = field(default_factory=list)

    @property
    def dsn(self) -> str:
        return with_database(self.server_dsn, self.name)

    def connect(self, **kwargs: object) -> psycopg.Connection:
        return connect(self.dsn, "target", **kwargs)

    @contextlib.contextmanager
    def copy_in(self, table: str, columns: Sequence[str]) -> Iterator[TableWriter]:
        """One connection and one transaction per table (or range of one: several may load one table side by side);
        its rows are committed only if all of them arrived (and the run publishes only if every one was)."""
        with self.connect(client_encoding="UTF8") as conn:
            conn.execute("SET synchronous_commit = off")
            column_sql = ", ".join(quote_ident(c) for c in columns)
            query = f"COPY {quote_qualified(table)} ({column_sql}) FROM STDIN"
            try:
                with conn.cursor() as cursor:
                    with cursor.copy(query) as copy:
                        writer = TableWriter(copy)
                        yield writer
                    writer.rows = max(cursor.rowcount, 0)
            except psycopg.Error as exc:
                raise TargetError(
                    f"{table}: loading rows into the target failed: {_error_line(exc, self.dsn)}"
                ) from None

    def set_sequences(self, values: Sequence[SequenceValue]) -> None:
        if not values:
            return
        with self.connect(autocommit=True) as conn:
            for value in values:
                try:
                    conn.execute(
                        "SELECT pg_catalog.setval(%s::regclass, %s, %s)", (value.name, value.value, value.is_called)
                    )
                except psycopg.Error as exc:
                    raise TargetError(f"setting sequence {value.name} failed: {_error_line(exc, self.dsn)}") from None


_QUOTED_VALUE = re.compile(r'(: )"[^"]*"$')


def _error_line(exc: psycopg.Error, dsn: str) -> str:
    """The server's first line, without the value it may quote (`invalid input syntax for type inet: "…"`)."""
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    return _QUOTED_VALUE.sub(r'\1"…"', scrub(text.splitlines()[0], dsn))


class Sink(ABC):
    """A target. `begin()` makes the database to load; `commit()` publishes it; `abort()` throws it away."""

    description: str

    # A run into the target takes the target's run lock; a scratch database beside it (RestoreScratch) does not.
    serialized = True

    def __init__(self, server_dsn: str, tools: ClientTools | None = None) -> None:
        self.server_dsn = server_dsn
        self.tools = tools or ClientTools.find()
        self._admin: psycopg.Connection | None = None
        self.load: DatabaseLoad | None = None
        self.notes: list[str] = []
        self._run = ""  # this run's part of its scratch names, drawn by begin()
        self._ahead: CheckpointAhead | None = None

    # -- the base name whose runs this sink serializes, and the mark its working databases carry
    @property
    @abstractmethod
    def base_name(self) -> str: ...

    @property
    @abstractmethod
    def work_mark(self) -> str: ...

    @property
    @abstractmethod
    def identity(self) -> str:
        """What the run lock and the scratch names' tag derive from: the whole target name, qualified by the kind
        of sink (an export's scratch databases are not those of a database that happens to be named devkit)."""

    def _admin_dsn(self) -> str:
        return with_database(self.server_dsn, "postgres")

    @property
    def admin_dsn(self) -> str:
        """Where begin() connects to create and swap databases (never the database being replaced)."""
        return self._admin_dsn()

    def begin(self) -> DatabaseLoad:
        admin = connect(self._admin_dsn(), "target", autocommit=True)
        self._admin = admin
        self._run = secrets.token_hex(3)
        try:
            if self.serialized and not self._try_lock(lock_key("snapshot", self.identity)):
                raise TargetError(
                    f"another devkit snapshot into {self.base_name} is running on {describe(self.server_dsn)}",
                    "wait for it to finish (or stop it) and run again",
                )
            self._remove_stale()
            name = self._new_name(self.work_mark)
            options = self._create_options()
            try:
                admin.execute(f"CREATE DATABASE {quote_ident(name)} TEMPLATE template0{options}")
            except psycopg.Error as exc:
                reason = _error_line(exc, self.server_dsn)
                raise TargetError(
                    f"cannot create database {name} on {describe(self.server_dsn)}: {reason}",
                    "the target user needs CREATEDB (and the server free disk space)",
                ) from None
            self.load = DatabaseLoad(self.server_dsn, name)
            if self._drops_at_end():
                # The drop at the end waits for a checkpoint: one asked for now runs beside the run's work.
                self._ahead = CheckpointAhead(self._admin_dsn())
            return self.load
        except BaseException:
            self._release()
            raise

    def _create_options(self) -> str:
        return ""

    def _drops_at_end(self) -> bool:
        """Whether a successful run ends by dropping a database (the previous copy, a scratch database), which
        waits for a checkpoint (anonymize/checkpoint_ahead.py)."""
        return False

    def _new_name(self, mark: str) -> str:
        """A scratch name for this run, its lock held (for the session's life) before the database exists, so
        no other run's sweep can ever find it unheld while this run lives."""
        assert self._admin is not None
        name = scratch_name(self.base_name, mark, target_tag(self.identity), _stamp(), self._run)
        self._admin.execute("SELECT pg_advisory_lock(%s)", (lock_key("scratch", name),))
        return name

    def _try_lock(self, key: int) -> bool:
        assert self._admin is not None
        return bool(self._admin.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0])

    def _remove_stale(self) -> None:
        """This target's databases left by killed runs: those whose scratch lock nobody holds any more."""
        assert self._admin is not None
        tag = target_tag(self.identity)
        for mark in (NEW_MARK, OLD_MARK, EXPORT_MARK, RESTORE_MARK):
            prefix = scratch_prefix(self.base_name, mark, tag)
            found = self._admin.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (prefix,)
            ).fetchall()
            for (name,) in found:
                if _RUN_PART.fullmatch(name[len(prefix) :]):
                    self._remove_if_dead(name)

    def _remove_if_dead(self, name: str) -> None:
        assert self._admin is not None
        key = lock_key("scratch", name)
        if not self._try_lock(key):
            return  # its run is still alive
        try:
            self._drop(name)
            self.notes.append(f"removed {name}, left behind by an interrupted run")
        except psycopg.Error as exc:  # someone else's leftover (another owner): not a reason to stop this run
            reason = _error_line(exc, self.server_dsn)
            self.notes.append(f"could not remove {name}, left behind by an interrupted run: {reason}")
        finally:
            self._admin.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def _drop(self, name: str) -> None:
        assert self._admin is not None
        self._admin.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")

    def abort(self) -> None:
        """Drop the database being loaded; the published one was never touched."""
        try:
            if self.load is not None and self._admin is not None:
                with contextlib.suppress(psycopg.Error):
                    self._drop(self.load.name)
        finally:
            self.load = None
            self._release()

    def _release(self) -> None:
        if self._ahead is not None:
            self._ahead.close()
            self._ahead = None
        if self._admin is not None:
            with contextlib.suppress(Exception):
                self._admin.close()  # also releases the advisory locks
            self._admin = None

    @abstractmethod
    def commit(self) -> str:
        """Publish the loaded database; returns a one-line description of what now holds the snapshot."""


class DatabaseSink(Sink):
    """A database (dev by default) replaced atomically by the loaded snapshot."""

    def __init__(self, dsn: str, tools: ClientTools | None = None) -> None:
        super().__init__(dsn, tools)
        self.database = database_of(dsn)
        self.description = describe(dsn)

    @property
    def base_name(self) -> str:
        return self.database

    @property
    def identity(self) -> str:
        return f"database:{self.database}"

    @property
    def work_mark(self) -> str:
        return NEW_MARK

    def _admin_dsn(self) -> str:
        admin_db = "postgres" if self.database != "postgres" else "template1"
        return with_database(self.server_dsn, admin_db)

    def _create_options(self) -> str:
        # The new database speaks what the old one spoke: same encoding and locale.
        assert self._admin is not None
        row = self._admin.execute(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = %s",
            (self.database,),
        ).fetchone()
        if row is None:
            return ""
        encoding, collate, ctype = (str(v).replace("'", "''") for v in row)
        return f" ENCODING '{encoding}' LC_COLLATE '{collate}' LC_CTYPE '{ctype}'"

    def _drops_at_end(self) -> bool:
        assert self._admin is not None
        return (
            self._admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)).fetchone() is not None
        )

    def commit(self) -> str:
        assert self.load is not None and self._admin is not None, "begin() first"
        admin = self._admin
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)).fetchone()
        if exists:  # the database keeps its own owner, privileges, settings and comment through the swap
            properties = database_properties(admin, self.database, self.load.name)
            what = f"{self.database}'s own database properties"
            self.notes += run_statements(admin, properties, self.server_dsn, what)
        old = self._new_name(OLD_MARK)
        for attempt in range(1, SWAP_ATTEMPTS + 1):
            try:
                with admin.transaction():
                    if exists:
                        # Sessions on the old database would block the rename; pg_terminate_backend(pid, timeout)
                        # waits for them to go. Someone reconnecting in between makes the rename fail: retry.
                        admin.execute(
                            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                            "WHERE datname = %s AND pid <> pg_backend_pid()",
                            (self.database,),
                        )
                        admin.execute(f"ALTER DATABASE {quote_ident(self.database)} RENAME TO {quote_ident(old)}")
                    admin.execute(
                        f"ALTER DATABASE {quote_ident(self.load.name)} RENAME TO {quote_ident(self.database)}"
                    )
                break
            except psycopg.Error as exc:
                if attempt == SWAP_ATTEMPTS:
                    raise TargetError(
                        f"swapping the snapshot into {self.database} failed: {_error_line(exc, self.server_dsn)}",
                        f"{self.database} is unchanged; stop what keeps reconnecting to it and run again",
                    ) from None
                time.sleep(0.2 * attempt)
        self.load = None  # published: abort() must not drop it any more
        if exists:
            try:
                self._drop(old)
            except psycopg.Error:
                self.notes.append(f"the previous database is kept as {old}; the next run removes it")
        self._release()
        return f"database {self.database} on {describe(self.server_dsn)}"


class DumpFileSink(Sink):
    """An anonymized custom-format dump file, made from a scratch database on the target server."""

    def __init__(self, server_dsn: str, output: Path, tools: ClientTools | None = None) -> None:
        super().__init__(server_dsn, tools)
        self.output = output
        self.description = str(output)

    @property
    def base_name(self) -> str:
        return "devkit"

    @property
    def identity(self) -> str:
        return "export"

    @property
    def work_mark(self) -> str:
        return EXPORT_MARK

    def _drops_at_end(self) -> bool:
        return True  # the scratch database, once exported

    def commit(self) -> str:
        assert self.load is not None, "begin() first"
        partial = self.output.with_name(self.output.name + ".partial")
        self.output.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Owners and privileges as the snapshot carries them: `pg_restore --no-owner` is the reader's choice.
            self.tools.run(["pg_dump", "--format=custom", "-f", str(partial)], self.load.dsn)
        except ToolError as exc:
            partial.unlink(missing_ok=True)
            raise TargetError(f"writing {self.output} failed: {exc.line}") from None
        os.replace(partial, self.output)
        self.abort()  # the scratch database has served its purpose
        return f"dump file {self.output} (custom format: restore with pg_restore)"


class RestoreScratch(Sink):
    """A private database beside `sink`'s, on its server, for the run's own use (a dump file restored to compute a
    subset's closure): the same base name, tag and admin database as `sink`'s scratch databases, so the same
    sweep removes it once its run is dead (a killed run's leftover goes with the next run into that target).
    Never published: `abort()` drops it. It takes no run lock: the run's sink takes that one."""

    serialized = False

    def __init__(self, sink: Sink) -> None:
        super().__init__(sink.server_dsn, sink.tools)
        self.sink = sink
        self.description = f"a scratch database beside {sink.description}"

    @property
    def base_name(self) -> str:
        return self.sink.base_name

    @property
    def identity(self) -> str:
        return self.sink.identity

    @property
    def work_mark(self) -> str:
        return RESTORE_MARK

    def _admin_dsn(self) -> str:
        return self.sink.admin_dsn  # advisory locks are per database: the sink's sweep must see this one's

    def commit(self) -> str:
        raise AssertionError("a restore scratch database is never published")
