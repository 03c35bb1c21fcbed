"""Glue between the devkit CLI and the anonymize engine: which source, which target, which rules and key, and the
one place where the engine's errors become devkit errors (exit codes) with every password masked."""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from anonymize.errors import AnonymizeError, CoverageError, KeyMissingError, PrivilegeError, RulesError
from anonymize.keys import Keyring
from anonymize.pipeline.run import VerificationError
from anonymize.postgres import ClientTools, database_of, has_password, is_dsn
from anonymize.postgres import scrub as scrub_engine
from anonymize.sinks import DatabaseSink, DumpFileSink, Sink
from anonymize.sources import Source, SourceError, open_source
from anonymize.subset.spec import SubsetError, UnreachedTablesError
from devkit.config import Settings
from devkit.environments import mask_dsn, refuse_production, resolve_dsn, scrub
from devkit.errors import ConfigError, DataError, DevkitError, RefusedError, UsageError
from devkit.stack.state import state_dir

if TYPE_CHECKING:
    from anonymize.pipeline.check import RunCheck
    from anonymize.rules import RulesFile
    from anonymize.subset.plan import SubsetPlan
    from anonymize.subset.spec import SubsetSpec

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
    (UnreachedTablesError, RefusedError),  # fail closed: tables no subset path reaches and the rules don't place
    (SubsetError, UsageError),  # a subset declared wrong (unknown table, a condition the source refuses)
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


