"""The documented flow, run as a new user runs it on a database devkit has never seen, then every check of it.

    devkit rules init --source DSN > draft.yml                    (the draft left exactly as drafted)
    devkit snapshot --anonymize --source DSN --rules draft.yml --yes

through the real CLI (`.venv/bin/devkit` in a subprocess, its own project folder, a target database as
DEVKIT_DEV_DSN), then the checks of `checks.py` on source and output, and `devkit scan` on the draft and on a
deliberately weakened draft. An untransformed `pg_dump | psql` copy of the same database is timed for comparison.

`run(builder, server, source_dsn, workdir)` takes any builder module (see `tests/strangers/__init__.py`) whose
database is already built at `source_dsn`, and returns an `Outcome`: per check, its problems (empty = pass).
With `edit`, the draft is changed by it before use: what a user does to get past a failure (a builder's
`workaround`), measured apart so the checks behind a failed publication still get a verdict.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import psycopg
import yaml

from testbed.servers import PostgresServer
from testbed.strangers.locations import parse
from tests.strangers import checks
from tests.strangers.checks import Problem

DEVKIT = Path(sys.executable).parent / "devkit"
KEY = "strangers-harness-key-0123456789abcdef"  # a test key: the fakes are reproducible run to run
TIMEOUT = 1800

# Every check, in report order. `published` gates those that read the output.
CHECKS: tuple[str, ...] = (
    "published",  # (a) the untouched draft's snapshot exits 0
    "leaks",  # (b) no planted value anywhere in any table of the output
    "leaks_dump",  # (b) ... nor in pg_dump --data-only of it
    "in_place",  # (b) ... nor still in its own row (short values too: dates, ZIPs, card pieces)
    "row_counts",  # (c)
    "foreign_keys",  # (c)
    "sequences",  # (c)
    "schema",  # (d) pg_dump --schema-only parity, owners and ACLs included
    "matviews",  # (d) populated, as many rows
    "ids",  # (e) identifiers byte-identical
    "locale",  # (f) fakes of the kind they replace
    "scan_weakened",  # (g) scan names every column a weakened draft exposes
    "scan_draft",  # (g) scan names every personal column the untouched draft keeps
)
NEEDS_OUTPUT = frozenset(CHECKS) - {"published", "scan_weakened", "scan_draft"}


def name_of(builder: ModuleType) -> str:
    """A builder's NAME, or its module's name."""
    return getattr(builder, "NAME", builder.__name__.rsplit(".", 1)[-1])


def locale_of(builder: ModuleType) -> Mapping[str, tuple[str, ...]]:
    return getattr(builder, "locale_expectations", {})


def ids_of(builder: ModuleType) -> tuple[str, ...]:
    return tuple(getattr(builder, "id_columns", ()))


def in_place_only_of(builder: ModuleType) -> frozenset[str]:
    return frozenset(getattr(builder, "in_place_only", frozenset()))


@dataclass
class Outcome:
    database: str
    edited: bool = False  # the draft was edited (a workaround), not used as drafted
    checks: dict[str, list[Problem]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # rules_init, snapshot, snapshot_reported, copy, ...
    rows: int = 0
    weakened: list[str] = field(default_factory=list)  # the columns the weakened draft keeps
    planted: dict[str, set[str]] = field(default_factory=dict, repr=False)  # the builder's oracle, for tests
    notes: list[str] = field(default_factory=list)  # not failures: what the report should still say

    def passed(self, check: str) -> bool:
        return not self.checks[check]


def run(
    builder: ModuleType,
    server: PostgresServer,
    source_dsn: str,
    workdir: Path,
    edit: Callable[[str], str] | None = None,
) -> Outcome:
    outcome = Outcome(name_of(builder), edited=edit is not None)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "devkit.toml").write_text(f'[stack]\nproject = "strangers-{outcome.database}"\n')
    planted = outcome.planted = builder.personal_values(source_dsn)
    in_place_only = set(in_place_only_of(builder))

    started = time.monotonic()
    drafted = _devkit(workdir, server, "", "rules", "init", "--source", source_dsn)
    outcome.seconds["rules_init"] = time.monotonic() - started
    if drafted.returncode != 0:
        failed = [Problem(f"devkit rules init exited {drafted.returncode}: {_tail(drafted.stderr)}")]
        return _all_failed(outcome, failed)
    draft = workdir / "draft.yml"
    draft.write_text(drafted.stdout)
    if edit is not None:
        draft = workdir / "edited.yml"
        draft.write_text(edit(drafted.stdout))

    with server.database(f"{outcome.database}_dev") as target_dsn:
        outcome.checks["published"] = _snapshot(outcome, workdir, server, source_dsn, draft, target_dsn)
        _untransformed_copy(outcome, server, source_dsn)
        started = time.monotonic()
        if outcome.checks["published"]:
            not_published = [Problem("not published: no output to check")]
            outcome.checks.update({check: list(not_published) for check in NEEDS_OUTPUT})
        else:
            _check_output(outcome, builder, server, source_dsn, target_dsn, planted, in_place_only)
        outcome.seconds["checks"] = time.monotonic() - started

    started = time.monotonic()
    _check_scans(outcome, workdir, server, source_dsn, draft, planted)
    outcome.seconds["scans"] = time.monotonic() - started
    return outcome


def _all_failed(outcome: Outcome, problems: list[Problem]) -> Outcome:
    outcome.checks = {check: list(problems) for check in CHECKS}
    return outcome


# ---------------------------------------------------------------- running devkit and the client tools


def _env(workdir: Path, server: PostgresServer, target_dsn: str) -> dict[str, str]:
    """devkit's environment: nothing of the caller's DEVKIT_* settings, the target as dev, the test key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVKIT_")}
    env.update(
        DEVKIT_ANON_KEY=KEY,
        DEVKIT_POSTGRES_BIN=str(server.bindir),
        DEVKIT_CONFIG=str(workdir / "devkit.toml"),
        NO_COLOR="1",
        COLUMNS="200",
    )
    if target_dsn:
        env["DEVKIT_DEV_DSN"] = target_dsn
    return env


