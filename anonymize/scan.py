"""Scan: sample every column that may hold personal data, detect it, and list where the rules let it through.

A column is a finding when sampled values hold personal data and its rule is `keep` or missing. In a JSON column
ruled by paths without `other_strings`, each leaf (JSON inside strings included) holding personal data that no
path rule changes is a finding under its path ("$.buyer.memo"); list indexes are folded to [*]. Columns ruled
with any other transform are covered and not sampled.

Two detections per column: the PII detector on each value (names, emails, phones, cards, addresses ... in text),
and the column's values as a whole with its name (anonymize.column_shapes: digit-only phones, logins made of
names, photos in bytea, coordinates, postal codes, street lines, password hashes and API tokens). Text, JSON,
bytea, arrays (each element), geometric types and coordinate-named numbers are sampled. Coordinates are personal
beside an address or a person: they are a finding only in a table with such a column.

The decision is pure (`scan_column`, `scan_json`); `scan_source` only reads samples. Every sampled column's
profile (what it held, per JSON path too) is kept for `rules init`, which drafts from names, types and values.
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

from anonymize import column_shapes
from anonymize.catalog import CatalogTable, data_tables
from anonymize.column_shapes import Verdict
from anonymize.columns import ColumnInfo
from anonymize.context import key_context
from anonymize.copy_text import decode_field
from anonymize.errors import PrivilegeError
from anonymize.keys import Keyring
from anonymize.leak_origins import rule_path
from anonymize.locales import ColumnLocales, column_locales
from anonymize.pii.detector import PiiDetector
from anonymize.pii.hook import shared_detector
from anonymize.pii.json_leaves import EMBEDDED, LeafPath, decode_embedded
from anonymize.pii.names import full_name_like
from anonymize.pii.recognizers import default_recognizers
from anonymize.pii.spans import Kind
from anonymize.postgres import quote_ident
from anonymize.privileges import require, sampling_privileges
from anonymize.rules import ColumnRule, RulesFile, TableRule, reflect_schema
from anonymize.sinks import Sink
from anonymize.sources import Source
from anonymize.transformers.arrays import element_column, parse_array
from anonymize.transformers.base import Transformer
from anonymize.transformers.declared import column_transforms
from anonymize.transformers.factory import build_transformer

DEFAULT_SAMPLE = 1000
KEEP = "keep"
# A column is flagged from this many values holding personal data (one odd value may be a false positive; a
# column of notes where one row in a hundred carries a phone still reaches it in a 1,000-row sample).
MIN_HITS = 2
# When most sampled values are wholly one kind, the column is that kind's column (suggest its transform).
_WHOLE_SHARE = 0.6
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


PROFILE_VALUES = 60  # values of a JSON path kept (in memory, for its shape): never reported


@dataclass
class PathProfile:
    """What one JSON path's sampled leaves held (list indexes folded to [*])."""

    keys: tuple[str, ...]  # the keys from the top, indexes and embedded-JSON steps left out
    sampled: int = 0
    kinds: Counter[str] = field(default_factory=Counter)  # PII detector kinds, values holding each
    whole: Counter[str] = field(default_factory=Counter)  # values that are wholly one kind
    types: Counter[str] = field(default_factory=Counter)  # "str", "int", "float", "bool"
    person_like: int = 0  # values that are a full name by the name dictionaries alone
    values: list[str] = field(default_factory=list, repr=False)
    verdict: Verdict | None = None  # the path's values as a whole (anonymize.column_shapes)


