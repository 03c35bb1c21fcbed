"""Talking to PostgreSQL: connecting with clear errors, masking DSNs, and running the client binaries
(pg_dump, pg_restore, psql) without putting a password on a command line or handing them devkit's secrets."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import conninfo as pg_conninfo

from anonymize.errors import AnonymizeError

BINDIR_CANDIDATES = ("/usr/lib/postgresql/15/bin",)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^@\s]*)(@)")
# Keyword form (`password=p`), also inside a URL's query string, where `&` ends the value.
_KV_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", re.IGNORECASE)


class ConnectError(AnonymizeError):
    """A server can't be reached or refuses us (bad credentials, missing database)."""


def mask_dsn(dsn: str) -> str:
    """The DSN with its password replaced by ***, for every message, log and report."""
    masked = _URL_PASSWORD.sub(r"\1***\3", dsn)
    return _KV_PASSWORD.sub(r"\1***", masked)


def scrub(text: str, *dsns: str) -> str:
    """Remove every password of `dsns` (and any DSN-shaped password) from a message."""
    for dsn in dsns:
        password = _password_of(dsn)
        if password:
            # Whole words only: a short password such as `dev` must not garble `devkit_seed_ledger`.
            text = re.sub(rf"(?<!\w){re.escape(password)}(?!\w)", "***", text)
    return mask_dsn(text)


def has_password(dsn: str) -> bool:
    """Does the DSN carry a password (URL or keyword form)?"""
    return bool(_password_of(dsn)) or mask_dsn(dsn) != dsn


def _password_of(dsn: str) -> str | None:
    try:
        return pg_conninfo.conninfo_to_dict(dsn).get("password")  # type: ignore[return-value]
    except psycopg.ProgrammingError:
        return None


_KEYWORD_DSN = re.compile(r"(^|\s)(host|hostaddr|dbname|user|port|service)\s*=")


def is_dsn(value: str) -> bool:
    """A URL (`postgresql://...`) or keyword/value (`host=... dbname=...`) connection string, not a path."""
    return value.startswith(("postgresql://", "postgres://")) or _KEYWORD_DSN.search(value) is not None


def describe(dsn: str) -> str:
    """user@host:port/dbname — what a message needs to name a server, without any secret."""
    try:
        params = pg_conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return mask_dsn(dsn)
    host = params.get("host") or params.get("hostaddr") or "localhost"
    port = params.get("port") or "5432"
    user = params.get("user") or os.environ.get("PGUSER") or ""
    database = params.get("dbname") or user
    return f"{user + '@' if user else ''}{host}:{port}/{database}"


def with_database(dsn: str, database: str) -> str:
    """The same server and credentials, another database."""
    return pg_conninfo.make_conninfo(dsn, dbname=database)


def database_of(dsn: str) -> str:
    params = pg_conninfo.conninfo_to_dict(dsn)
    database = params.get("dbname") or params.get("user") or os.environ.get("PGDATABASE")
    if not database:
        raise ConnectError(f"{describe(dsn)}: the DSN names no database", "add /<database> to the DSN")
    return str(database)


def connect(dsn: str, role: str, **kwargs: object) -> psycopg.Connection:
    """Connect or raise a one-line error naming the server (never the password). `role` says which end this is
    ("source", "target") so the message points the user at the right setting."""
    try:
        return psycopg.connect(dsn, connect_timeout=10, **kwargs)  # type: ignore[arg-type]
    except psycopg.OperationalError as exc:
        reason = _first_line(scrub(str(exc), dsn))
        raise ConnectError(
            f"cannot connect to the {role} database {describe(dsn)}: {reason}",
            f"check that the server is up and the {role} DSN's host, port, user, password and database are right",
        ) from None
    except psycopg.ProgrammingError as exc:
        raise ConnectError(f"invalid {role} DSN {mask_dsn(dsn)}: {_first_line(str(exc))}") from None


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    # libpq prefixes the interesting part with "connection to server ... failed:"
    return lines[0] if lines else "unknown error"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_qualified(qualified: str) -> str:
    """'public.orders' -> '"public"."orders"' (the schema is everything before the first dot)."""
    schema, _, table = qualified.partition(".")
    return f"{quote_ident(schema)}.{quote_ident(table)}"