def _devkit(workdir: Path, server: PostgresServer, target_dsn: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DEVKIT), *args],
        cwd=workdir,
        env=_env(workdir, server, target_dsn),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def _tail(stderr: str, lines: int = 8) -> str:
    """The lines of devkit's stderr that say what went wrong (it names tables and columns, never values)."""
    wanted = [line.strip() for line in stderr.splitlines() if line.startswith(("!", "✗", "error", "Error"))]
    wanted = [line for line in wanted if "--source carries a password" not in line]
    return " | ".join((wanted or [line.strip() for line in stderr.splitlines() if line.strip()])[-lines:])


def _snapshot(
    outcome: Outcome, workdir: Path, server: PostgresServer, source_dsn: str, draft: Path, target_dsn: str
) -> list[Problem]:
    """(a): the untouched draft publishes."""
    report = workdir / "snapshot-report.json"
    started = time.monotonic()
    done = _devkit(
        workdir, server, target_dsn, "snapshot", "--anonymize", "--source", source_dsn, "--rules", str(draft),
        "--yes", "--report", str(report),
    )  # fmt: skip
    outcome.seconds["snapshot"] = time.monotonic() - started
    (workdir / "snapshot.stderr").write_text(done.stderr)
    if report.exists():
        data = json.loads(report.read_text())
        outcome.seconds["snapshot_reported"] = data.get("seconds", 0.0)
        outcome.rows = data.get("rows", 0)
    if done.returncode != 0:
        return [Problem(f"devkit snapshot exited {done.returncode}: {_tail(done.stderr)}")]
    return []


def _client(server: PostgresServer, tool: str) -> str:
    return str(server.bindir / tool)


def _pg_dump(server: PostgresServer, dsn: str, *options: str) -> str:
    return subprocess.run(
        [_client(server, "pg_dump"), *options, "-d", dsn], capture_output=True, text=True, check=True, timeout=TIMEOUT
    ).stdout