@dataclass
class Profile:
    """What a sampled column held: the draft decides from its name, its type and this."""

    family: str
    sampled: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    whole: Counter[str] = field(default_factory=Counter)
    person_like: int = 0
    verdict: Verdict | None = None
    paths: dict[str, PathProfile] = field(default_factory=dict)  # JSON columns: rule path -> its leaves


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
    # 'schema.table.column' -> what its sampled values held (rules init drafts from these); not in the JSON report
    profiles: dict[str, Profile] = field(default_factory=dict, repr=False)
    # 'schema.table.column' -> what its sampled text values say of their locale (rules init drafts `locale` params
    # from these); not in the JSON report
    locales: dict[str, ColumnLocales] = field(default_factory=dict, repr=False)

    @property
    def passed(self) -> bool:
        return not self.findings

    def to_json(self) -> str:
        data = asdict(self)
        del data["json_paths"]  # what rules init drafts from, not a finding
        data.pop("profiles")
        data.pop("locales")
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
    transform = column_transforms().get(kind) if kind is not None else None  # the transformer declaring the kind
    if transform is not None and count >= _WHOLE_SHARE * sampled:
        return transform, {}
    return "free_text", {"detector": "presidio"}


def scan_column(
    table: str,
    column: str,
    rule: str,
    values: Iterable[str],
    detector: PiiDetector,
    min_hits: int = MIN_HITS,
    family: str = "text",
    profile: Profile | None = None,
) -> Finding | None:
    """A finding when at least `min_hits` of the `values` hold personal data (PII detection on text), or when the
    values as a whole are personal (column_shapes: logins, photos, coordinates, postal codes, secrets ...)."""
    profile = profile if profile is not None else Profile(family)
    kinds: Counter[Kind] = Counter()
    whole: Counter[Kind] = Counter()  # values that are nothing but one piece of personal data
    hits = sampled = 0
    seen: list[str] = []
    for value in values:
        if not value.strip():
            continue
        sampled += 1
        seen.append(value)
        if family != "text":
            continue
        if full_name_like(value):
            profile.person_like += 1
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
    verdict = column_shapes.column_shape(column, family, seen, {str(k): n for k, n in whole.items()})
    profile.sampled += sampled
    profile.kinds.update({str(k): n for k, n in kinds.items()})
    profile.whole.update({str(k): n for k, n in whole.items()})
    profile.verdict = verdict
    found = hits >= min(min_hits, max(sampled, 1)) and hits > 0
    if not found and verdict is None:
        return None
    counts = {str(kind): n for kind, n in kinds.most_common()} if found else {}
    transform, params = _suggest(whole, sampled)
    if verdict is not None:
        counts[verdict.shape] = max(counts.get(verdict.shape, 0), verdict.hits)
        transform, params = verdict.transform, dict(verdict.params)
    return Finding(
        table, column, None, rule, counts, max(hits, verdict.hits if verdict else 0), sampled, transform, params
    )


