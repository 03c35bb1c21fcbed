"""What every transformer is: a registered name, declared parameters, the column type families it can produce,
and a cheap `transform(value, row)` on PostgreSQL text representations.

Contract with the pipeline:
- `value` is the column's value in PostgreSQL TEXT form and never None (NULL stays NULL: the pipeline skips it);
- `row` maps every column of the source row to its text (or None), for transforms keyed on another column;
  `row_columns` says which ones a transformer reads, so the pipeline may build the mapping only when needed;
- the result is PostgreSQL text input for the column's type, within its max_length (or None for NULL).
Transformers are deterministic under the key: replacement = f(key, domain, normalized value).
What the pipeline plans around without running a transformer (how its values feed the leak check, whether the
row loop may read its memo, whether the run must gather known values first) each class declares in
`capabilities`; nothing infers it from which methods a class overrides (tests/anonymize/test_capabilities.py).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from anonymize.errors import RulesError
from anonymize.keys import Keyring

if TYPE_CHECKING:
    from anonymize.rules import ColumnRule

TypeFamily = Literal[
    "text", "integer", "numeric", "boolean", "date", "timestamp", "json", "uuid", "inet", "bytea", "other"
]
ALL_FAMILIES: frozenset[TypeFamily] = frozenset(get_args(TypeFamily))
# What `transform` is, and what `native_transform` returns: (value, row) -> fake.
TransformCall = Callable[[str, Mapping[str, str | None]], str | None]

_FAMILY_BY_TYPE: dict[str, TypeFamily] = {
    "text": "text",
    "character varying": "text",
    "varchar": "text",
    "character": "text",
    "char": "text",
    "bpchar": "text",
    '"char"': "text",
    "name": "text",
    "citext": "text",
    "smallint": "integer",
    "integer": "integer",
    "bigint": "integer",
    "int2": "integer",
    "int4": "integer",
    "int8": "integer",
    "numeric": "numeric",
    "decimal": "numeric",
    "real": "numeric",
    "double precision": "numeric",
    "float4": "numeric",
    "float8": "numeric",
    "money": "numeric",
    "boolean": "boolean",
    "bool": "boolean",
    "date": "date",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamp",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
    "json": "json",
    "jsonb": "json",
    "uuid": "uuid",
    "inet": "inet",
    "cidr": "inet",
    "bytea": "bytea",
}
_TYPMOD = re.compile(r"\([^)]*\)")
_LENGTH = re.compile(r"^(?:character varying|varchar|character|char|bpchar)\((\d+)\)$")


def _bare_type(pg_type: str) -> str:
    # 'timestamp(3) with time zone' -> 'timestamp with time zone'; 'public.citext' -> 'citext'
    bare = " ".join(_TYPMOD.sub("", pg_type.strip().lower()).split())
    if "." in bare and not bare.startswith('"'):
        bare = bare.rsplit(".", 1)[1]
    return bare


def type_family(pg_type: str) -> TypeFamily:
    """The family of a `format_type()` text, e.g. 'character varying(255)' -> 'text'. Arrays, enums, ranges,
    intervals, times, geometric and unknown types are 'other' (only keep/null/constant can produce them)."""
    if pg_type.strip().endswith("]"):
        return "other"
    return _FAMILY_BY_TYPE.get(_bare_type(pg_type), "other")


def max_length_of(pg_type: str) -> int | None:
    """varchar(n)/char(n) -> n; unbounded types -> None."""
    match = _LENGTH.match(pg_type.strip().lower())
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class ColumnInfo:
    table: str  # schema-qualified, e.g. "public.customers"
    name: str
    pg_type: str  # format_type(atttypid, atttypmod)
    nullable: bool = True
    unique: bool = False  # part of a single-column unique/PK constraint or unique index
    max_length: int | None = None  # varchar(n)/char(n); derived from pg_type when not given
    # Extensions (defaults keep the original constructor valid):
    base_type: str | None = None  # for a DOMAIN column: format_type of its base type, which decides the family
    generated: bool = False  # GENERATED ALWAYS AS (...) STORED: recomputed on load, needs no rule
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_length is None:
            object.__setattr__(self, "max_length", max_length_of(self.base_type or self.pg_type))

    @property
    def family(self) -> TypeFamily:
        return type_family(self.base_type or self.pg_type)

    @property
    def qualified(self) -> str:
        return f"{self.table}.{self.name}"


LeakMode = Literal["whole", "whole_if_digit", "whole_or_nothing", "pieces"]
MemoMode = Literal["plain", "none"]


@dataclass(frozen=True)
class Capabilities:
    """What a transformer does that the pipeline plans around, declared by its class (and, where params decide
    it, set per instance in `__init__`): the row loops, the leak check and the run read these, never which
    methods a class overrides.

    `leak`: how a personal column's source values feed the leak check.
      "whole"             the whole value unless blank (`leak_values`/`leak_items` are Transformer's);
      "whole_if_digit"    the whole value if it holds a digit, with the transformer's identifying flag:
                          `leak_values` is digits.whole_if_digit, whose test the C row loop makes itself ("なし",
                          "-" name nobody); every value is replaced whole (phone, card, registry numbers);
      "whole_or_nothing"  `leak_items` gives the whole value (with its own identifying flag) or nothing; every
                          value is replaced whole (bank accounts: 7 digits reach nobody, 10+ one person);
      "pieces"            `leak_items` gives the personal pieces inside the value (JSON paths, free text,
                          arrays): a piece found in the output may be one the transform kept on purpose.
    `memo`: "plain" when `transform` is MemoizedTransformer's: a value met before (not keyed on another column)
      is `memo[value]` and nothing else happens, so the C row loop reads the fake from the memo itself; "none":
      always ask `transform`.
    `known_values`: the transformer's detector reads the run's known values (anonymize.pii.hook.KNOWN: names,
      emails and phones met in columns), which the run gathers before any table moves (anonymize.pii.prepass).
    `key_context`: a string inside a JSON document goes through `transform_in`/`detections`, which take the
      context of its key and the document's own ids (free text).
    """

    leak: LeakMode = "whole"
    memo: MemoMode = "none"
    known_values: bool = False
    key_context: bool = False

    @property
    def replaces_whole(self) -> bool:
        """Every value is replaced whole (none keeps pieces it doesn't recognise): a source value found in such a
        column's output is a fake colliding with a real value."""
        return self.leak != "pieces"

    def but(self, **changes: Any) -> Capabilities:
        """These capabilities with `changes` (a subclass or an instance declaring what differs)."""
        return replace(self, **changes)


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StrictParams(BaseModel):
    """Base for every transformer's Params: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Transformer(ABC):
    name: ClassVar[str]
    accepts: ClassVar[frozenset[TypeFamily]]
    Params: ClassVar[type[BaseModel]] = NoParams
    personal: ClassVar[bool] = True  # the column holds personal data: its source values feed the leak check
    identifying: ClassVar[bool] = False  # a source value found ANYWHERE in the output is a leak (email, phone...)
    # Fakes that must look real (names, addresses, logins) are drawn where real values live: one may equal another
    # row's real value, a counted note. Fakes of the other kinds come from reserved space (phones, e-mails, cards,
    # IPs, tokens): a fake equal to a real value there means the transform is broken, a failure.
    realistic_fakes: ClassVar[bool] = False
    default_domain: ClassVar[str | None] = None  # pseudonym domain when the rule names none; None -> `name`
    # Declared, not inferred (see Capabilities); an instance whose params change one sets its own in __init__.
    capabilities: Capabilities = Capabilities()
    cache_size: ClassVar[int] = 1 << 16  # bound of a per-instance memo of value -> fake (MemoizedTransformer)

    def __init__(self, params: BaseModel, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        self.params = params
        self.column = column
        self.keyring = keyring
        self.domain = domain or self.default_domain or self.name
        self.max_length = column.max_length

    @abstractmethod
    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None: ...

    @property
    def row_columns(self) -> frozenset[str]:
        """Other columns of the row this transformer reads (empty: `row` may be an empty mapping)."""
        return frozenset()

    def leak_values(self, value: str) -> Iterable[str]:
        """The source values the leak check must look for: the whole value for personal columns. JSON and free
        text override this to yield the personal pieces inside."""
        return (value,) if self.personal and value.strip() else ()

    def leak_items(self, value: str) -> Iterable[tuple[str, bool]]:
        """Like leak_values, each piece with whether it is identifying (found anywhere = leak) or not (a name
        a fake may share by chance). JSON and free text say it per piece; others per transformer."""
        return ((piece, self.identifying) for piece in self.leak_values(value))

    def native_transform(self) -> TransformCall | None:
        """`transform` with its common case in C (anonymize/csrc/), handing every other value to `transform`; the
        pipeline's C row loop calls it instead. None: no C version (or no extension), `transform` is called."""
        return None

    def plain_memo(self) -> dict[str, str] | None:
        """The memo of value -> fake that `transform` looks a value up in first, when that is all it does for a
        value it has met (Capabilities.memo "plain"): the C row loop reads fakes from it without calling
        `transform`. None: no such memo."""
        return None

    def describe(self) -> str:
        return f"{self.name}[{self.domain}]"

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Worker processes rebuild from the parts: caches needn't travel (and closures don't pickle).
        return (_rebuild, (type(self), self.params, self.column, self.keyring, self.domain))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.column.qualified} {self.describe()}>"