def _untransformed_copy(outcome: Outcome, server: PostgresServer, source_dsn: str) -> None:
    """Seconds of `pg_dump SOURCE | psql COPY` into a fresh database: what a copy without anonymization costs.
    For the report only: when the plain copy itself fails (as pg_dump does on forced row-level security), a note
    says so and no ratio is printed."""
    with server.database("untransformed") as copy_dsn:
        started = time.monotonic()
        dump = subprocess.Popen(
            [_client(server, "pg_dump"), "-d", source_dsn], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        load = subprocess.run(
            [_client(server, "psql"), "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", copy_dsn],
            stdin=dump.stdout,
            capture_output=True,
            timeout=TIMEOUT,
        )
        dump.stdout.close()
        dumped = dump.stderr.read().decode()
        dump.wait(TIMEOUT)
        if dump.returncode or load.returncode:
            failure = (dumped or load.stderr.decode()).strip().splitlines() or ["?"]
            outcome.notes.append(f"the untransformed pg_dump | psql copy failed: {failure[-1]}")
            return
        outcome.seconds["copy"] = time.monotonic() - started


# ---------------------------------------------------------------- the checks of the output


def _check_output(
    outcome: Outcome,
    builder: ModuleType,
    server: PostgresServer,
    source_dsn: str,
    target_dsn: str,
    planted: Mapping[str, set[str]],
    in_place_only: set[str],
) -> None:
    found = outcome.checks
    with psycopg.connect(source_dsn, autocommit=True) as source, psycopg.connect(target_dsn, autocommit=True) as out:
        coincidences: dict[str, set[str]] = {}
        found["leaks"] = checks.check_leaks(source, out, planted, in_place_only, coincidences)
        data_dump = _pg_dump(server, target_dsn, "--data-only")
        found["leaks_dump"] = checks.check_dump_leaks(data_dump, planted, in_place_only, coincidences)
        outcome.notes += [
            f"{table}: {len(values)} planted value(s) found in rows that did not hold them (fakes equal to real"
            " values of other rows: coincidences, not leaks)"
            for table, values in sorted(coincidences.items())
        ]
        found["in_place"] = checks.check_in_place(source, out, planted)
        found["row_counts"] = checks.check_row_counts(source, out)
        found["foreign_keys"] = checks.check_foreign_keys(source, out)
        found["sequences"] = checks.check_sequences(source, out)
        found["schema"] = checks.check_schema(
            _pg_dump(server, source_dsn, "--schema-only"), _pg_dump(server, target_dsn, "--schema-only")
        )
        found["matviews"] = checks.check_matviews(source, out)
        found["ids"] = checks.check_ids(source, out, ids_of(builder))
        found["locale"] = checks.check_locale(source, out, locale_of(builder))


# ---------------------------------------------------------------- (g) scan on the draft and a weakened draft


def personal_columns(planted: Mapping[str, set[str]]) -> set[tuple[str, str]]:
    """(schema.table, column) of every column holding planted values."""
    return {(parse(text).qualified_table, column) for text in planted for column in parse(text).columns}


def column_families(dsn: str) -> dict[tuple[str, str], str]:
    """(schema.table, column) -> "text", "json" or the type's name: what `devkit scan` samples is text and JSON."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT n.nspname || '.' || c.relname, a.attname,"
            " CASE WHEN t.typname IN ('json', 'jsonb') THEN 'json' WHEN t.typcategory = 'S' THEN 'text'"
            " ELSE format_type(a.atttypid, a.atttypmod) END"
            " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_type t ON t.oid = a.atttypid"
            " WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')"
        ).fetchall()
    return {(table, column): family for table, column, family in rows}


def drafted_transforms(draft_text: str) -> dict[tuple[str, str], str]:
    """(schema.table, column) -> the transform a rules file gives it."""
    rules = yaml.safe_load(draft_text) or {}
    out = {}
    for table, rule in (rules.get("tables") or {}).items():
        qualified = table if "." in table else f"public.{table}"
        for column, column_rule in ((rule or {}).get("columns") or {}).items():
            transform = column_rule.get("transform") if isinstance(column_rule, dict) else column_rule
            out[(qualified, column)] = str(transform)
    return out


def weaken(draft_text: str, columns: set[tuple[str, str]]) -> str:
    """The draft with `columns` ruled `keep`, as a careless edit would leave it."""
    rules = yaml.safe_load(draft_text)
    for table, rule in rules["tables"].items():
        qualified = table if "." in table else f"public.{table}"
        for column in rule.get("columns") or {}:
            if (qualified, column) in columns:
                rule["columns"][column] = "keep"
    return yaml.safe_dump(rules, allow_unicode=True, sort_keys=False)


def _scan(workdir: Path, server: PostgresServer, source_dsn: str, rules: Path) -> list[dict] | Problem:
    done = _devkit(workdir, server, "", "scan", "--source", source_dsn, "--rules", str(rules), "--json")
    if done.returncode not in (0, 7):
        return Problem(f"devkit scan exited {done.returncode}: {_tail(done.stderr)}")
    return json.loads(done.stdout)["findings"]


def _check_scans(
    outcome: Outcome,
    workdir: Path,
    server: PostgresServer,
    source_dsn: str,
    draft: Path,
    planted: Mapping[str, set[str]],
) -> None:
    draft_text = draft.read_text()
    transforms = drafted_transforms(draft_text)
    families = column_families(source_dsn)
    personal = personal_columns(planted)
    kept = {c: f"kept by the draft, {families.get(c, '?')}" for c in personal if transforms.get(c) == "keep"}
    # Weakened: every personal text or JSON column (what scan samples) the draft does rule.
    weakened = {c for c in personal if transforms.get(c, "keep") != "keep" and families.get(c) in ("text", "json")}
    outcome.weakened = sorted(f"{t}.{c}" for t, c in weakened)
    weak = workdir / "weakened.yml"
    weak.write_text(weaken(draft_text, weakened))
    for check, rules, expected in (
        ("scan_draft", draft, kept),
        ("scan_weakened", weak, {c: f"weakened from {transforms[c]}" for c in weakened}),
    ):
        findings = _scan(workdir, server, source_dsn, rules)
        outcome.checks[check] = [findings] if isinstance(findings, Problem) else checks.check_scan(findings, expected)