def password_in_argv(spec: str | None) -> str | None:
    """A warning when --source is a DSN with its password: devkit's command line is readable by every local user
    (ps, /proc/<pid>/cmdline) for as long as it runs, the environment is not."""
    if spec is None or not is_dsn(spec) or not has_password(spec):
        return None
    return (
        "--source carries a password, which other local users can read in devkit's command line (ps, /proc): "
        "put the DSN in DEVKIT_PRODUCTION_DSN (the default source) or DEVKIT_<ENV>_DSN with --source <env>"
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
    tools = client_tools(settings)
    with engine_errors(source_spec):
        chosen = open_source(source_spec, tools)
    if chosen.live:
        return chosen, None
    refuse_production(settings, target, "restore a dump file's schema into")
    return chosen, DatabaseSink(resolve_dsn(settings, target), tools)


@dataclass(frozen=True)
class SnapshotTarget:
    """Where a snapshot goes: the sink the run loads (the target's database, or a dump file written through a
    scratch database on the target's server), its DSN, and how to name it to the user."""

    sink: Sink
    dsn: str
    description: str
    replaces_database: bool


def snapshot_target(settings: Settings, source_spec: str, target: str, output: Path | None) -> SnapshotTarget:
    """The sink a snapshot into `target` (never a production environment) or into the dump file `output` uses;
    refused when it would replace the database being read."""
    refuse_production(settings, target, "load a snapshot into")
    target_dsn = resolve_dsn(settings, target)
    # With --output the target's server only hosts a scratch database, so anonymizing dev itself into a file
    # (to share it) is fine; replacing the database being read is not.
    if output is None and same_database(source_spec, target_dsn):
        raise RefusedError(
            f"source and target are the same database ({mask_dsn(target_dsn)})",
            "point --source at production (or its dump) and --target at dev, or write a file with --output",
        )
    tools = client_tools(settings)
    if output is not None:
        return SnapshotTarget(
            DumpFileSink(target_dsn, output.resolve(), tools), target_dsn, f"anonymized dump file {output}", False
        )
    what = f"the {target} database ({mask_dsn(target_dsn)})"
    return SnapshotTarget(DatabaseSink(target_dsn, tools), target_dsn, what, True)


def check_snapshot(
    settings: Settings, source_spec: str, target: str, output: Path | None, rules: RulesFile
) -> tuple[RunCheck, Source, str]:
    """`snapshot --check`: the rules against the source's schema and the grants of the source's and the target's
    roles, moving no data (the target is the one the run would load: refused here when the run would refuse it).
    The check's findings, the source checked and the target's DSN."""
    from anonymize.pipeline.check import check_run

    refuse_production(settings, target, "load a snapshot into")
    target_dsn = resolve_dsn(settings, target)
    chosen, scratch = open_for_schema(settings, source_spec, target)
    tools = client_tools(settings)
    planned: Sink = DatabaseSink(target_dsn, tools)
    if output is not None:
        planned = DumpFileSink(target_dsn, output.resolve(), tools)
    with engine_errors(source_spec, target_dsn):
        return check_run(chosen, rules, planned, scratch), chosen, target_dsn


def plan_subset(settings: Settings, source_spec: str, target: str, rules: RulesFile, spec: SubsetSpec) -> SubsetPlan:
    """The subset's plan against the source (a fresh one: the check has closed its own). A dump file's schema is
    restored for it into a scratch database on the (non-production) target's server."""
    from anonymize.subset.plan import check_subset

    chosen, scratch = open_for_schema(settings, source_spec, target)
    with engine_errors(source_spec, scratch.server_dsn if scratch else ""):
        return check_subset(chosen, rules, spec, scratch)


def draft_from_source(
    settings: Settings, source_spec: str, target: str, scan: bool, sample: int
) -> tuple[str, dict[str, list]]:
    """`rules init`: a rules file drafted from the source's schema and, with `scan`, from the personal data found
    in `sample` rows a table; the text and the schema it covers."""
    from anonymize.draft import draft_rules
    from anonymize.pipeline.check import read_schema

    chosen, scratch = open_for_schema(settings, source_spec, target)
    with engine_errors(source_spec, scratch.server_dsn if scratch else ""):
        schema = read_schema(chosen, scratch)
        found = profiles = locales = None
        if scan:  # a fresh source: read_schema has closed the first
            from anonymize.scan import scan_source

            try:
                scanned = scan_source(open_source(source_spec, client_tools(settings)), None, max(1, sample), scratch)
                found, profiles, locales = scanned.suggestions(), scanned.profiles, scanned.locales
            except PrivilegeError as error:  # only sampling needs SELECT: the schema comes from the catalog
                raise PrivilegeError(
                    error.message, f"{error.hint}; or draft from the schema alone: --no-scan"
                ) from None
        return draft_rules(schema, found, profiles=profiles, locales=locales), schema


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


def default_report_path(settings: Settings, target_dsn: str, output: Path | None = None) -> Path:
    """`reports/snapshot-<time>-<target>.json`, the target being the database replaced or the dump file written:
    runs into dev and dev2 started in the same second get different names. Two runs into one target can still
    wish for the same name: `write_report(..., exclusive=True)` then numbers the later one."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = output.name if output is not None else database_of(target_dsn)
    return state_dir(settings) / "reports" / f"snapshot-{stamp}-{_file_safe(target)}.json"


def _file_safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._")[:80] or "target"


def write_report(path: Path, text: str, exclusive: bool = False) -> Path:
    """Write `text` whole (never half a file: a complete temporary file is renamed or linked into place) and
    owner-only (reports hold no values and no key, but they do describe production's shape); the path written.
    `exclusive`: never replace a file that exists, take `<stem>-2<suffix>`, `-3`... instead, so that concurrent
    runs never share a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own per writer (mkstemp: O_EXCL, mode 0600): two runs writing at once don't mix their bytes.
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        if not exclusive:
            os.replace(partial, path)
            return path
        return _link_first_free(Path(partial), path)
    finally:
        Path(partial).unlink(missing_ok=True)


def _link_first_free(partial: Path, path: Path) -> Path:
    """`path`, else `<stem>-2<suffix>`, `-3`...: the first name free, given the complete file at `partial`."""
    candidate, number = path, 1
    while True:
        try:
            _claim(partial, candidate)
            return candidate
        except FileExistsError:
            number += 1
            candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")


def _claim(partial: Path, name: Path) -> None:
    """link() makes `name` only if it is free, and the file behind it is already whole. Where a file system has
    no hard links, `name` is claimed empty (O_EXCL) and then replaced whole."""
    try:
        os.link(partial, name)
    except FileExistsError:
        raise
    except OSError:
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.replace(partial, name)
