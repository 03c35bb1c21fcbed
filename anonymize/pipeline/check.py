"""What a run checks before any data moves, without moving any (`devkit snapshot --check`, `rules init`): the
source's schema as the rules see it, the rules' coverage of it, and the privileges of both roles."""

from __future__ import annotations

from dataclasses import dataclass, field

from anonymize.columns import ColumnInfo
from anonymize.errors import AnonymizeError
from anonymize.postgres import ConnectError
from anonymize.privileges import Missing, privilege_error, source_privileges, target_privileges
from anonymize.rules import RulesFile, check_coverage, reflect_schema
from anonymize.sinks import Sink
from anonymize.sources import Source


def read_schema(source: Source, sink: Sink | None = None) -> dict[str, list[ColumnInfo]]:
    """The source's schema as the rules see it. A live source is asked directly; a dump file's schema is read
    back from a scratch database made with `sink` on the target server (pre-data only), then dropped."""
    with source:
        catalog = source.catalog()
        if catalog is not None:
            return reflect_schema(catalog)
        if sink is None:
            raise AnonymizeError("reading a dump file's schema needs a target server to restore it into")
        load = sink.begin()
        try:
            source.schema.apply("pre-data", load.dsn)
            with load.connect() as conn:
                return reflect_schema(conn)
        finally:
            sink.abort()


def check_rules(source: Source, rules: RulesFile, sink: Sink | None = None) -> tuple[list[str], int]:
    """Every coverage problem (empty: the rules cover the schema) and the number of tables checked."""
    schema = read_schema(source, sink)
    return check_coverage(rules, schema), len(schema)


@dataclass
class RunCheck:
    """What `--check` found: coverage `problems`, the privileges the roles lack (`missing`), and `notes`."""

    problems: list[str]
    tables: int
    missing: list[Missing]
    notes: list[str] = field(default_factory=list)


def check_run(source: Source, rules: RulesFile, target: Sink, scratch: Sink | None = None) -> RunCheck:
    """`--check`: what run_snapshot checks before any data moves, without moving any: the rules against the
    source's schema, and the privileges of the source's role and of `target`'s (the sink the run would use).
    A dump file's schema is read back through `scratch`, on the target's server.

    A target whose server doesn't answer is noted, not failed: the rules and the source can then still be checked
    where only the source is reachable (CI), and a run stops at that connection at once, before reading anything."""
    notes: list[str] = []
    try:
        missing = target_privileges(target)
    except ConnectError as error:
        if scratch is not None:  # a dump file's schema can't be read without that server
            raise
        missing = []
        notes.append(f"target not checked: {error.message}")
    if scratch is not None and missing:
        raise privilege_error(missing)  # the scratch database for the dump's schema couldn't be made either
    if not source.live:
        schema = read_schema(source, scratch)
    else:
        with source:
            catalog = source.catalog()
            assert catalog is not None, "a live source answers catalog queries"
            schema = reflect_schema(catalog)
            missing[:0] = [m for m in (source_privileges(catalog),) if m is not None]
    return RunCheck(check_coverage(rules, schema), len(schema), missing, notes)