# ---------------------------------------------------------------- client binaries


@dataclass(frozen=True)
class ClientTools:
    """pg_dump / pg_restore of one PostgreSQL installation (15 by default: the same major as the servers)."""

    bindir: Path

    @classmethod
    def find(cls, bindir: Path | str | None = None) -> ClientTools:
        if bindir is not None:
            path = Path(bindir)
            if not (path / "pg_dump").exists():
                raise AnonymizeError(f"no pg_dump in {path}", "point the PostgreSQL bin directory at a 15.x install")
            return cls(path)
        for candidate in BINDIR_CANDIDATES:
            if Path(candidate, "pg_dump").exists():
                return cls(Path(candidate))
        found = shutil.which("pg_dump")
        if found:
            return cls(Path(found).resolve().parent)
        raise AnonymizeError("pg_dump/pg_restore not found", "install postgresql-client-15 (apt install postgresql-15)")

    def path(self, name: str) -> str:
        return str(self.bindir / name)

    def run(self, args: list[str], dsn: str | None = None, stdin: bytes | None = None) -> bytes:
        """Run a client binary to completion; raise with its first error line (scrubbed) on failure."""
        command, env = self.command(args, dsn)
        result = subprocess.run(command, input=stdin, capture_output=True, env=env, check=False)
        if result.returncode != 0:
            raise ToolError(args[0], error_line(result.stderr, dsn))
        return result.stdout

    def command(self, args: list[str], dsn: str | None = None) -> tuple[list[str], dict[str, str]]:
        """argv and environment: the DSN goes in as `-d` without its password, the password via PGPASSWORD
        (a command line is visible to every local user, the environment is not)."""
        command = [self.path(args[0]), *args[1:]]
        password = None
        if dsn is not None:
            params = pg_conninfo.conninfo_to_dict(dsn)
            password = params.pop("password", None)
            command += ["-d", pg_conninfo.make_conninfo("", **params)]
        return command, client_environment(str(password) if password else None)


def client_environment(password: str | None = None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a pg_dump / pg_restore / psql child: ours without what it has no use for and must not
    see, plus the password of the one connection it makes.

    Left out: every DEVKIT_* variable (the anonymization key, every environment's DSN), every variable whose value
    carries a DSN password (a DATABASE_URL with credentials), and every variable whose value is the password of
    a DSN in the environment. Kept: the rest, PG* settings included (PGPASSFILE, PGSSLMODE... and the user's own
    PGPASSWORD when the DSN has none), since libpq may need them."""
    environ = os.environ if environ is None else environ
    passwords = {_password_of(value) for value in environ.values() if is_dsn(value)} - {None, ""}
    env = {
        name: value
        for name, value in environ.items()
        if not name.startswith("DEVKIT_")
        and mask_dsn(value) == value
        and (value not in passwords or name == "PGPASSWORD")
    }
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    if password:
        env["PGPASSWORD"] = password
    return env


class ToolError(AnonymizeError):
    """pg_dump or pg_restore failed."""

    def __init__(self, tool: str, line: str) -> None:
        super().__init__(f"{tool} failed: {line}")
        self.tool = tool
        self.line = line


def error_line(stderr: bytes, dsn: str | None = None) -> str:
    """The most telling line of a client binary's stderr: the first 'error:'/'ERROR:' line, else the first."""
    text = stderr.decode(errors="replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    chosen = next((line for line in lines if "error" in line.lower()), lines[0] if lines else "no error output")
    return scrub(chosen, dsn) if dsn else mask_dsn(chosen)