def scalar_leaves(obj: Any, path: LeafPath = ()) -> Iterator[tuple[LeafPath, Any]]:
    """(path, value) of every scalar leaf (strings, numbers, booleans; not null) of a JSON value, looking inside
    JSON held in strings as iter_string_leaves does."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from scalar_leaves(value, (*path, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from scalar_leaves(value, (*path, index))
    elif isinstance(obj, str):
        decoded = decode_embedded(obj)
        if decoded is None:
            yield path, obj
        else:
            yield from scalar_leaves(decoded, (*path, EMBEDDED))
    elif obj is not None:
        yield path, obj


def _leaf_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return str(value)


def scan_json(
    table: str,
    column: str,
    rule: str,
    values: Iterable[str],
    detector: PiiDetector,
    transformer: Transformer | None = None,
    min_hits: int = MIN_HITS,
    profile: Profile | None = None,
    leaf_paths: dict[str, bool] | None = None,
) -> list[Finding]:
    """Findings per JSON path of the leaves holding personal data; with `transformer` (a json rule), only the
    leaves it leaves unchanged. Strings go through PII detection; every path's values are also judged as a whole
    with its key (column_shapes), and a card's pieces (last4, expiry, BIN) are a finding beside a card.
    `leaf_paths` receives every sampled string leaf's rule path -> whether a value there held personal data."""
    profile = profile if profile is not None else Profile("json")
    by_path: dict[str, tuple[Counter[Kind], Counter[Kind], list[int]]] = {}
    unchanged: dict[str, list[str]] = {}  # path -> the values left as they were (for the shapes)
    for value in values:
        try:
            document = json.loads(value)
        except ValueError:
            continue
        output: dict[tuple, Any] = {}
        if transformer is not None:
            changed = transformer.transform(value, {})
            output = dict(scalar_leaves(json.loads(changed))) if changed is not None else {}
        for path, leaf in scalar_leaves(document):
            key = rule_path(path)
            shape = profile.paths.get(key)
            if shape is None:
                keys = tuple(p for p in path if isinstance(p, str) and p is not EMBEDDED)
                shape = profile.paths[key] = PathProfile(keys)
            text = _leaf_text(leaf)
            shape.types[type(leaf).__name__] += 1
            if not text.strip():
                continue
            shape.sampled += 1
            if len(shape.values) < PROFILE_VALUES:
                shape.values.append(text)
            kept = transformer is None or _leaf_text(output.get(path, "")) == text
            if kept:
                unchanged.setdefault(key, []).append(text)
            if not isinstance(leaf, str):
                continue
            spans = detector.detect_leaf(path, text)
            if leaf_paths is not None:
                leaf_paths[key] = leaf_paths.get(key, False) or bool(spans)
            if full_name_like(text):
                shape.person_like += 1
            if spans:
                shape.kinds.update({str(span.kind) for span in spans})
                if len(spans) == 1 and text[spans[0].start : spans[0].end].strip() == text.strip():
                    shape.whole[str(spans[0].kind)] += 1
            if not kept:
                continue  # a path rule replaced it
            kinds, whole, tally = by_path.setdefault(key, (Counter(), Counter(), [0, 0]))
            tally[1] += 1
            if spans:
                tally[0] += 1
                kinds.update({span.kind for span in spans})
                if len(spans) == 1 and text[spans[0].start : spans[0].end].strip() == text.strip():
                    whole[spans[0].kind] += 1
    findings: dict[str, Finding] = {}
    for path, (kinds, whole, (hits, sampled)) in sorted(by_path.items()):
        if hits and hits >= min(min_hits, sampled):
            counts = {str(kind): n for kind, n in kinds.most_common()}
            findings[path] = Finding(table, column, path, rule, counts, hits, sampled, *_suggest(whole, sampled))
    for shape in profile.paths.values():
        family = "text" if shape.types["str"] >= sum(shape.types.values()) / 2 else "numeric"
        shape.verdict = column_shapes.column_shape(
            shape.keys[-1] if shape.keys else "", family, shape.values, shape.whole
        )
    personal_paths = set(findings) | {
        path for path, shape in profile.paths.items() if shape.verdict and not shape.verdict.table_context
    }
    for path, shape in sorted(profile.paths.items()):
        verdict = shape.verdict
        left = unchanged.get(path, [])
        if verdict is None or not left or (verdict.table_context and not personal_paths):
            continue
        finding = findings.get(path)
        if finding is None:
            finding = findings[path] = Finding(table, column, path, rule, {}, 0, len(left), verdict.transform, {})
        finding.kinds[verdict.shape] = min(verdict.hits, len(left))
        finding.hits = max(finding.hits, min(verdict.hits, len(left)))
        finding.transform, finding.params = verdict.transform, dict(verdict.params)
    for path, part in card_pieces(profile.paths).items():
        left = unchanged.get(path, [])
        if left and path not in findings:
            findings[path] = Finding(table, column, path, rule, {"CARD_PIECE": len(left)}, len(left), len(left),
                                     "card_part", {"part": part})  # fmt: skip
    return [findings[path] for path in sorted(findings)]


_CARD_PIECES = {
    "last4": "last4", "last_4": "last4", "last_four": "last4", "lastfour": "last4", "last4digits": "last4",
    "exp_month": "exp_month", "expiry_month": "exp_month", "expiration_month": "exp_month", "exp_mon": "exp_month",
    "exp_year": "exp_year", "expiry_year": "exp_year", "expiration_year": "exp_year",
    "bin": "bin", "iin": "bin", "card_bin": "bin", "expiry": "expiry", "expiration": "expiry", "exp": "expiry",
    "exp_date": "expiry", "expiry_date": "expiry", "expiration_date": "expiry",
}  # fmt: skip


