"""Glue between the devkit CLI and the anonymize engine: which source, which target, which rules and key, and the
one place where the engine's errors become devkit errors (exit codes) with every password masked."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from anonymize.errors import AnonymizeError, CoverageError, KeyMissingError, PrivilegeError, RulesError
from anonymize.keys import Keyring
from anonymize.pipeline import VerificationError
from anonymize.postgres import ClientTools, is_dsn
from anonymize.postgres import scrub as scrub_engine
from anonymize.sinks import DatabaseSink
from anonymize.sources import Source, SourceError, open_source
from devkit.config import Settings
from devkit.environments import mask_dsn, resolve_dsn, scrub
from devkit.errors import ConfigError, DataError, DevkitError, RefusedError, UsageError
from devkit.stack.state import state_dir

RULES_CANDIDATES = ("anonymize/rules/smartpos.yml", "anonymize/rules/smartpos.yaml")
PACKAGED_RULES = Path(__file__).resolve().parent.parent / "anonymize" / "rules" / "smartpos.yml"

# Engine error class -> devkit error class (exit code). The first matching entry wins.
ERROR_MAP: tuple[tuple[type[AnonymizeError], type[DevkitError]], ...] = (
    (RulesError, ConfigError),  # a bad rules file: file, line, what is wrong
    (KeyMissingError, ConfigError),
    (CoverageError, RefusedError),  # fail closed: the rules don't cover the schema, nothing moved
    (VerificationError, RefusedError),  # the result was not safe to publish, nothing published
    (PrivilegeError, DataError),  # a role lacks grants (like bad credentials); not 7, which scan's CI gate uses
    (SourceError, RefusedError),  # e.g. a source that isn't read-only-capable
    (AnonymizeError, DataError),  # unreachable servers, bad credentials, corrupt dumps, failed loads
)


def translate(error: AnonymizeError, *dsns: str) -> DevkitError:
    """The devkit error for an engine error, message and hint scrubbed of every password we know of."""
    devkit_class = next(target for source, target in ERROR_MAP if isinstance(error, source))
    message = _clean(error.message, dsns)
    hint = _clean(error.hint, dsns) if error.hint else None
    return devkit_class(message, hint)


def _clean(text: str, dsns: tuple[str, ...]) -> str:
    for dsn in dsns:
        text = scrub(text, dsn)
    return mask_dsn(scrub_engine(text))


@contextmanager
def engine_errors(*dsns: str) -> Iterator[None]:
    """Run engine code; its errors leave as devkit errors."""
    with database_errors(*dsns):
        try:
            yield
        except AnonymizeError as error:
            raise translate(error, *dsns) from None


@contextmanager
def database_errors(*dsns: str) -> Iterator[None]:
    """The net under the engine: a database error it didn't turn into one of its own leaves as a devkit error,
    one line, passwords scrubbed."""
    try:
        yield
    except psycopg.Error as error:
        if not is_server_failure(error):
            raise  # SQL of ours the server rejects: a bug, whose traceback is worth having
        raise database_error(error, dsns) from None


def is_server_failure(error: psycopg.Error) -> bool:
    """A database error the user can act on: privileges, a lost connection, a cancelled statement, a full disk.
    The engine turns the ones it expects into its own errors; this is the net under the rest."""
    return isinstance(error, psycopg.errors.InsufficientPrivilege) or not isinstance(error, psycopg.ProgrammingError)


def database_error(error: psycopg.Error, dsns: tuple[str, ...]) -> DataError:
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return DataError(
        f"the database failed: {_clean(line, dsns)}",
        "check the server and the role's grants, and run again",
    )


def resolve_source(settings: Settings, spec: str | None) -> str:
    """--source: a DSN, a pg_dump file, or an environment's name; default the production environment's DSN."""
    if spec is None:
        environment = settings.environment("production")
        if not environment.dsn:
            raise ConfigError(
                "no source: the production environment has no DSN",
                "set DEVKIT_PRODUCTION_DSN (the read replica) or pass --source DSN|FILE",
            )
        return environment.dsn
    if is_dsn(spec):
        return spec
    if Path(spec).exists():
        return str(Path(spec).resolve())
    if spec in settings.environments:
        return resolve_dsn(settings, spec)
    raise UsageError(
        f"--source {spec!r} is neither a DSN, an existing dump file, nor an environment",
        "pass postgresql://user:password@host:port/db, the path of a pg_dump file, or an environment name",
    )


def resolve_rules(settings: Settings, path: Path | None) -> Path:
    if path is not None:
        return path
    for candidate in RULES_CANDIDATES:
        if (settings.root / candidate).is_file():
            return settings.root / candidate
    if PACKAGED_RULES.is_file():
        return PACKAGED_RULES
    raise UsageError("no rules file found", "pass --rules FILE (draft one with `devkit rules init`)")


def load_keyring(key_file: Path | None) -> Keyring:
    with engine_errors():
        return Keyring.from_file(key_file) if key_file else Keyring.from_env()


def open_for_schema(settings: Settings, source_spec: str, target: str) -> tuple[Source, DatabaseSink | None]:
    """Open a source whose schema will be read. A dump file's schema can only be read back through a server:
    that of the (non-production) `target` environment hosts a scratch database for it."""
    from devkit.environments import refuse_production

    tools = client_tools(settings)
    with engine_errors(source_spec):
        chosen = open_source(source_spec, tools)
    if chosen.live:
        return chosen, None
    refuse_production(settings, target, "restore a dump file's schema into")
    return chosen, DatabaseSink(resolve_dsn(settings, target), tools)


def client_tools(settings: Settings) -> ClientTools:
    bindir = settings.path(settings.stack.postgres_bin) if settings.stack.postgres_bin else None
    with engine_errors():
        return ClientTools.find(bindir)


def same_database(first: str, second: str) -> bool:
    """Do two DSNs name the same database on the same server (as far as the DSNs tell)?"""
    from psycopg.conninfo import conninfo_to_dict

    def where(dsn: str) -> tuple[str, str, str]:
        params = conninfo_to_dict(dsn)
        host = str(params.get("host") or params.get("hostaddr") or "localhost")
        host = "localhost" if host in ("127.0.0.1", "::1") else host
        return host, str(params.get("port") or "5432"), str(params.get("dbname") or params.get("user") or "")

    if not (is_dsn(first) and is_dsn(second)):
        return False
    return where(first) == where(second)


def default_report_path(settings: Settings) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return state_dir(settings) / "reports" / f"snapshot-{stamp}.json"


def write_report(path: Path, text: str) -> None:
    """Reports hold no values and no key, but they do describe production's shape: owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(partial, path)
