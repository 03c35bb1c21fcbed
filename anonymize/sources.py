"""Where a snapshot comes from: a live PostgreSQL (read-only, one exported snapshot shared by every worker) or a
pg_dump file (custom/directory/tar archive through pg_restore, or plain SQL scanned for its COPY blocks).

Every source hands out the same three things: the schema (applied to the target as pre-data, then post-data),
each table's rows as COPY TEXT lines in chunks that end on a line boundary, and the sequences' values.
Nothing is ever held whole: tables stream, dump files are read in chunks.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

import psycopg

from anonymize.catalog import CatalogTable, SequenceValue, sequence_values
from anonymize.copy_text import LineAssembler
from anonymize.errors import AnonymizeError
from anonymize.feeders import Feeders
from anonymize.postgres import ClientTools, ToolError, connect, describe, error_line, quote_ident, scrub
from anonymize.schema_parity import (
    REFRESH_TYPE,
    Entry,
    SchemaApplyError,
    Statement,
    apply_metadata,
    is_metadata,
    metadata_statements,
    populated_matviews,
    refresh_matviews,
)
from anonymize.tempdirs import RunDirectory, make_run_directory

Section = Literal["pre-data", "post-data"]
CHUNK = 1 << 20
# Read-only, and the text forms the transformers parse: ISO dates, UTF-8, exact floats.
_SESSION = "-c default_transaction_read_only=on -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=3"


_F_SETPIPE_SZ = 1031  # <fcntl.h>, Linux


def widen_pipe(fd: int) -> None:
    """A 1 MB pipe instead of 64 KB: a sixteenth of the reads (Linux; elsewhere the default stays)."""
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, _F_SETPIPE_SZ, CHUNK)


def _pipe_blocks(stream: IO[bytes], size: int) -> Iterator[bytes]:
    """The bytes of a pipe in blocks of about `size` (a pipe read returns what is there, often much less)."""
    fd = stream.fileno()
    parts: list[bytes] = []
    held = 0
    while True:
        data = os.read(fd, size)
        if not data:
            break
        parts.append(data)
        held += len(data)
        if held >= size:
            yield b"".join(parts) if len(parts) > 1 else parts[0]
            parts.clear()
            held = 0
    if parts:
        yield b"".join(parts)


# Linux caps one command-line argument at 128 KiB (MAX_ARG_STRLEN); longer queries go to psql's stdin.
_ARGUMENT_LIMIT = 100_000


class SourceError(AnonymizeError):
    """The source can't be used as asked: not read-only-capable, snapshot export refused, bad row filter."""


class DumpError(AnonymizeError):
    """A dump file is not a pg_dump file, is corrupt, or is truncated."""


# ---------------------------------------------------------------- schema: how sections reach the target


class Schema(ABC):
    """A source's schema, applied in pg_restore's order: pre-data, (the rows), post-data, then `finish`: owners,
    privileges and publications, and the materialized views refreshed (anonymize/schema_parity.py)."""

    @abstractmethod
    def apply(self, section: Section, dsn: str, jobs: int = 1) -> None:
        """Create this section's objects in the database at `dsn`."""

    @abstractmethod
    def metadata(self) -> list[Statement]:
        """The source's owner, privilege and publication statements."""

    @abstractmethod
    def refresh(self, dsn: str, jobs: int = 1) -> None:
        """Populate the materialized views the source has populated, in dependency order."""

    def finish(self, dsn: str, jobs: int = 1) -> list[str]:
        """After post-data: owners and privileges, then the refreshes (as their owners). Notes what the target
        could not take (a role it lacks), and the user mappings left behind."""
        notes = apply_metadata(dsn, self.metadata())
        self.refresh(dsn, jobs)
        if self.user_mappings_left_out():
            notes.append(
                f"{self.user_mappings_left_out()} user mapping(s) of foreign servers not copied: they hold the "
                "source's credentials to those servers; give dev its own with CREATE USER MAPPING"
            )
        return notes

    def user_mappings_left_out(self) -> int:
        """How many `CREATE USER MAPPING`s the source has: never applied, their options carry passwords."""
        return 0


_REFRESH_LINE = re.compile(rf"^\d+; \d+ \d+ {REFRESH_TYPE} ")
_USER_MAPPING_LINE = re.compile(r"^\d+; \d+ \d+ USER MAPPING ")
_RESTORE_FLAGS = ["--no-subscriptions", "--no-security-labels", "--no-tablespaces"]