def card_pieces(paths: dict[str, PathProfile]) -> dict[str, str]:
    """Rule path -> card part of the leaves that are pieces of a card: a last4 / BIN / expiry key in an object
    that holds a last4 or a BIN (the card it belongs to is somewhere else, or beside it)."""
    by_parent: dict[str, dict[str, str]] = {}
    for path, shape in paths.items():
        if not shape.keys:
            continue
        part = _CARD_PIECES.get(column_shapes.words_of(shape.keys[-1]))
        if part is not None:
            by_parent.setdefault(path[: path.rfind(".")] if "." in path else "$", {})[path] = part
    out = {}
    for pieces in by_parent.values():
        if {"last4", "bin"} & set(pieces.values()):
            out.update(pieces)
    return out


def _rule_name(rule: ColumnRule | None) -> str:
    return "none" if rule is None else rule.transform


def _needs_scan(rule: ColumnRule | None) -> bool:
    """Columns whose rule may let personal data through: none, keep, or JSON paths without other_strings."""
    return rule is None or rule.transform == KEEP or (rule.transform == "json" and not rule.params.get("other_strings"))


def sampled_family(info: ColumnInfo) -> str | None:
    """How a column is sampled: "text", "json", "bytea", "array" (of text: each element), "numeric" (a
    coordinate's name), "other" (points, geometries, composite values); None: not sampled."""
    family = info.family
    if family in ("text", "json", "bytea"):
        return family
    element = element_column(info)
    if element is not None:
        return "array" if element.family == "text" else None
    if family == "numeric":
        return "numeric" if column_shapes.axis_of(column_shapes.words_of(info.name)) else None
    if family == "other":
        return "other"
    return None


def _select(column: str, family: str | None) -> Any:
    from psycopg import sql

    if family == "bytea":  # the magic bytes are all that's looked at: not megabytes of photo
        return sql.SQL("substring({} from 1 for 64)::text").format(sql.Identifier(column))
    return sql.SQL("{}::text").format(sql.Identifier(column))


def _sample_live(
    source: Source, table: CatalogTable, columns: Sequence[str], sample: int, families: Sequence[str | None] = ()
) -> list[tuple]:
    from psycopg import sql

    conn = source.catalog()
    assert conn is not None
    families = list(families) or [None] * len(columns)
    query = sql.SQL("SELECT {} FROM ONLY {} LIMIT {}").format(
        sql.SQL(", ").join(_select(c, f) for c, f in zip(columns, families, strict=True)),
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


def _sample_stream(
    source: Source, table: CatalogTable, columns: Sequence[str], sample: int, families: Sequence[str | None] = ()
) -> list[tuple]:
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
    extra = rules.pii_recognizers if rules is not None else []  # the rules' Presidio recognizers (`pii:`)
    detector = detector or PiiDetector(recognizers=[*default_recognizers(), *extra])
    shared_detector().use_extra(extra)  # ... in the free_text transformers built here too, as in a run
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
                    and sampled_family(infos[name]) is not None
                    and _needs_scan(table_rule.columns.get(name) if table_rule else None)
                ]
                if todo:
                    todos.append((table, table_rule, infos, todo))
            catalog = source.catalog()
            if catalog is not None:  # every table it can't sample, named before sampling any
                require(sampling_privileges(catalog, [(table.name, todo) for table, _, _, todo in todos]))
            for table, table_rule, infos, todo in todos:
                sampler = _sample_live if source.live else _sample_stream
                families = [sampled_family(infos[name]) for name in todo]
                rows = sampler(source, table, todo, sample, families)
                report.columns_sampled += len(todo)
                report.values_sampled += sum(v is not None for row in rows for v in row)
                found: list[Finding] = []
                for i, name in enumerate(todo):
                    values = [row[i] for row in rows if row[i] is not None]
                    rule = table_rule.columns.get(name) if table_rule else None
                    if infos[name].family == "text":
                        report.locales[infos[name].qualified] = column_locales(values)
                    profile = report.profiles[infos[name].qualified] = Profile(families[i] or "text")
                    found += _scan_one(
                        table.rule_table, infos[name], rule, values, detector, keyring, profile, report.json_paths
                    )
                report.findings += _in_context(found, infos.values())
    return report


