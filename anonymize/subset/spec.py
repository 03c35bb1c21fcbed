"""What a subset is, as declared: the rules file's `subset:` section and `--subset TABLE:CONDITION` /
`--subset-percent N` on the command line, merged into one `SubsetSpec`. Pure: no database here (the conditions are
checked against the source in anonymize/subset/plan.py, before any data moves).

```yaml
subset:
  roots: [public.merchants]          # what --subset-percent samples (default: tables no FK leaves, with children)
  conditions:                        # SQL over the table's own columns; a subset runs when any is given
    public.merchants: "id in (select id from merchants order by id limit 20)"
  whole: [public.currencies]         # copied whole (and their rows' parents kept)
  empty: [public.audit_archive]      # schema only
  references:                        # relations the schema doesn't declare
    - {table: public.webhook_events, expression: "(payload->>'payment_id')::uuid", references: public.payments}
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from anonymize.errors import AnonymizeError


class SubsetError(AnonymizeError):
    """A subset declared wrong: unknown table, a condition the source rejects, a bad reference. Nothing moved."""


class UnreachedTablesError(SubsetError):
    """Fail closed: tables that no path from the subset's roots reaches and the rules don't say whole/empty."""


def _qualified(name: str) -> str:
    from anonymize.rules import qualify  # rules.py imports this module: late, to avoid the cycle

    return qualify(name)


class VirtualReference(BaseModel):
    """A child -> parent relation the schema doesn't declare: `expression` (a column name or any SQL expression
    over the child row, JSON included) equals the parent's key (`columns`, default: its primary key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str
    expression: str
    references: str
    columns: tuple[str, ...] = ()

    @field_validator("table", "references")
    @classmethod
    def _qualify(cls, value: str) -> str:
        return _qualified(value)

    @field_validator("expression")
    @classmethod
    def _expression_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must be a column name or SQL expression")
        return value


class SubsetRules(BaseModel):
    """The rules file's `subset:` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    roots: tuple[str, ...] = ()
    conditions: dict[str, str] = Field(default_factory=dict)
    whole: tuple[str, ...] = ()
    empty: tuple[str, ...] = ()
    references: tuple[VirtualReference, ...] = ()

    @field_validator("roots", "whole", "empty", mode="before")
    @classmethod
    def _qualify_list(cls, value: Any) -> Any:
        if value is None:
            return ()
        return tuple(_qualified(str(v)) for v in value) if isinstance(value, list | tuple) else value

    @field_validator("conditions", mode="before")
    @classmethod
    def _qualify_conditions(cls, value: Any) -> Any:
        if value is None:
            return {}
        return {_qualified(str(k)): v for k, v in value.items()} if isinstance(value, dict) else value

    @field_validator("references", mode="before")
    @classmethod
    def _references_none(cls, value: Any) -> Any:
        return () if value is None else value

    @model_validator(mode="after")
    def _one_mode_each(self) -> SubsetRules:
        both = (set(self.whole) & set(self.empty)) | ((set(self.whole) | set(self.empty)) & self.conditions.keys())
        if both:
            raise ValueError(f"{sorted(both)[0]} is given more than one of whole, empty, a condition")
        return self


@dataclass(frozen=True)
class SubsetSpec:
    """The subset a run makes: rule tables -> SQL condition, the sample share of the roots, and what the rules
    say about tables no path reaches."""

    conditions: dict[str, str] = field(default_factory=dict)
    percent: float | None = None
    roots: tuple[str, ...] = ()
    whole: frozenset[str] = frozenset()
    empty: frozenset[str] = frozenset()
    references: tuple[VirtualReference, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.conditions) or self.percent is not None


def parse_condition(text: str) -> tuple[str, str]:
    """`--subset "public.orders: created_at >= now() - interval '7 days'"` -> (table, condition). The first
    colon ends the table name (`::` casts in the condition are fine)."""
    table, sep, condition = text.partition(":")
    if not sep or not table.strip() or not condition.strip() or " " in table.strip():
        raise SubsetError(
            f"--subset {text!r} is not TABLE:CONDITION",
            "write e.g. --subset \"public.orders: created_at >= now() - interval '7 days'\"",
        )
    return _qualified(table), condition.strip()


def build_spec(rules: SubsetRules | None, cli: list[str], percent: float | None) -> SubsetSpec:
    """The rules' section with the command line's conditions on top (a table given on both: the command line's)."""
    rules = rules or SubsetRules()
    if percent is not None and not 0 < percent <= 100:
        raise SubsetError(f"--subset-percent must be in (0, 100], got {percent:g}", "pass e.g. --subset-percent 1")
    conditions = dict(rules.conditions)
    seen: set[str] = set()
    for text in cli:
        table, condition = parse_condition(text)
        if table in seen:
            raise SubsetError(f"--subset names {table} twice", "join the conditions with AND in one --subset")
        seen.add(table)
        conditions[table] = condition
    return SubsetSpec(
        conditions=conditions,
        percent=percent,
        roots=rules.roots,
        whole=frozenset(rules.whole) - conditions.keys(),
        empty=frozenset(rules.empty) - conditions.keys(),
        references=rules.references,
    )