@dataclass
class ArchiveSchema(Schema):
    """A pg_dump archive: pg_restore applies a section itself (post-data in parallel: index builds dominate).
    The materialized views' refreshes (`MATERIALIZED VIEW DATA`, post-data) wait for `refresh`; `workdir` holds
    the list files that say so."""

    archive: Path
    tools: ClientTools
    workdir: Path | None = None
    # The materialized views to refresh, when the archive has no refreshes of its own (pg_dump --schema-only)
    refreshes: list[str] | None = None
    _listing: list[str] | None = field(default=None, repr=False)

    def _toc(self) -> list[str]:
        if self._listing is None:
            try:
                listing = self.tools.run(["pg_restore", "--list", str(self.archive)])
            except ToolError as exc:
                raise DumpError(f"{self.archive}: reading its table of contents failed: {exc.line}") from None
            self._listing = listing.decode(errors="replace").splitlines()
        return self._listing

    def _list_file(self, name: str, lines: list[str]) -> Path:
        assert self.workdir is not None, "the source gives its schema a work directory when it opens"
        path = self.workdir / name
        path.write_text("".join(f"{line}\n" for line in lines))
        return path

    def _restore(self, args: list[str], dsn: str, section: str, what: str | None = None) -> None:
        try:
            self.tools.run([*args, str(self.archive)], dsn)
        except ToolError as exc:
            raise SchemaApplyError(section, exc.line, what) from None

    def apply(self, section: Section, dsn: str, jobs: int = 1) -> None:
        args = ["pg_restore", f"--section={section}", "--exit-on-error", "--no-owner", "--no-privileges"]
        args += ["--no-publications", *_RESTORE_FLAGS]
        if section == "post-data" and jobs > 1 and _seekable(self.archive):
            args.append(f"--jobs={jobs}")
        if section == "post-data" and self.refreshes is None and any(_REFRESH_LINE.match(line) for line in self._toc()):
            later = [f";{line}" if _REFRESH_LINE.match(line) else line for line in self._toc()]
            args += ["--use-list", str(self._list_file("post-data.list", later))]
        if section == "pre-data" and self.user_mappings_left_out():
            without = [f";{line}" if _USER_MAPPING_LINE.match(line) else line for line in self._toc()]
            args += ["--use-list", str(self._list_file("pre-data.list", without))]
        self._restore(args, dsn, section)

    def user_mappings_left_out(self) -> int:
        return sum(1 for line in self._toc() if _USER_MAPPING_LINE.match(line))

    def metadata(self) -> list[Statement]:
        try:
            sql = self.tools.run(["pg_restore", "--schema-only", *_RESTORE_FLAGS, "-f", "-", str(self.archive)])
        except ToolError as exc:
            raise DumpError(f"{self.archive}: reading its owners and privileges failed: {exc.line}") from None
        return metadata_statements(sql.decode())

    def refresh(self, dsn: str, jobs: int = 1) -> None:
        if self.refreshes is not None:
            refresh_matviews(dsn, self.refreshes)
            return
        refreshes = [line for line in self._toc() if _REFRESH_LINE.match(line)]
        if not refreshes:
            return
        # A refresh runs as the view's owner; under row-level security that applies to the owner it filters the
        # rows as the source's refresh did, where pg_restore's default (row_security off) would refuse to run it.
        args = ["pg_restore", "--exit-on-error", "--no-owner", "--no-privileges", "--enable-row-security"]
        args += _RESTORE_FLAGS
        if jobs > 1 and _seekable(self.archive):
            args.append(f"--jobs={jobs}")
        args += ["--use-list", str(self._list_file("refresh.list", refreshes))]
        self._restore(args, dsn, "", "the refresh of the source's materialized views")


def _seekable(archive: Path) -> bool:
    """pg_restore runs in parallel on custom and directory archives only (not tar)."""
    if archive.is_dir():
        return True
    with archive.open("rb") as handle:
        return handle.read(5) == b"PGDMP"