class MemoizedTransformer(Transformer):
    """A transformer whose fake is a pure function `_fake(value, key)` of the value and its key (the value itself,
    or the `_key_column` of the row when a subclass sets one).

    `transform` looks whole values up in a per-instance dict of at most `cache_size` fakes, emptied when full:
    cheaper per miss than lru_cache's bookkeeping and, inlined here, ~30% cheaper per hit than any call through a
    cache wrapper, at millions of values. Values keyed on another column (row ids, mostly unique) aren't memoized:
    a shared per-key memo (KeyedIndex.shared, an address's draws) spares a repeated key the keyed work.
    """

    keeps_blank: ClassVar[bool] = False  # a blank (whitespace-only) value is nobody's: returned as it is
    capabilities = Capabilities(memo="plain")  # a subclass overriding `transform` declares memo="none"

    def __init__(self, params: BaseModel, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        self._memo: dict[str, str] = {}
        self._key_column: str | None = None

    @abstractmethod
    def _fake(self, value: str, key: str) -> str: ...

    def plain_memo(self) -> dict[str, str] | None:
        # Values keyed on another column aren't memoized (see `transform`).
        return self._memo if self.capabilities.memo == "plain" and self._key_column is None else None

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        column = self._key_column
        if column is not None:
            if self.keeps_blank and not value.strip():
                return value
            key = row.get(column)
            return self._fake(value, value if key is None else key)
        memo = self._memo
        fake = memo.get(value)
        if fake is None:
            if self.keeps_blank and not value.strip():
                return value
            fake = self._fake(value, value)
            if len(memo) >= self.cache_size:
                memo.clear()
            memo[value] = fake
        return fake


def _rebuild(cls: type[Transformer], params: BaseModel, column: ColumnInfo, keyring: Keyring, domain: str | None):
    return cls(params, column, keyring, domain)


def unique_needs_key(column: ColumnInfo, transform: str, fakes: str) -> RulesError:
    """The refusal of a transform whose fakes are drawn by hash (so may repeat) on a unique column that names no
    key_column: keyed on the row's integer id, a permutation gives distinct ids distinct fakes."""
    return RulesError(
        f"{column.qualified}: {transform} on a unique column needs key_column",
        f"key it on the row's integer id (key_column: id): ids map to distinct {fakes} by a keyed permutation",
    )


REGISTRY: dict[str, type[Transformer]] = {}


def register(cls: type[Transformer]) -> type[Transformer]:
    """Class decorator: make a transformer available to rules files under `cls.name`."""
    existing = REGISTRY.get(cls.name)
    if existing is not None and existing is not cls:
        raise ValueError(f"transformer name {cls.name!r} registered twice ({existing.__name__}, {cls.__name__})")
    REGISTRY[cls.name] = cls
    return cls


def _registry() -> dict[str, type[Transformer]]:
    # Importing the package registers every family module; done lazily so base has no import cycle.
    import anonymize.transformers  # noqa: F401

    return REGISTRY


def format_validation_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        msg = error["msg"]
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def validate_params(transform: str, params: Mapping[str, Any]) -> BaseModel:
    """Look the transform up and validate its params; RulesError names what is wrong."""
    registry = _registry()
    cls = registry.get(transform)
    if cls is None:
        known = ", ".join(sorted(registry))
        raise RulesError(f"unknown transform {transform!r}", f"use one of: {known}")
    try:
        return cls.Params.model_validate(dict(params))
    except ValidationError as exc:
        raise RulesError(f"bad params for {transform}: {format_validation_error(exc)}") from None


def build_transformer(rule: ColumnRule, column: ColumnInfo, keyring: Keyring) -> Transformer:
    """The transformer a rule asks for on a column; RulesError if the transform is unknown, its params are bad,
    or it can't produce the column's type (fail closed)."""
    registry = _registry()
    params = validate_params(rule.transform, rule.params)
    cls = registry[rule.transform]
    if rule.transform not in ("keep", "null", "constant"):
        from anonymize.transformers.arrays import ArrayOf, element_column

        element = element_column(column)
        if element is not None:  # an array: the transform applies to each element (anonymize/transformers/arrays.py)
            try:
                return ArrayOf(build_transformer(rule, element, keyring), column)
            except RulesError as exc:
                message = exc.message.replace(element.qualified, column.qualified, 1)
                raise RulesError(f"{message} (an array: the transform applies to each element)", exc.hint) from None
    family = column.family
    if family not in cls.accepts:
        accepted = ", ".join(sorted(cls.accepts))
        raise RulesError(
            f"{column.qualified}: transform {rule.transform} can't produce {column.pg_type} (a {family} column)",
            f"{rule.transform} produces: {accepted}",
        )
    try:
        return cls(params, column, keyring, rule.domain)
    except RulesError as exc:
        if exc.message.startswith(column.qualified):
            raise
        raise RulesError(f"{column.qualified}: {exc.message}", exc.hint) from None
