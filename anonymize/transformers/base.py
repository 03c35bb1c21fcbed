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
`capabilities`; nothing infers it from which methods a class overrides (tests/anonymize/transformers/test_base.py).
What the rest of the engine knows about a transformer it reads from the class too: the params that name other
columns of the row (`row_params`), the PII kind of a column it is for (`pii_kind`) and the kinds of span free text
replaces with it (`text_kinds`); anonymize.transformers.declared turns the registry into the maps scan, draft, free
text and the PII detector read, so adding a transformer is its module, its registration and its test.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Generic, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict

from anonymize.columns import ALL_FAMILIES, ColumnInfo, TypeFamily, max_length_of, type_family
from anonymize.errors import RulesError
from anonymize.keys import Keyring
from anonymize.speedups import NATIVE

# leak_items in C (anonymize/csrc/leak_items.c; native_leak_items), when the extension has it.
_LEAK_ITEMS: Callable[..., Any] | None = getattr(NATIVE, "LeakItems", None)

__all__ = ["ALL_FAMILIES", "ColumnInfo", "TypeFamily", "max_length_of", "type_family"]  # and what is defined here

# What `transform` is, and what `native_transform` returns: (value, row) -> fake.
TransformCall = Callable[[str, Mapping[str, str | None]], str | None]


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


class KeyedParams(StrictParams):
    """Params of a transformer whose fake may be keyed on another column of the row instead of the value."""

    key_column: str | None = None  # key the fake on this column (the row's id, or the column a reading follows)


@dataclass(frozen=True)
class TextKind:
    """A kind of span free text replaces with a transformer (rules name it in free_text's `kinds`, `ignore` and
    `domains`): the params of the replacer, and the PII detector's kinds (anonymize.pii.spans.Kind values, which
    are Presidio entity types) whose spans are replaced as this kind."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    entities: tuple[str, ...] = ()


P = TypeVar("P", bound=BaseModel)


class Transformer(ABC, Generic[P]):
    """Subclass as `Transformer[ItsParams]`: `Params` is taken from the type argument and `self.params` is typed."""

    name: ClassVar[str]
    accepts: ClassVar[frozenset[TypeFamily]]
    Params: ClassVar[type[BaseModel]] = NoParams
    params: P
    # Params naming other columns of the row that the fake reads (key_column, entity_column): `row_columns`.
    row_params: ClassVar[tuple[str, ...]] = ()
    # The PII detector's kind (anonymize.pii.spans.Kind value) of a column this transformer is for: a column whose
    # sampled values are mostly wholly of it is drafted with this transform (anonymize.scan).
    pii_kind: ClassVar[str | None] = None
    text_kinds: ClassVar[tuple[TextKind, ...]] = ()  # the spans free text replaces with this transformer
    # The run remembers a column's values as its `pii_kind` before any table moves (anonymize.pii.prepass), so
    # free text gives them the column's fake: only kinds the PII detector can look up (anonymize.pii.known).
    remembered: ClassVar[bool] = False
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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "Params" not in cls.__dict__:
            for base in cls.__dict__.get("__orig_bases__", ()):
                for argument in get_args(base):
                    if isinstance(argument, type) and issubclass(argument, BaseModel):
                        cls.Params = argument

    def __init__(self, params: P, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        self.params = params
        self.column = column
        self.keyring = keyring
        self.domain = domain or self.default_domain or self.name
        self.max_length = column.max_length

    @abstractmethod
    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None: ...

    @property
    def row_columns(self) -> frozenset[str]:
        """Other columns of the row this transformer reads (empty: `row` may be an empty mapping): the values of its
        `row_params`."""
        params = self.params
        return frozenset(column for name in self.row_params if (column := getattr(params, name)))

    def known_kind(self) -> str | None:
        """The kind this column's values are remembered as for free text (`remembered`), or None when free text,
        which replaces a span in its natural domain with default params, could not reproduce the column's fake."""
        return self.pii_kind if self.remembered and self.domain == self.default_domain else None

    def leak_values(self, value: str) -> Iterable[str]:
        """The source values the leak check must look for: the whole value for personal columns. JSON and free
        text override this to yield the personal pieces inside."""
        return (value,) if self.personal and value.strip() else ()

    def leak_items(self, value: str) -> Iterable[tuple[str, bool]]:
        """Like leak_values, each piece with whether it is identifying (found anywhere = leak) or not (a name
        a fake may share by chance). JSON and free text say it per piece; others per transformer."""
        return ((piece, self.identifying) for piece in self.leak_values(value))

    def native_leak_items(self) -> Callable[[str], tuple[tuple[str, bool], ...]] | None:
        """`leak_items` in C (anonymize/csrc/leak_items.c) when it is a function of the value and the transformer's
        flags alone: the JSON walk and the row loop call it without a Python frame per value. Leak "whole_if_digit"
        declares that `leak_values` is digits.whole_if_digit, so `leak_items` is ((value, identifying),) when the
        value holds a digit. None: no C version (or no extension)."""
        if _LEAK_ITEMS is None or self.capabilities.leak != "whole_if_digit":
            return None
        return _LEAK_ITEMS("digit", self.identifying, self.personal, None)

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


class MemoizedTransformer(Transformer[P]):
    """A transformer whose fake is a pure function `_fake(value, key)` of the value and its key (the value itself,
    or the `_key_column` of the row when a subclass sets one).

    `transform` looks whole values up in a per-instance dict of at most `cache_size` fakes, emptied when full:
    cheaper per miss than lru_cache's bookkeeping and, inlined here, ~30% cheaper per hit than any call through a
    cache wrapper, at millions of values. Values keyed on another column (row ids, mostly unique) aren't memoized:
    a shared per-key memo (KeyedIndex.shared, an address's draws) spares a repeated key the keyed work.
    """

    keeps_blank: ClassVar[bool] = False  # a blank (whitespace-only) value is nobody's: returned as it is
    capabilities = Capabilities(memo="plain")  # a subclass overriding `transform` declares memo="none"

    def __init__(self, params: P, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        self._memo: dict[str, str] = {}
        self._key_column: str | None = None  # Keyed sets it after this

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


KP = TypeVar("KP", bound=KeyedParams)


class Keyed(Transformer[KP]):
    """A transformer whose fake may be keyed on another column of the row (`key_column`). Keyed on the row's
    integer id, distinct ids get distinct fakes (a keyed permutation, KeyedIndex): the draft keys a unique column on
    `id`. When its fakes are drawn by hash, where distinct values may meet (`unique_fakes` names them), a unique
    column without key_column is refused before any data moves.

    Subclass as `Keyed[ItsParams], MemoizedTransformer[ItsParams]` (or with Transformer): `_key_column` is the
    column, which MemoizedTransformer keys on."""

    row_params = ("key_column",)
    unique_fakes: ClassVar[str | None] = None  # "names", "addresses", ...: drawn by hash; None: never refused
    unique_transform: ClassVar[str | None] = None  # how the refusal names the transform (None: its name)

    def __init__(self, params: KP, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        self._key_column = params.key_column
        if column.unique and self._key_column is None and self.unique_fakes is not None and self.repeats(params):
            raise unique_needs_key(column, self.unique_transform or self.name, self.unique_fakes)

    def repeats(self, params: KP) -> bool:
        """Whether these params draw the fakes by hash (some params make them distinct, e.g. prefixes kept)."""
        return True


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
    # The package's modules, all imported (they register themselves); done lazily: they import base.
    from anonymize.transformers import discover

    return discover()