@dataclass
class PlainSchema(Schema):
    """Sections cut out of a plain SQL dump (psql meta-commands removed); pre-data, post-data and the refreshes
    run as one implicit transaction each over the simple query protocol, so a failure leaves nothing half-made.
    Owner, privilege and publication statements wait in `metadata`."""

    sections: dict[str, str]
    user_mappings: int = 0  # CREATE USER MAPPINGs the scan left out

    def apply(self, section: Section, dsn: str, jobs: int = 1) -> None:
        self._run(section, dsn)

    def user_mappings_left_out(self) -> int:
        return self.user_mappings

    def _run(self, section: str, dsn: str) -> None:
        sql = self.sections.get(section, "")
        if not sql.strip():
            return
        with connect(dsn, "target", autocommit=True) as conn:
            try:
                conn.execute(sql.encode())  # type: ignore[call-overload]  # bytes: never treated as a template
            except psycopg.Error as exc:
                what = "the refresh of the source's materialized views" if section == "refresh" else None
                raise SchemaApplyError(section, _pg_error_line(exc, dsn), what) from None

    def metadata(self) -> list[Statement]:
        return metadata_statements(self.sections.get("metadata", ""))

    def refresh(self, dsn: str, jobs: int = 1) -> None:
        self._run("refresh", dsn)


def _pg_error_line(exc: psycopg.Error, dsn: str) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return scrub(text, dsn)


# ---------------------------------------------------------------- the source interface


@dataclass
class TableStream:
    """One table's rows: `columns` in the order of every line's fields; `chunks` of whole COPY TEXT lines."""

    columns: tuple[str, ...]
    chunks: Iterator[bytes]


class Source(ABC):
    description: str  # for messages and reports: never a password
    schema: Schema
    live = False  # a server that answers catalog queries (and filters rows); else a dump file
    # Tables whose `where` matches their key against a subset's kept keys: a live source reads them by the key's
    # index (set by the run once the closure is counted).
    keyed: frozenset[str] = frozenset()
    feeders: Feeders | None = None  # the programs feeding open streams, for sources that start any

    def __enter__(self) -> Source:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> None:  # noqa: B027 - optional hook
        """Connect / index; cheap sources need nothing."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and temporary files."""

    def stop_streams(self) -> None:
        """An interrupted run: the programs feeding open streams (and any started after) are killed, so no reader
        waits on a pipe."""
        if self.feeders is not None:
            self.feeders.stop()

    def catalog(self) -> psycopg.Connection | None:
        """A connection that sees the source's catalog (live sources), or None: then the pipeline reads the
        schema from the target after pre-data."""
        return None

    def tables_with_data(self) -> set[str] | None:
        """The tables whose rows the source holds (`schema.table`), or None for all of them."""
        return None

    @abstractmethod
    def stream(
        self, table: CatalogTable, columns: Sequence[str], where: str | None = None, part: str | None = None
    ) -> contextlib.AbstractContextManager[TableStream]:
        """Open a table's rows. `columns` is the order the pipeline wants (live sources honour it; dump files
        bring their own order in `TableStream.columns`). `where` filters rows where the source can; `part` is
        a range of the table (anonymize/pipeline/ranges.py), which only a live source is given."""

    @abstractmethod
    def sequences(self) -> list[SequenceValue]: ...


# ---------------------------------------------------------------- live PostgreSQL


