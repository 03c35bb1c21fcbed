"""Scan: sample every text and JSON column of a source, detect personal data, and list where the rules let it through.

A column is a finding when sampled values hold personal data and its rule is `keep` or missing. In a JSON column
ruled by paths without `other_strings`, each string leaf (JSON inside strings included) holding personal data
that no path rule changes is a finding under its path ("$.buyer.memo"); list indexes are folded to [*]. Columns
ruled with any other transform are covered and not sampled.

The decision is pure (`scan_column`, `scan_json`); `scan_source` only reads samples.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg

from anonymize.catalog import CatalogTable, data_tables
from anonymize.context import key_context
from anonymize.copy_text import decode_field
from anonymize.errors import PrivilegeError
from anonymize.keys import Keyring
from anonymize.leak_origins import rule_path
from anonymize.pii.detector import PiiDetector
from anonymize.pii.json_leaves import format_path, iter_string_leaves
from anonymize.pii.spans import Kind
from anonymize.postgres import quote_ident
from anonymize.privileges import require, sampling_privileges
from anonymize.rules import ColumnRule, RulesFile, TableRule, reflect_schema
from anonymize.sinks import Sink
from anonymize.sources import Source
from anonymize.transformers.base import ColumnInfo, Transformer, build_transformer

DEFAULT_SAMPLE = 1000
KEEP = "keep"
# A column is flagged from this many values holding personal data (one odd value may be a false positive; a
# column of notes where one row in a hundred carries a phone still reaches it in a 1,000-row sample).
MIN_HITS = 2
# When most sampled values are wholly one kind, the column is that kind's column (suggest its transform).
_WHOLE_SHARE = 0.6
_KIND_TRANSFORM = {
    Kind.EMAIL: "email",
    Kind.PHONE: "phone",
    Kind.PERSON: "person_name",
    Kind.CARD: "card_pan",
    Kind.IP: "ip",
    Kind.ADDRESS: "address",
    Kind.MY_NUMBER: "my_number",
    Kind.CORPORATE_NUMBER: "corporate_number",
    Kind.BANK_ACCOUNT: "bank_account",
}
FREE_TEXT = "{transform: free_text, params: {detector: presidio}}"
_FREE_TEXT_RULE = {"transform": "free_text", "params": {"detector": "presidio"}}
_INDEX = re.compile(r"\[\d+\]")
_PERSON_COLUMN = re.compile(
    r"(family|given|first|last|full|customer|representative|contact|holder|user|staff|person|member|buyer|payer)"
    r"_?name(?!_?kana)",
    re.IGNORECASE,
)


@dataclass
class Finding:
    table: str  # the rule table (schema.table)
    column: str
    path: str | None  # JSON path of the leaves, None for the column as a whole
    rule: str  # "keep", "none" (no rule) or "json" (paths that miss this key)
    kinds: dict[str, int]  # kind -> values holding it
    hits: int  # sampled values holding personal data
    sampled: int  # non-empty values sampled
    transform: str  # the suggested rule that would cover it ...
    params: dict[str, Any]  # ... and its params

    @property
    def suggestion(self) -> str:
        """The suggested rule in YAML flow style."""
        if not self.params:
            return self.transform
        params = ", ".join(f"{k}: {v}" for k, v in self.params.items())
        return f"{{transform: {self.transform}, params: {{{params}}}}}"

    @property
    def where(self) -> str:
        return f"{self.table}.{self.column}" + (f" {self.path}" if self.path else "")


@dataclass
class ScanReport:
    source: str
    sample: int
    tables: int = 0
    columns_sampled: int = 0
    values_sampled: int = 0
    findings: list[Finding] = field(default_factory=list)
    # 'schema.table.column' of a JSON column -> each sampled string leaf's path (as a rule spells it) -> whether
    # some value there held personal data: `rules init` drafts the id-like ones that held none as keep paths.
    json_paths: dict[str, dict[str, bool]] = field(default_factory=dict, repr=False)

    @property
    def passed(self) -> bool:
        return not self.findings

    def to_json(self) -> str:
        data = asdict(self)
        del data["json_paths"]  # what rules init drafts from, not a finding
        data["passed"] = self.passed
        for finding, out in zip(self.findings, data["findings"], strict=True):
            out["where"], out["suggestion"] = finding.where, finding.suggestion
        return json.dumps(data, ensure_ascii=False, indent=2)

    def suggestions(self) -> dict[str, Suggestion]:
        """'schema.table.column' -> the rule to draft (rules init uses these)."""
        out: dict[str, Suggestion] = {}
        for finding in self.findings:
            key = f"{finding.table}.{finding.column}"
            kinds = ", ".join(finding.kinds)
            why = f"scan: {finding.hits}/{finding.sampled} sampled values hold {kinds}"
            if finding.path is None:
                out[key] = Suggestion(finding.transform, finding.params, why)
            elif key not in out:  # personal data under JSON keys: every string leaf through the detector
                out[key] = Suggestion(
                    "json",
                    {"other_strings": _FREE_TEXT_RULE},
                    f"{why} (first at {finding.path})",
                    self.json_paths.get(key, {}),
                )
        return out


@dataclass(frozen=True)
class Suggestion:
    transform: str
    params: dict[str, Any]
    why: str
    json_paths: dict[str, bool] = field(default_factory=dict)  # a JSON column's sampled leaf paths (ScanReport)


def _suggest(whole: Counter[Kind], sampled: int) -> tuple[str, dict[str, Any]]:
    kind, count = whole.most_common(1)[0] if whole else (None, 0)
    if kind is not None and kind in _KIND_TRANSFORM and count >= _WHOLE_SHARE * sampled:
        return _KIND_TRANSFORM[kind], {}
    return "free_text", {"detector": "presidio"}


def scan_column(
    table: str, column: str, rule: str, values: Iterable[str], detector: PiiDetector, min_hits: int = MIN_HITS
) -> Finding | None:
    """A finding when at least `min_hits` of the text `values` hold personal data."""
    kinds: Counter[Kind] = Counter()
    whole: Counter[Kind] = Counter()  # values that are nothing but one piece of personal data
    hits = sampled = 0
    for value in values:
        if not value.strip():
            continue
        sampled += 1
        # A bare name counts in a person's name column ("customer_name"); not in "name", mostly products and shops.
        # The column's name is context as a JSON key is (an id column's numbers are ids; a card column's, cards).
        if _PERSON_COLUMN.search(column):
            spans = detector.detect_leaf((column,), value)
        else:
            spans = detector.detect(value, key_context((column,)))
        if not spans:
            continue
        hits += 1
        kinds.update({span.kind for span in spans})
        if len(spans) == 1 and value[spans[0].start : spans[0].end].strip() == value.strip():
            whole[spans[0].kind] += 1
    if hits < min(min_hits, max(sampled, 1)) or not hits:
        return None
    counts = {str(kind): n for kind, n in kinds.most_common()}
    return Finding(table, column, None, rule, counts, hits, sampled, *_suggest(whole, sampled))


def scan_json(
    table: str,
    column: str,
    rule: str,
    values: Iterable[str],
    detector: PiiDetector,
    transformer: Transformer | None = None,
    min_hits: int = MIN_HITS,
    leaf_paths: dict[str, bool] | None = None,
) -> list[Finding]:
    """Findings per JSON path of the string leaves holding personal data; with `transformer` (a json rule), only
    the leaves it leaves unchanged. `leaf_paths` receives every sampled leaf's rule path -> whether a value there
    held personal data."""
    by_path: dict[str, tuple[Counter[Kind], Counter[Kind], list[int]]] = {}
    for value in values:
        try:
            document = json.loads(value)
        except ValueError:
            continue
        output: dict[tuple, str] = {}
        if transformer is not None:
            changed = transformer.transform(value, {})
            output = dict(iter_string_leaves(json.loads(changed))) if changed is not None else {}
        for path, text in iter_string_leaves(document):
            if not text.strip() or (transformer is not None and output.get(path) != text):
                continue  # empty, or a path rule replaced it
            key = _INDEX.sub("[*]", format_path(path))
            kinds, whole, tally = by_path.setdefault(key, (Counter(), Counter(), [0, 0]))
            tally[1] += 1
            spans = detector.detect_leaf(path, text)
            if leaf_paths is not None:
                where = rule_path(path)
                leaf_paths[where] = leaf_paths.get(where, False) or bool(spans)
            if spans:
                tally[0] += 1
                kinds.update({span.kind for span in spans})
                if len(spans) == 1 and text[spans[0].start : spans[0].end].strip() == text.strip():
                    whole[spans[0].kind] += 1
    findings = []
    for path, (kinds, whole, (hits, sampled)) in sorted(by_path.items()):
        if hits and hits >= min(min_hits, sampled):
            counts = {str(kind): n for kind, n in kinds.most_common()}
            findings.append(Finding(table, column, path, rule, counts, hits, sampled, *_suggest(whole, sampled)))
    return findings


def _rule_name(rule: ColumnRule | None) -> str:
    return "none" if rule is None else rule.transform


def _needs_scan(rule: ColumnRule | None) -> bool:
    """Columns whose rule may let personal data through: none, keep, or JSON paths without other_strings."""
    return rule is None or rule.transform == KEEP or (rule.transform == "json" and not rule.params.get("other_strings"))


def _sample_live(source: Source, table: CatalogTable, columns: Sequence[str], sample: int) -> list[tuple]:
    from psycopg import sql

    conn = source.catalog()
    assert conn is not None
    query = sql.SQL("SELECT {} FROM ONLY {} LIMIT {}").format(
        sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in columns),
        sql.SQL(table.sql),
        sql.Literal(sample),
    )
    try:
        return conn.execute(query).fetchall()
    except psycopg.errors.InsufficientPrivilege as exc:
        # scan_source checked the grants first; a grant revoked since lands here
        raise PrivilegeError(
            f"{table.name}: sampling rows from the source failed: {str(exc).strip().splitlines()[0]}",
            f"GRANT SELECT ON {table.sql} TO {quote_ident(conn.info.user)}",
        ) from None


def _sample_stream(source: Source, table: CatalogTable, columns: Sequence[str], sample: int) -> list[tuple]:
    rows: list[tuple] = []
    with source.stream(table, list(columns)) as stream:
        positions = [stream.columns.index(c) for c in columns]
        for chunk in stream.chunks:  # read to the end: a dump is one stream, the next table follows
            if len(rows) >= sample:
                continue
            for line in chunk.split(b"\n"):
                if line and len(rows) < sample:
                    fields = line.split(b"\t")
                    rows.append(tuple(decode_field(fields[p]) for p in positions))
    return rows


def _tables(source: Source, scratch: Sink | None) -> Iterator[tuple[dict[str, list[ColumnInfo]], list[CatalogTable]]]:
    catalog = source.catalog()
    if catalog is not None:
        yield reflect_schema(catalog), data_tables(catalog)
        return
    if scratch is None:
        raise ValueError("a dump file source needs a scratch database to read its schema into")
    load = scratch.begin()
    try:
        source.schema.apply("pre-data", load.dsn)
        with load.connect() as conn:
            schema, tables = reflect_schema(conn), data_tables(conn)
        yield schema, tables
    finally:
        scratch.abort()


def scan_source(
    source: Source,
    rules: RulesFile | None,
    sample: int = DEFAULT_SAMPLE,
    scratch: Sink | None = None,
    detector: PiiDetector | None = None,
) -> ScanReport:
    """Sample the columns whose rules may let personal data through, and report those that hold some."""
    detector = detector or PiiDetector()
    keyring = Keyring(os.urandom(32))  # the fakes are thrown away: any key tells changed from unchanged
    report = ScanReport(source=source.description, sample=sample)
    with source:
        for schema, tables in _tables(source, scratch):
            with_data = source.tables_with_data()
            seen_rule_tables: set[str] = set()
            todos: list[tuple[CatalogTable, TableRule | None, dict[str, ColumnInfo], list[str]]] = []
            for table in tables:
                if table.rule_table in seen_rule_tables or (with_data is not None and table.name not in with_data):
                    continue  # one partition stands for its tree
                seen_rule_tables.add(table.rule_table)
                report.tables += 1
                table_rule = rules.table(table.rule_table) if rules is not None else None
                if table_rule is not None and table_rule.skip_data:
                    continue
                infos = {c.name: c for c in schema.get(table.rule_table, [])}
                todo = [
                    name
                    for name in table.columns
                    if name in infos
                    and infos[name].family in ("text", "json")
                    and _needs_scan(table_rule.columns.get(name) if table_rule else None)
                ]
                if todo:
                    todos.append((table, table_rule, infos, todo))
            catalog = source.catalog()
            if catalog is not None:  # every table it can't sample, named before sampling any
                require(sampling_privileges(catalog, [(table.name, todo) for table, _, _, todo in todos]))
            for table, table_rule, infos, todo in todos:
                sampler = _sample_live if source.live else _sample_stream
                rows = sampler(source, table, todo, sample)
                report.columns_sampled += len(todo)
                report.values_sampled += sum(v is not None for row in rows for v in row)
                for i, name in enumerate(todo):
                    values = [row[i] for row in rows if row[i] is not None]
                    rule = table_rule.columns.get(name) if table_rule else None
                    report.findings += _scan_one(
                        table.rule_table, infos[name], rule, values, detector, keyring, report.json_paths
                    )
    return report


def _scan_one(
    table: str,
    info: ColumnInfo,
    rule: ColumnRule | None,
    values: list[str],
    detector: PiiDetector,
    keyring: Keyring,
    json_paths: dict[str, dict[str, bool]] | None = None,
) -> list[Finding]:
    if info.family == "json":
        transformer = build_transformer(rule, info, keyring) if rule is not None and rule.transform != KEEP else None
        paths = json_paths.setdefault(info.qualified, {}) if json_paths is not None else None
        return scan_json(table, info.name, _rule_name(rule), values, detector, transformer, leaf_paths=paths)
    finding = scan_column(table, info.name, _rule_name(rule), values, detector)
    return [finding] if finding else []
