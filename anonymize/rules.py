"""The rules file: a transform for every column of the source, checked against the schema before any data moves.

```yaml
version: 1
tables:
  public.customers:              # or just `customers` (-> public)
    where: "deleted_at IS NULL"  # optional: keep a subset of rows
    columns:
      id: keep
      email: email               # shorthand for {transform: email}
      name: {transform: person_name, params: {script: kanji}}
      name_kana: {transform: person_name, params: {script: katakana, key_column: name}}
      phone: {transform: phone, domain: phone}
  public.audit_log:
    skip_data: true              # schema only
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import psycopg
import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from anonymize.columns import ColumnInfo
from anonymize.errors import RulesError
from anonymize.keys import Keyring
from anonymize.subset.spec import SubsetRules
from anonymize.transformers.factory import build_transformer, validate_params

DEFAULT_SCHEMA = "public"


def qualify(table: str) -> str:
    """'orders' -> 'public.orders'; schema-qualified names pass through."""
    table = table.strip()
    return table if "." in table else f"{DEFAULT_SCHEMA}.{table}"


class ColumnRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    transform: str  # a registered transformer name; "keep" copies the value unchanged
    params: dict[str, Any] = Field(default_factory=dict)
    domain: str | None = None  # pseudonym domain; default: the transformer's natural one (e.g. "email")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # `email: email` is `email: {transform: email}`
        if data is None:
            raise ValueError("empty rule: name a transform (keep, if the column holds no personal data)")
        return {"transform": data} if isinstance(data, str) else data

    @field_validator("params", mode="before")
    @classmethod
    def _params_none(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("domain")
    @classmethod
    def _domain_text(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must be a non-empty name")
        return value


class TableRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: dict[str, ColumnRule] = Field(default_factory=dict)
    skip_data: bool = False  # copy the schema, no rows
    where: str | None = None  # SQL filter: copy only the matching subset of rows
    # A table some sources have and others lack (a tool's own bookkeeping, such as devkit's seed ledger): its
    # absence is fine, its presence still needs every column ruled (or skip_data).
    optional: bool = False

    @field_validator("columns", mode="before")
    @classmethod
    def _columns_none(cls, value: Any) -> Any:
        return {} if value is None else value


class PresidioRecognizerRule(BaseModel):
    """One entry of `pii.recognizers`: a Presidio recognizer YAML file (its `recognizers:` list), or an
    EntityRecognizer class by import path with its keyword arguments and, optionally, a gate regex (a pattern
    without which it finds nothing: texts that don't match it skip the class)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    yaml: str | None = None  # path, relative to the rules file
    class_: str | None = Field(default=None, alias="class")  # "package.module:Class"
    params: dict[str, Any] = Field(default_factory=dict)
    gate: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PresidioRecognizerRule:
        if (self.yaml is None) == (self.class_ is None):
            raise ValueError("give exactly one of `yaml:` (a Presidio recognizer file) or `class:` (an import path)")
        if self.yaml is not None and (self.params or self.gate):
            raise ValueError("`params` and `gate` belong to a `class:` recognizer")
        if self.gate is not None:
            try:
                re.compile(self.gate)
            except re.error as exc:
                raise ValueError(f"gate is not a regular expression: {exc}") from None
        return self


class PiiRules(BaseModel):
    """`pii:` — recognizers in Presidio's forms joining the PII detector (free_text `detector: presidio`), and the
    devkit kind (so the transform) of each entity type they find; entity types named like a kind (PERSON, EMAIL
    ...) need no entry. `ner`: use an installed spaCy NER model (auto), insist on one (required), or not (off)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    recognizers: list[PresidioRecognizerRule] = Field(default_factory=list)
    entities: dict[str, str] = Field(default_factory=dict)
    ner: Literal["off", "auto", "required"] = "off"
    # language -> spaCy model package or directory (relative to the rules file) for `ner`; default: the installed ones
    ner_models: dict[str, str] = Field(default_factory=dict)

    @property
    def active(self) -> bool:
        return bool(self.recognizers) or self.ner != "off"


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    tables: dict[str, TableRule] = Field(default_factory=dict)
    subset: SubsetRules | None = None  # how `--subset` runs close over the schema (anonymize/subset/spec.py)
    pii: PiiRules = Field(default_factory=PiiRules)
    # The detector recognizers `pii` builds (anonymize.pii.presidio_recognizers), built by parse_rules.
    _pii_recognizers: list[Any] = PrivateAttr(default_factory=list)

    # Where each rule came from, for messages: path tuple -> line (1-based); set by load_rules.
    _source: str | None = PrivateAttr(default=None)
    _lines: dict[tuple[str, ...], int] = PrivateAttr(default_factory=dict)

    @field_validator("tables", mode="before")
    @classmethod
    def _qualify_tables(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        qualified: dict[str, Any] = {}
        for key, rule in value.items():
            name = qualify(str(key))
            if name in qualified:
                raise ValueError(f"table {name} has two rules ({key!r} and another spelling of it)")
            qualified[name] = {} if rule is None else rule
        return qualified

    def table(self, name: str) -> TableRule | None:
        return self.tables.get(qualify(name))

    @property
    def pii_recognizers(self) -> list[Any]:
        """What `pii:` adds to the PII detector (anonymize.pii.recognizers.Recognizer objects; [] without it)."""
        return self._pii_recognizers

    def locate(self, *path: str) -> str:
        """'file:line' for a rule path like ('public.orders', 'email'), or the best enclosing line."""
        if self._source is None:
            return ""
        for depth in range(len(path), -1, -1):
            line = self._lines.get(tuple(path[:depth]))
            if line is not None:
                return f"{self._source}:{line}: "
        return f"{self._source}: "


# ---------------------------------------------------------------- loading YAML with line numbers


class _LineMap(dict):
    """A YAML mapping that remembers each key's line (1-based)."""

    lines: dict[Any, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineMap:
    loader.flatten_mapping(node)
    result = _LineMap()
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first on line {result.lines[key]})", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _construct_null(loader: _LineLoader, node: yaml.ScalarNode) -> str | None:
    # `phone: null` names the null transform; only `~` or an empty value is YAML's null (an empty rule).
    return "null" if node.value.lower() == "null" else None


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:null", _construct_null)


def _line_of(data: Any, loc: tuple[Any, ...]) -> int:
    """The line of the deepest key of a validation error's location that the YAML has."""
    line = 1
    node = data
    for part in loc:
        if isinstance(node, _LineMap):
            # table keys are qualified by the model; the file may spell them unqualified
            key = part if part in node else next((k for k in node if isinstance(k, str) and qualify(k) == part), None)
            if key is None:
                break
            line = node.lines.get(key, line)
            node = node[key]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            break
    return line


def _collect_lines(data: Any) -> dict[tuple[str, ...], int]:
    """(table, column) -> line of the rule, (table,) -> line of the table, for later messages."""
    lines: dict[tuple[str, ...], int] = {}
    tables = data.get("tables") if isinstance(data, _LineMap) else None
    if not isinstance(tables, _LineMap):
        return lines
    for table_key, table_rule in tables.items():
        table = qualify(str(table_key))
        lines[(table,)] = tables.lines[table_key]
        columns = table_rule.get("columns") if isinstance(table_rule, _LineMap) else None
        if isinstance(columns, _LineMap):
            for column, column_line in columns.lines.items():
                lines[(table, str(column))] = column_line
    return lines


def _pydantic_problems(source: str, data: Any, exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        # Drop pydantic's union/validator tags ('function-before[...]') from the path it shows.
        shown = ".".join(str(p) for p in loc if not (isinstance(p, str) and "[" in p))
        problems.append(f"{source}:{_line_of(data, loc)}: {shown}: {error['msg']}")
    return problems


def parse_rules(text: str, source: str = "<rules>") -> RulesFile:
    """Parse and validate rules YAML; RulesError lists every problem as 'source:line: what'."""
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # A problem found at the end of the stream (an unclosed bracket) belongs to the last line, not past it.
        line = min(mark.line + 1, max(text.count("\n"), 1)) if mark else 1
        began = exc.context_mark.line + 1 if exc.context_mark and exc.problem_mark else None
        context = f" ({exc.context} on line {began})" if began and began != line and exc.context else ""
        problem = f"{source}:{line}: invalid YAML: {exc.problem or exc.context}{context}"
        raise RulesError(problem, "fix the YAML syntax at that line") from None
    if not isinstance(data, Mapping):
        raise RulesError(f"{source}:1: rules file must be a mapping with `version: 1` and `tables:`")
    try:
        rules = RulesFile.model_validate(data)
    except ValidationError as exc:
        problems = _pydantic_problems(source, data, exc)
        raise _rules_error(problems) from None
    rules._source = source
    rules._lines = _collect_lines(data)
    problems = []
    for table, table_rule in rules.tables.items():
        for column, rule in table_rule.columns.items():
            try:
                validate_params(rule.transform, rule.params)
            except RulesError as exc:
                hint = f" ({exc.hint})" if exc.hint else ""
                problems.append(f"{rules.locate(table, column)}{table}.{column}: {exc.message}{hint}")
    if problems:
        raise _rules_error(problems)
    if rules.pii.active:
        from anonymize.pii.presidio_recognizers import from_rules

        if isinstance(data, _LineMap) and "pii" in data.lines:  # table keys are qualified: ("pii",) is no table
            rules._lines[("pii",)] = data.lines["pii"]

        base = Path(source).parent if source != "<rules>" else Path.cwd()
        try:
            rules._pii_recognizers = from_rules(rules.pii, base)
        except RulesError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            raise _rules_error([f"{rules.locate('pii')}{exc.message}{hint}"]) from None
    return rules


def _rules_error(problems: list[str]) -> RulesError:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return RulesError(problems[0] + more, "fix the rules file at the line named", problems=problems)


def load_rules(path: str | Path) -> RulesFile:
    """Load a rules file; RulesError names file, line and what is wrong (every problem in `.problems`)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"cannot read rules file {path}: {exc.strerror or exc}", "check the path") from None
    except UnicodeDecodeError:
        raise RulesError(f"{path}: rules file is not UTF-8 text") from None
    return parse_rules(text, str(path))


# ---------------------------------------------------------------- coverage: fail closed before any data moves


def _check_keyring() -> Keyring:
    # The coverage check builds transformers but transforms nothing: any key will do, the real one isn't needed.
    return Keyring(b"coverage-check-key-not-for-data")


def check_coverage(rules: RulesFile, schema: Mapping[str, list[ColumnInfo]]) -> list[str]:
    """Every problem between rules and schema, all at once; [] means the run may start.

    Problems: a table or column with no rule, a rule for a table or column that doesn't exist, an unknown
    transform or bad params, a transform that can't produce the column's type, a rule that reads a row column
    that doesn't exist. Generated columns need no rule (they are recomputed on load).
    """
    problems: list[str] = []
    keyring = _check_keyring()
    schema = {qualify(t): cols for t, cols in schema.items()}
    for table in sorted(schema):
        columns = schema[table]
        table_rule = rules.tables.get(table)
        if table_rule is None:
            problems.append(f"{table}: table has no rule (add it with a rule for every column, or skip_data: true)")
            continue
        by_name = {c.name: c for c in columns}
        for column in columns:
            rule = table_rule.columns.get(column.name)
            if rule is None:
                if not column.generated and not table_rule.skip_data:
                    problems.append(
                        f"{column.qualified}: column has no rule ({column.pg_type}); add a transform or keep"
                    )
                continue
            where = rules.locate(table, column.name)
            if column.generated and rule.transform != "keep":
                problems.append(f"{where}{column.qualified}: generated column is recomputed on load; rule it keep")
                continue
            try:
                transformer = build_transformer(rule, column, keyring)
            except RulesError as exc:
                hint = f" ({exc.hint})" if exc.hint else ""
                message = (
                    exc.message if exc.message.startswith(column.qualified) else f"{column.qualified}: {exc.message}"
                )
                problems.append(f"{where}{message}{hint}")
                continue
            for needed in sorted(transformer.row_columns - by_name.keys()):
                problems.append(
                    f"{where}{column.qualified}: {rule.transform} reads column {needed!r}, which {table} lacks"
                )
        for name in sorted(table_rule.columns.keys() - by_name.keys()):
            problems.append(f"{rules.locate(table, name)}{table}.{name}: rule for a column that does not exist")
    for table in sorted(rules.tables.keys() - schema.keys()):
        if rules.tables[table].optional:
            continue
        problems.append(f"{rules.locate(table)}{table}: rule for a table that does not exist")
    return problems


# ---------------------------------------------------------------- the source's schema

_SCHEMA_SQL = """
SELECT n.nspname, c.relname, a.attname,
       format_type(a.atttypid, a.atttypmod) AS pg_type,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base_type,
       NOT a.attnotnull AS nullable,
       a.attgenerated <> '' AS generated,
       EXISTS (
           SELECT 1 FROM pg_index i
           WHERE i.indrelid = c.oid AND i.indisunique AND i.indnkeyatts = 1
             AND i.indkey[0] = a.attnum AND i.indpred IS NULL
       ) AS is_unique
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
WHERE c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
  AND NOT EXISTS (  -- tables owned by an extension are recreated by CREATE EXTENSION, not copied
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  )
ORDER BY n.nspname, c.relname, a.attnum
"""


def reflect_schema(conn: psycopg.Connection) -> dict[str, list[ColumnInfo]]:
    """User tables -> their columns in order, from pg_catalog. Partitioned tables appear once (the parent; its
    partitions share its rules); extension-owned tables and system schemas are left out. `unique` marks columns
    with a single-column primary key, unique constraint or (non-partial) unique index."""
    schema: dict[str, list[ColumnInfo]] = {}
    with conn.cursor() as cur:
        cur.execute(_SCHEMA_SQL)
        for nspname, relname, attname, pg_type, base_type, nullable, generated, is_unique in cur:
            table = f"{nspname}.{relname}"
            schema.setdefault(table, []).append(
                ColumnInfo(
                    table=table,
                    name=attname,
                    pg_type=pg_type,
                    nullable=nullable,
                    unique=is_unique,
                    base_type=base_type,
                    generated=generated,
                )
            )
    return schema