class LiveSource(Source):
    """A live server, opened read-only: one REPEATABLE READ READ ONLY transaction exports a snapshot and stays
    open; every worker connection imports it, so all tables come from one consistent moment."""

    live = True

    def __init__(self, dsn: str, tools: ClientTools | None = None) -> None:
        self.dsn = dsn
        self.description = describe(dsn)
        self.tools = tools or ClientTools.find()
        self.snapshot_id: str | None = None
        self.feeders = Feeders()
        self._main: psycopg.Connection | None = None
        self._tmp: RunDirectory | None = None
        self._schema: ArchiveSchema | None = None

    def open(self) -> None:
        if not Path(self.tools.path("psql")).exists():
            raise SourceError(
                f"psql not found next to pg_dump in {self.tools.bindir}",
                "install the PostgreSQL 15 client (apt install postgresql-client-15)",
            )
        self._main = self._connect_read_only()
        try:
            self._main.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            read_only = self._main.execute("SHOW transaction_read_only").fetchone()[0]
            if read_only != "on":
                raise SourceError(
                    f"source {self.description} did not open a read-only transaction",
                    "point --source at a server (or read replica) that honours default_transaction_read_only",
                )
            try:
                self.snapshot_id = self._main.execute("SELECT pg_export_snapshot()").fetchone()[0]
            except psycopg.Error as exc:
                raise SourceError(
                    f"source {self.description} refused to export a snapshot: {_pg_error_line(exc, self.dsn)}",
                    "connect directly to PostgreSQL (not through a transaction-pooling proxy)",
                ) from None
        except BaseException:
            self.close()
            raise

    def _connect_read_only(self) -> psycopg.Connection:
        try:
            conn = connect(self.dsn, "source", autocommit=True, options=_SESSION, client_encoding="UTF8")
        except AnonymizeError as exc:
            if "options" in exc.message or "startup parameter" in exc.message:
                raise SourceError(
                    f"source {self.description} is not read-only-capable: it rejects default_transaction_read_only",
                    "connect directly to PostgreSQL or its read replica, not through a pooler that drops options",
                ) from None
            raise
        setting = conn.execute("SHOW default_transaction_read_only").fetchone()[0]
        if setting != "on":
            conn.close()
            raise SourceError(
                f"source {self.description} is not read-only-capable: default_transaction_read_only stays off",
                "connect directly to PostgreSQL or its read replica",
            )
        return conn

    def close(self) -> None:
        if self._main is not None:
            with contextlib.suppress(Exception):
                self._main.close()
            self._main = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def catalog(self) -> psycopg.Connection:
        assert self._main is not None, "open() the source first"
        return self._main

    @property
    def schema(self) -> Schema:  # type: ignore[override]
        """pg_dump the schema once, inside the snapshot, into a small archive that pg_restore applies.

        --schema-only leaves out the refreshes of the populated materialized views (pg_dump counts them as data):
        they are read from the catalog instead, in the snapshot, and run after the metadata. Subscriptions stay
        out: they would connect to the source's publisher, with its connection string. (Not --section: pg_dump
        would then read every sequence's value, waiting on any lock held on one.)"""
        if self._schema is None:
            self._tmp = make_run_directory("devkit-schema-")
            archive = self._tmp.path / "schema.dump"
            args = ["pg_dump", "--format=custom", "--schema-only", f"--snapshot={self.snapshot_id}"]
            args += ["--no-subscriptions", "-f", str(archive)]
            try:
                self.tools.run(args, self.dsn)
            except ToolError as exc:
                raise SourceError(f"pg_dump of the source schema failed: {exc.line}") from None
            refreshes = populated_matviews(self.catalog())
            self._schema = ArchiveSchema(archive, self.tools, self._tmp.path, refreshes)
        return self._schema

    def _copy_command(self, query: str, keyed: bool = False) -> tuple[list[str], dict[str, str]]:
        """psql joins the exported snapshot and runs the COPY: its output arrives in pipe-sized blocks, where a
        libpq client in Python pays an interpreter round trip per row (measured: 1.1 s of CPU per 93 MB
        against 0.13 s)."""
        args = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        args += ["-c", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"]
        args += ["-c", f"SET TRANSACTION SNAPSHOT '{self.snapshot_id}'"]
        # No JIT: a subset's recursive query is estimated at billions of rows and runs in milliseconds; JIT
        # compiled for a second per table (measured, anonymize/subset/closure.py). A whole table's COPY plans nothing.
        args += ["-c", "SET LOCAL jit = off"]
        if keyed:
            # A subset's rows by their kept keys, through the key's index, as the plan promises: the planner,
            # costing a cold disk, preferred scanning the whole table (with parallel workers) for a 1% subset of a
            # composite key's table (order_items in bench/snapshot/subset.py: 0.24 s against 0.08 s). The run
            # already reads `jobs` tables at a time: no parallel workers for one.
            args += ["-c", "SET LOCAL enable_seqscan = off", "-c", "SET LOCAL max_parallel_workers_per_gather = 0"]
        # A query longer than an argument may be (a subset's kept keys) is read from stdin instead.
        args += ["-f", "-"] if len(query) > _ARGUMENT_LIMIT else ["-c", query]
        args += ["-c", "COMMIT"]
        command, env = self.tools.command(args, self.dsn)
        env["PGOPTIONS"] = _SESSION
        env["PGCLIENTENCODING"] = "UTF8"
        return command, env

    @contextlib.contextmanager
    def stream(
        self, table: CatalogTable, columns: Sequence[str], where: str | None = None, part: str | None = None
    ) -> Iterator[TableStream]:
        column_sql = ", ".join(quote_ident(c) for c in columns)
        # A range keeps the rule's filter: both hold, each in its own parentheses.
        conditions = " AND ".join(f"({c})" for c in (where, part) if c)
        if conditions:
            query = f"COPY (SELECT {column_sql} FROM ONLY {table.sql} WHERE {conditions}) TO STDOUT"
        else:
            query = f"COPY {table.sql} ({column_sql}) TO STDOUT"
        command, env = self._copy_command(query, bool(where) and table.name in self.keyed)
        with tempfile.TemporaryFile() as stderr:
            long_query = len(query) > _ARGUMENT_LIMIT
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE if long_query else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
            )
            assert process.stdout is not None
            if long_query:  # psql reads the whole statement before it runs it: no output can fill the pipe yet
                assert process.stdin is not None
                with contextlib.suppress(BrokenPipeError):
                    process.stdin.write(query.encode() + b";\n")
                with contextlib.suppress(BrokenPipeError):
                    process.stdin.close()
            widen_pipe(process.stdout.fileno())

            def failure() -> SourceError:
                process.wait()
                stderr.seek(0)
                line = error_line(stderr.read(), self.dsn)
                if "snapshot" in line.lower():
                    return SourceError(
                        f"a worker could not join the snapshot of {self.description}: {line}",
                        "connect directly to PostgreSQL (a pooler may route workers to another server)",
                    )
                if where:
                    return SourceError(
                        f"{table.name}: reading rows with the rule's where filter failed: {line}",
                        "fix the table's `where:` in the rules file",
                    )
                return SourceError(f"{table.name}: reading rows from the source failed: {line}")

            def chunks() -> Iterator[bytes]:
                lines = LineAssembler()
                for block in _pipe_blocks(process.stdout, CHUNK):
                    complete = lines.feed(block)
                    if complete:
                        yield complete
                if process.wait() != 0:
                    raise failure()
                if lines.pending:
                    raise SourceError(f"{table.name}: the source's COPY output ended mid-row")

            try:
                with self.feeders.feeding(process):
                    yield TableStream(tuple(columns), chunks())
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
                process.stdout.close()

    def sequences(self) -> list[SequenceValue]:
        return sequence_values(self.catalog())


