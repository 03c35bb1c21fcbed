"""What a snapshot run did, as data: printed by the CLI, written as JSON. Never holds a source value or the key
(the key appears only as its one-way fingerprint)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ColumnStats:
    """One transformed column of one table."""

    column: str  # schema.table.column
    rule: str  # transformer description, e.g. "email[email]"
    values: int = 0  # non-NULL values seen
    changed: int = 0  # values whose output differs from the input
    nulls: int = 0


@dataclass
class TableReport:
    table: str
    rule_table: str
    rows: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    skipped: bool = False  # skip_data: schema only
    filtered: bool = False  # a `where` kept a subset of rows
    columns: list[ColumnStats] = field(default_factory=list)


@dataclass
class RuleReport:
    """Totals per rule (transformer and domain) over every column that uses it."""

    rule: str
    columns: int = 0
    values: int = 0
    changed: int = 0


NAMES_IN_KEPT_MIN = 2  # name matches in a kept column that can be chance ...
NAMES_IN_KEPT_SHARE = 0.5  # ... and the share of its table's rows from which they are not (a column of names)


@dataclass
class LeakSource:
    """Identifying source values of one origin found in one output column: where they came from (never the values)
    and which rule to change."""

    found_in: str  # schema.table.column of the output where they were found
    found_in_rule: str  # "keep", or "transformed" (a rule that replaces pieces inside values)
    origin: str  # described: "public.webhook_events.payload $.data.object.id (card, detected in free text)"
    column: str | None  # the source column they were read from ...
    path: str | None  # ... the JSON path inside it ...
    kind: str | None  # ... what they are (detected kind, or the transform that replaced them) ...
    detected: bool  # ... and whether free-text detection found them
    values: int  # keys found (a number counts with its bare digits)
    fix: str
    kept_as: str | None = None  # shared identifiers: where the source keeps them as they are

    @property
    def line(self) -> str:
        return f"{self.values} from {self.origin}"


@dataclass
class VerifyReport:
    tables_checked: int = 0
    row_count_mismatches: list[str] = field(default_factory=list)
    foreign_keys: int = 0
    foreign_keys_validated_by_postgres: int = 0
    foreign_keys_checked_by_query: int = 0
    foreign_key_violations: list[str] = field(default_factory=list)
    sequences_checked: int = 0
    sequence_mismatches: list[str] = field(default_factory=list)
    source_values_indexed: int = 0  # distinct personal source values (hashed) the output was checked against
    output_values_checked: int = 0  # text values (and tokens inside text/JSON) of the output looked up
    unchanged_in_row: dict[str, int] = field(default_factory=dict)  # column -> personal values left as they were
    leaks: dict[str, int] = field(default_factory=dict)  # output column -> identifying source values found there
    # output column -> its fakes that equal a real identifying value of another row: the transform draws fakes
    # where real values live (e.g. real phone ranges), so a fake can reach a real person. Fails like a leak.
    fake_collisions: dict[str, int] = field(default_factory=dict)
    # output column -> its fakes that equal a real value of another row where fakes must look real (names,
    # addresses, logins: drawn where real values live, Transformer.realistic_fakes). Counted, not failures.
    realistic_collisions: dict[str, int] = field(default_factory=dict)
    coincidences: dict[str, int] = field(default_factory=dict)  # output column -> non-identifying matches (names)
    leak_sources: list[LeakSource] = field(default_factory=list)  # the leaks by origin, most first per column
    # Kept column -> values that free-text detection called cards by a cue word only, found there: the source keeps
    # them as they are, so they are its identifiers, not leaks (not failures). By origin in `shared_sources`.
    shared_identifiers: dict[str, int] = field(default_factory=dict)
    shared_sources: list[LeakSource] = field(default_factory=list)
    # output column the rules keep -> names (pieces of personal values this run replaces) found in it: the source's
    # own values, not fakes. A finding: a failure once they are no chance matches (NAMES_IN_KEPT_SHARE of its rows).
    names_in_kept: dict[str, int] = field(default_factory=dict)
    table_rows: dict[str, int] = field(default_factory=dict)  # table -> rows loaded (the share's denominator)
    seconds: float = 0.0

    def names_in_kept_failing(self) -> dict[str, int]:
        """The kept columns whose names are too many to be chance: a town that is also a surname is one row in many;
        a login made of its owner's name is every row."""
        failing = {}
        for column, n in self.names_in_kept.items():
            rows = self.table_rows.get(column.rsplit(".", 1)[0], 0)
            if n >= max(NAMES_IN_KEPT_MIN, NAMES_IN_KEPT_SHARE * rows):
                failing[column] = n
        return failing

    @property
    def failures(self) -> list[str]:
        """One line per problem; names tables and columns, never values."""
        problems = [*self.row_count_mismatches, *self.foreign_key_violations, *self.sequence_mismatches]
        problems += [
            f"{column}: {n} personal value(s) left unchanged in their own row"
            for column, n in sorted(self.unchanged_in_row.items())
        ]
        problems += [self._leak_line(column, n) for column, n in sorted(self.leaks.items())]
        problems += [
            f"{column}: {n} fake(s) equal to real identifying values of other rows (the transform must draw fakes "
            "where real values can't be)"
            for column, n in sorted(self.fake_collisions.items())
        ]
        problems += [
            f"{column}: {n} name(s) of people this snapshot replaces found in a column the rules keep (logins, "
            "handles or names the rules missed): rule it (username, person_name, free_text)"
            for column, n in sorted(self.names_in_kept_failing().items())
        ]
        return problems

    @property
    def passed(self) -> bool:
        return not self.failures

    def _leak_line(self, column: str, n: int) -> str:
        line = f"{column}: {n} identifying source value(s) found in the output"
        sources = [s for s in self.leak_sources if s.found_in == column]
        if not sources:
            return line
        shown = "; ".join(s.line for s in sources[:3])
        more = f" (and {len(sources) - 3} more origins)" if len(sources) > 3 else ""
        return f"{line}: {shown}{more}; to fix: {sources[0].fix}"

    @property
    def notes(self) -> list[str]:
        """What passed but deserves a look: identifiers the source keeps that detection took for cards, and
        realistic fakes that equal real values of other rows."""
        notes = [
            f"{s.found_in} holds {s.values} value(s) that {s.origin} took for cards, which the source keeps as "
            f"identifiers ({s.kept_as}): not leaks; they were replaced where detected (to keep them there too: "
            f"{_settle(s.fix)})"
            for s in self.shared_sources
        ]
        notes += [
            f"{column}: {n} fake(s) equal to real values of other rows: fakes of names, addresses and logins must "
            "look real, so they are drawn where real values live (not leaks: no source value was left in place)"
            for column, n in sorted(self.realistic_collisions.items())
        ]
        return notes


def _settle(fix: str) -> str:
    return fix.split(";")[0].removeprefix("if they are the source's identifiers, ")


@dataclass
class SnapshotReport:
    source: str
    target: str
    key_fingerprint: str
    jobs: int
    started_at: str = ""
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # phase -> seconds
    tables: list[TableReport] = field(default_factory=list)
    rules: list[RuleReport] = field(default_factory=list)
    verification: VerifyReport | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def bytes(self) -> int:
        return sum(t.bytes_in for t in self.tables)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def megabytes_per_second(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            rows=self.rows,
            bytes=self.bytes,
            rows_per_second=round(self.rows_per_second, 1),
            megabytes_per_second=round(self.megabytes_per_second, 2),
        )
        if self.verification is not None:
            data["verification"]["failures"] = self.verification.failures
            data["verification"]["passed"] = self.verification.passed
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def summarize_rules(tables: list[TableReport]) -> list[RuleReport]:
    totals: dict[str, RuleReport] = {}
    for table in tables:
        for stats in table.columns:
            total = totals.setdefault(stats.rule, RuleReport(stats.rule))
            total.columns += 1
            total.values += stats.values
            total.changed += stats.changed
    return sorted(totals.values(), key=lambda r: r.rule)