def _in_context(found: list[Finding], columns: Iterable[ColumnInfo]) -> list[Finding]:
    """A table's findings, coordinates only where they can point at somebody: beside another finding, or a column
    named for an address or a person (whatever its rule)."""
    from anonymize.draft import locates_a_person

    coordinates = [f for f in found if f.path is None and set(f.kinds) == {column_shapes.COORDINATES}]
    if not coordinates:
        return found
    others = [f for f in found if f not in coordinates]
    if others or any(locates_a_person(c) for c in columns):
        return found
    return others


def _scan_one(
    table: str,
    info: ColumnInfo,
    rule: ColumnRule | None,
    values: list[str],
    detector: PiiDetector,
    keyring: Keyring,
    profile: Profile | None = None,
    json_paths: dict[str, dict[str, bool]] | None = None,
) -> list[Finding]:
    family = sampled_family(info)
    if info.family == "json":
        transformer = build_transformer(rule, info, keyring) if rule is not None and rule.transform != KEEP else None
        paths = json_paths.setdefault(info.qualified, {}) if json_paths is not None else None
        return scan_json(
            table, info.name, _rule_name(rule), values, detector, transformer, profile=profile, leaf_paths=paths
        )
    if family == "array":  # each element is a value; the suggested transform applies to each (transformers.arrays)
        elements = []
        for value in values:
            try:
                elements += [item for item in _flatten(parse_array(value)[1]) if item is not None]
            except ValueError:
                continue
        values, family = elements, "text"
    elif family == "other" and values and values[0].startswith("("):
        finding = scan_column(table, info.name, _rule_name(rule), values, detector, family="other", profile=profile)
        if finding is None:  # a composite value: each field across the rows, as a column of its own
            records = [_record_fields(value) for value in values]
            for position in range(max((len(r) for r in records), default=0)):
                fields = [r[position] for r in records if position < len(r) and r[position].strip()]
                found = scan_column(table, info.name, _rule_name(rule), fields, detector, profile=profile)
                if found is not None and finding is not None:
                    finding.kinds.update(found.kinds)
                    finding.hits = max(finding.hits, found.hits)
                finding = finding or found
            if finding is not None:  # no transform reaches inside a composite value: it goes whole
                finding.transform, finding.params = ("null" if info.nullable else "keep"), {}
        return [finding] if finding else []
    finding = scan_column(
        table, info.name, _rule_name(rule), values, detector, family=family or "text", profile=profile
    )
    return [finding] if finding else []


def _flatten(items: list[Any]) -> Iterator[Any]:
    for item in items:
        if isinstance(item, list):
            yield from _flatten(item)
        else:
            yield item


def _record_fields(value: str) -> list[str]:
    """The fields of a composite value's text form "(a,"b c",,)" (empty and NULL fields left out)."""
    text = value.strip()
    if not (text.startswith("(") and text.endswith(")")):
        return []
    fields, current, quoted, position = [], [], False, 1
    while position < len(text) - 1:
        char = text[position]
        if quoted:
            if char == '"' and text[position + 1 : position + 2] == '"':
                current.append('"')
                position += 1
            elif char == '"':
                quoted = False
            elif char == "\\":
                position += 1
                current.append(text[position])
            else:
                current.append(char)
        elif char == '"':
            quoted = True
        elif char == ",":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
        position += 1
    fields.append("".join(current))
    return fields