# ---------------------------------------------------------------- pg_dump archives (custom, directory, tar)

_TOC_LINE = re.compile(r"^(\d+); \d+ \d+ (TABLE DATA|SEQUENCE SET) (\S+) (.+) (\S+)$")
_COPY_HEADER = re.compile(rb"^COPY (.+?) (?:\((.*)\) )?FROM stdin;\n?$")
_SETVAL = re.compile(r"SELECT pg_catalog\.setval\('((?:[^']|'')+)', (-?\d+), (true|false)\);")


@dataclass
class _TocEntry:
    dump_id: int
    kind: str
    table: str  # schema.name as pg_restore -l prints it


class ArchiveSource(Source):
    """A pg_dump archive read through pg_restore: the TOC from `pg_restore -l`, each table's data from
    `pg_restore -L <its entry> -f -` streamed through a pipe."""

    def __init__(self, path: Path, tools: ClientTools | None = None) -> None:
        self.path = path
        self.description = str(path)
        self.tools = tools or ClientTools.find()
        self.schema = ArchiveSchema(path, self.tools)
        self.feeders = Feeders()
        self._entries: list[_TocEntry] = []
        self._tmp: RunDirectory | None = None

    def open(self) -> None:
        try:
            toc = self.tools.run(["pg_restore", "--list", str(self.path)]).decode(errors="replace")
        except ToolError as exc:
            raise DumpError(
                f"{self.path} is not a readable pg_dump archive: {exc.line}",
                "pass a file made by pg_dump (custom, directory, tar or plain format), complete and uncorrupted",
            ) from None
        for line in toc.splitlines():
            match = _TOC_LINE.match(line)
            if match:
                self._entries.append(_TocEntry(int(match[1]), match[2], f"{match[3]}.{match[4]}"))
        self._tmp = make_run_directory("devkit-toc-")
        self.schema.workdir = self._tmp.path

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def tables_with_data(self) -> set[str]:
        return {e.table for e in self._entries if e.kind == "TABLE DATA"}

    def _list_file(self, entries: list[_TocEntry]) -> Path:
        assert self._tmp is not None, "open() the source first"
        fd, name = tempfile.mkstemp(dir=self._tmp.path, suffix=".list")
        with open(fd, "w") as handle:
            handle.write("".join(f"{e.dump_id}; 0 0 {e.kind} -\n" for e in entries))
        return Path(name)

    @contextlib.contextmanager
    def stream(
        self, table: CatalogTable, columns: Sequence[str], where: str | None = None, part: str | None = None
    ) -> Iterator[TableStream]:
        assert part is None, "a dump file's tables are read whole"
        entry = next((e for e in self._entries if e.kind == "TABLE DATA" and e.table == table.name), None)
        if entry is None:
            yield TableStream(tuple(columns), iter(()))
            return
        listing = self._list_file([entry])
        command, env = self.tools.command(["pg_restore", "--data-only", "-L", str(listing), "-f", "-", str(self.path)])
        with tempfile.TemporaryFile() as stderr:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, env=env)
            assert process.stdout is not None
            reader = CopyBlockReader(process.stdout, f"{self.path} ({table.name})")

            def failure(exc: DumpError | None) -> DumpError:
                # pg_restore's own complaint (e.g. "could not read input file: end of file") says most
                if process.poll() is None:
                    process.kill()
                process.wait()
                stderr.seek(0)
                detail = stderr.read()
                message = f"{self.path}: reading {table.name} failed: {error_line(detail)}" if detail.strip() else None
                if message is None and exc is not None:
                    return exc
                return DumpError(
                    message or f"{self.path}: reading {table.name} failed",
                    "the dump file is corrupt or truncated; make it again with pg_dump",
                )

            def chunks() -> Iterator[bytes]:
                try:
                    yield from reader.data()
                    reader.drain()
                except DumpError as exc:
                    raise failure(exc) from None
                if process.wait() != 0:
                    raise failure(None)

            try:
                with self.feeders.feeding(process):
                    try:
                        header_columns = reader.read_header()
                    except DumpError as exc:
                        raise failure(exc) from None
                    yield TableStream(header_columns or tuple(columns), chunks())
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
                process.stdout.close()

    def sequences(self) -> list[SequenceValue]:
        entries = [e for e in self._entries if e.kind == "SEQUENCE SET"]
        if not entries:
            return []
        listing = self._list_file(entries)
        try:
            sql = self.tools.run(["pg_restore", "--data-only", "-L", str(listing), "-f", "-", str(self.path)])
        except ToolError as exc:
            raise DumpError(f"{self.path}: reading sequence values failed: {exc.line}") from None
        return _parse_setvals(sql.decode())


def _parse_setvals(sql: str) -> list[SequenceValue]:
    return [SequenceValue(m[1].replace("''", "'"), int(m[2]), m[3] == "true") for m in _SETVAL.finditer(sql)]


class CopyBlockReader:
    """Reads one `COPY ... FROM stdin;` block out of SQL text on a binary stream: the header, then the data in
    chunks of whole lines, up to the `\\.` line. A stream that ends before `\\.` is a truncated dump."""

    def __init__(self, stream: IO[bytes], label: str) -> None:
        self.stream = stream
        self.label = label
        self.table: str | None = None

    def read_header(self) -> tuple[str, ...] | None:
        while True:
            line = self.stream.readline()
            if not line:
                raise DumpError(f"{self.label}: no COPY data found", "the dump file is corrupt or truncated")
            _check_encoding(line, self.label)
            match = _COPY_HEADER.match(line)
            if match:
                self.table = match[1].decode()
                return parse_column_list(match[2].decode()) if match[2] is not None else ()

    def data(self) -> Iterator[bytes]:
        pending = b""
        while True:
            data = self.stream.read(CHUNK)
            if not data:
                raise DumpError(
                    f"{self.label}: the data ends before its end marker (\\.)",
                    "the dump file is truncated; make it again with pg_dump",
                )
            pending += data
            if pending.startswith(b"\\.\n"):
                end = 0
            else:
                found = pending.find(b"\n\\.\n")
                end = found + 1 if found >= 0 else -1
            if end >= 0:
                if end:
                    yield pending[:end]
                return
            cut = pending.rfind(b"\n")
            if cut >= 0:
                yield pending[: cut + 1]
                pending = pending[cut + 1 :]

    def drain(self) -> None:
        while self.stream.read(CHUNK):
            pass


_IDENT = re.compile(r'\s*(?:"((?:[^"]|"")*)"|([^",\s]+))\s*(?:,|$)')


_CLIENT_ENCODING = re.compile(rb"^SET client_encoding = '([^']+)';")


def _check_encoding(line: bytes, label: str) -> None:
    match = _CLIENT_ENCODING.match(line)
    if match and match[1].upper().replace(b"-", b"") not in (b"UTF8", b"UNICODE"):
        raise DumpError(
            f"{label} was dumped in {match[1].decode()}, not UTF-8",
            "make the dump with pg_dump --encoding=UTF8",
        )


def parse_column_list(text: str) -> tuple[str, ...]:
    """pg_dump's `(id, "Weird Col", email)` inside -> ('id', 'Weird Col', 'email')."""
    columns = []
    position = 0
    while position < len(text):
        match = _IDENT.match(text, position)
        if not match or match.end() == position:
            raise DumpError(f"cannot read the column list of a COPY header: {text[:80]!r}")
        columns.append(match[1].replace('""', '"') if match[1] is not None else match[2])
        position = match.end()
    return tuple(columns)


def parse_qualified(text: str) -> str:
    """pg_dump's `public."Orders"` -> 'public.Orders' (the form catalog names use)."""
    parts = []
    for match in re.finditer(r'"((?:[^"]|"")*)"|([^."]+)', text):
        parts.append(match[1].replace('""', '"') if match[1] is not None else match[2])
    return ".".join(parts)


# ---------------------------------------------------------------- plain SQL dumps

_ENTRY_HEADER = re.compile(rb"^-- (?:Data for )?Name: (.*); Type: ([A-Z ]+); Schema: .*; Owner: .*$")
_DATA_TYPES = {b"TABLE DATA", b"SEQUENCE SET", b"BLOBS", b"BLOB", b"LARGE OBJECT", b"BLOB DATA"}
# Never carried: subscriptions (they would connect to the source's publisher), security labels (the target has no
# label provider to take them), the database's own properties (the target's database is the target's), user
# mappings (their options hold the passwords of the source's foreign servers).
_DROPPED_TYPES = {b"SUBSCRIPTION", b"SECURITY LABEL", b"DATABASE", b"DATABASE PROPERTIES", b"USER MAPPING"}
_OWNER_LINE = re.compile(rb"^ALTER .+ OWNER TO .+;\n?$")
_META_LINE = re.compile(rb"^\\(?:restrict|unrestrict|connect)\b")


@dataclass
class _CopyBlock:
    table: str
    columns: tuple[str, ...]
    start: int  # offset of the first data line
    end: int  # offset of the `\.` line


@dataclass
class _PlainIndex:
    preamble: list[bytes] = field(default_factory=list)
    pre: list[bytes] = field(default_factory=list)
    post: list[bytes] = field(default_factory=list)
    refresh: list[bytes] = field(default_factory=list)  # REFRESH MATERIALIZED VIEW, after the metadata
    metadata: list[bytes] = field(default_factory=list)  # entry headers, owner lines, privileges, publications
    blocks: dict[str, _CopyBlock] = field(default_factory=dict)
    sequences: list[SequenceValue] = field(default_factory=list)
    user_mappings: int = 0
    complete: bool = False


class PlainSource(Source):
    """A plain-format pg_dump: one scan indexes it (schema sections kept as text, each COPY block's byte
    range remembered), then each table streams from its range; the file is never loaded whole."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = str(path)
        self._index: _PlainIndex | None = None
        self.schema = PlainSchema({})

    def open(self) -> None:
        with self.path.open("rb") as handle:
            self._index = _scan_plain(handle, str(self.path))
        index = self._index
        self.schema = PlainSchema(
            {
                "pre-data": b"".join(index.preamble + index.pre).decode(),
                "post-data": b"".join(index.preamble + index.post).decode(),
                # as the view's owner, filtered by the row-level security that applies to it (see ArchiveSchema)
                "refresh": b"".join([*index.preamble, b"SET row_security = on;\n", *index.refresh]).decode()
                if index.refresh
                else "",
                "metadata": b"".join(index.metadata).decode(),
            },
            index.user_mappings,
        )

    def tables_with_data(self) -> set[str]:
        assert self._index is not None, "open() the source first"
        return set(self._index.blocks)

    @contextlib.contextmanager
    def stream(
        self, table: CatalogTable, columns: Sequence[str], where: str | None = None, part: str | None = None
    ) -> Iterator[TableStream]:
        assert part is None, "a dump file's tables are read whole"
        assert self._index is not None, "open() the source first"
        block = self._index.blocks.get(table.name)
        if block is None:
            yield TableStream(tuple(columns), iter(()))
            return
        with self.path.open("rb") as handle:
            yield TableStream(block.columns, _read_range(handle, block.start, block.end))

    def sequences(self) -> list[SequenceValue]:
        assert self._index is not None, "open() the source first"
        return list(self._index.sequences)


def _read_range(handle: IO[bytes], start: int, end: int) -> Iterator[bytes]:
    """Bytes [start, end) in chunks cut at line boundaries (the range itself is whole lines)."""
    handle.seek(start)
    remaining = end - start
    pending = b""
    while remaining > 0:
        data = handle.read(min(CHUNK, remaining))
        if not data:
            break
        remaining -= len(data)
        pending += data
        cut = pending.rfind(b"\n")
        if cut >= 0:
            yield pending[: cut + 1]
            pending = pending[cut + 1 :]
    if pending:
        yield pending


def _scan_plain(handle: IO[bytes], label: str) -> _PlainIndex:
    index = _PlainIndex()
    head = handle.read(4096)
    if b"PostgreSQL database dump" not in head:
        raise DumpError(
            f"{label} is not a pg_dump file (neither an archive nor a plain SQL dump)",
            "pass a file made by pg_dump",
        )
    handle.seek(0)
    state = "preamble"  # where the current entry's lines go: preamble, pre, data, post, refresh, metadata, dropped
    seen_data = False
    while True:
        offset = handle.tell()
        line = handle.readline()
        if not line:
            break
        header = _ENTRY_HEADER.match(line.rstrip(b"\n"))
        if header:
            kind = header[2].strip()
            if kind in _DATA_TYPES:
                state = "data"
                seen_data = True
            elif kind in _DROPPED_TYPES:
                state = "dropped"
                index.user_mappings += kind == b"USER MAPPING"
            elif is_metadata(Entry(kind.decode(), header[1].decode(errors="replace"))):
                state = "metadata"
            elif kind == REFRESH_TYPE.encode():
                state = "refresh"
            else:
                state = "post" if seen_data else "pre"
            # the `--` line above the header belongs to the same entry; harmless either way
            index.metadata.append(line)  # tells the metadata's reader which entry the owner lines below are of
            if state == "metadata":
                continue
        if line.startswith(b"-- PostgreSQL database dump complete"):
            index.complete = True
        if state == "preamble":
            _check_encoding(line, label)
        copy = _COPY_HEADER.match(line) if line.startswith(b"COPY ") else None
        if copy and state == "data":
            table = parse_qualified(copy[1].decode())
            columns = parse_column_list(copy[2].decode()) if copy[2] is not None else ()
            start = offset + len(line)
            end = _find_end_marker(handle, start, label, table)
            index.blocks[table] = _CopyBlock(table, columns, start, end)
            handle.seek(end + 3)
            continue
        if state == "data":
            if line.startswith(b"INSERT INTO "):
                raise DumpError(
                    f"{label} holds its rows as INSERT statements (pg_dump --inserts)",
                    "make the dump without --inserts/--column-inserts (COPY is what streams)",
                )
            if line.startswith(b"SELECT pg_catalog.setval("):
                index.sequences.extend(_parse_setvals(line.decode()))
            continue
        if state == "dropped" or _META_LINE.match(line):
            continue
        if state == "metadata" or _OWNER_LINE.match(line):
            index.metadata.append(line)
            continue
        {"preamble": index.preamble, "pre": index.pre, "post": index.post, "refresh": index.refresh}[state].append(line)
    if not index.complete:
        raise DumpError(
            f"{label} ends before pg_dump's closing line (-- PostgreSQL database dump complete)",
            "the dump file is truncated; make it again with pg_dump",
        )
    return index


def _find_end_marker(handle: IO[bytes], start: int, label: str, table: str) -> int:
    """Offset of the `\\.` line closing the COPY block that starts at `start`."""
    handle.seek(start)
    carry = b"\n"  # the header's newline: lets an empty block's `\.` match like any other
    position = start
    while True:
        data = handle.read(CHUNK)
        if not data:
            raise DumpError(
                f"{label}: the data of {table} ends before its end marker (\\.)",
                "the dump file is truncated; make it again with pg_dump",
            )
        buffer = carry + data
        found = buffer.find(b"\n\\.\n")
        if found >= 0:
            return position - len(carry) + found + 1
        carry = buffer[-3:]
        position += len(data)


# ---------------------------------------------------------------- choosing a source


def open_source(spec: str, tools: ClientTools | None = None) -> Source:
    """A DSN -> LiveSource; an existing file or directory -> ArchiveSource or PlainSource by its content."""
    from anonymize.postgres import is_dsn

    if is_dsn(spec):
        return LiveSource(spec, tools)
    path = Path(spec)
    if path.is_dir():
        if not (path / "toc.dat").exists():
            raise DumpError(f"{path} is a directory without toc.dat", "pass a pg_dump directory-format dump or a file")
        return ArchiveSource(path, tools)
    if not path.is_file():
        raise DumpError(
            f"source {spec} is neither a PostgreSQL DSN nor an existing dump file",
            "pass postgresql://user:password@host:port/db or the path of a pg_dump file",
        )
    with path.open("rb") as handle:
        head = handle.read(512)
    if head.startswith(b"PGDMP") or head[257:262] == b"ustar":
        return ArchiveSource(path, tools)
    return PlainSource(path)
