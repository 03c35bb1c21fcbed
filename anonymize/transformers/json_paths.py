"""json: a transform per JSON path inside json/jsonb values.

```yaml
payload:
  transform: json
  params:
    paths:
      $.customer.email: email
      $.customer.name: {transform: person_name}
      $.items[*].card: card_pan
      $..phone: phone                 # any depth
      $.data.object.id: keep          # the platform's own id: neither replaced nor searched
    other_strings: free_text          # every string leaf no path covers (optional)
    ignore_keys: [provider_ref, "*_token"]   # leaves under these keys: left to other_strings' detection (optional)
```
Paths: `$`, `.key`, `['key']`, `[*]`, `.*`, `[n]`, `..key` (recursive descent). A path's transform that reads
another column (`key_column`, `entity_column`) may name a value of the same document instead: `@.last4` is the
key `last4` beside the value (in the same object), `$.card.number` a path from the top; it reads the document as
it came in, before any path rule replaced it (`{transform: card_part, params: {part: exp_month, key_column:
"@.last4"}}`: a card's expiry moves with its own last four digits). A JSON string that holds JSON
(a payload stored as text inside JSON) is decoded, transformed and re-encoded. Leaves keep their JSON type
where the fake allows (a number stays a number). Sub-transforms use their natural domains, so an email inside a
payload gets the same fake as the same email in a column.

`other_strings` detection reads the key above each string as context (anonymize.context): under an id key (`id`,
`*_id`, `*Id`, transaction/reference/txn/order keys) number-shaped detections are the platform's identifiers and
left alone; under a card key (`card_number`, `{"card": {"number": ...}}`) a bare card number is a card. A path
ruled `keep`, or a key in `ignore_keys` (shell-style patterns, case-insensitive), settles a false positive: its
strings are neither replaced nor recorded by the leak check.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import json.scanner
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from anonymize.context import KeyContext, is_card_number, key_context
from anonymize.errors import RulesError, TransformError
from anonymize.keys import Keyring
from anonymize.leak_keys import note_json_output
from anonymize.leak_origins import FAKE, IDENTIFIER, Origin, origin_id, rule_path
from anonymize.speedups import NATIVE
from anonymize.transformers.base import (
    Capabilities,
    ColumnInfo,
    StrictParams,
    Transformer,
    register,
)
from anonymize.transformers.factory import build_transformer, validate_params

if TYPE_CHECKING:
    from anonymize.transformers.free_text import FreeText


class PathRule(BaseModel):
    """A rule for the values at one path: same shape as a column rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    transform: str
    params: dict[str, Any] = Field(default_factory=dict)
    domain: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"transform": data} if isinstance(data, str) else data


@dataclass(frozen=True)
class Step:
    kind: str  # "key", "index", "wild", "descend"
    key: str | int | None = None


_TOKEN = re.compile(
    r"\.\.([A-Za-z_][\w-]*|\*)|\.([A-Za-z_][\w-]*|\*)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*\"((?:[^\"\\]|\\.)*)\"\s*\]|\[\s*(\*|-?\d+)\s*\]"
)


def parse_path(path: str) -> tuple[Step, ...]:
    """'$.items[*].card' -> steps; ValueError naming the first character that doesn't parse."""
    text = path.strip()
    if not text.startswith("$"):
        raise ValueError(f"path {path!r} must start with $")
    steps: list[Step] = []
    position = 1
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"path {path!r}: can't parse at {text[position:]!r}")
        descend, dotted, single, double, bracket = match.groups()
        if descend is not None:
            steps.append(Step("descend", None if descend == "*" else descend))
        elif dotted is not None:
            steps.append(Step("wild") if dotted == "*" else Step("key", dotted))
        elif single is not None or double is not None:
            steps.append(Step("key", single if single is not None else double))
        elif bracket == "*":
            steps.append(Step("wild"))
        else:
            steps.append(Step("index", int(bracket)))
        position = match.end()
    return tuple(steps)


class JsonParams(StrictParams):
    paths: dict[str, PathRule] = Field(default_factory=dict)
    other_strings: PathRule | None = None  # for every string leaf that no path covers, e.g. free_text
    # Keys (shell-style patterns, case-insensitive) whose string leaves other_strings leaves as they are.
    ignore_keys: list[str] = Field(default_factory=list)

    @field_validator("paths")
    @classmethod
    def _paths_parse(cls, value: dict[str, PathRule]) -> dict[str, PathRule]:
        for path in value:
            parse_path(path)
        return value

    @field_validator("ignore_keys")
    @classmethod
    def _keys_named(cls, value: list[str]) -> list[str]:
        if any(not key.strip() for key in value):
            raise ValueError("a key to ignore must be a non-empty name or pattern")
        return value

    @model_validator(mode="after")
    def _sub_params(self) -> JsonParams:
        """Each path's (and other_strings') params checked as a rules file is read, not only when the run builds
        the transformer: an unknown kind in a detector's `ignore` is one clear error at load."""
        rules = [(path, rule) for path, rule in self.paths.items()]
        rules += [("other_strings", self.other_strings)] if self.other_strings is not None else []
        for where, rule in rules:
            if rule.transform == "json":
                continue  # refused with its own message when built
            try:
                validate_params(rule.transform, rule.params)
            except RulesError as exc:
                hint = f" ({exc.hint})" if exc.hint else ""
                raise ValueError(f"{where}: {exc.message}{hint}") from None
        return self


Trail = tuple[Any, ...]
_DECODED = "<json>"  # trail marker: the step into a JSON document held in a string


def _decode_embedded(node: Any) -> Any | None:
    if isinstance(node, str):
        stripped = node.lstrip()
        if stripped[:1] in ("{", "["):
            try:
                return json.loads(node)
            except ValueError:
                return None
    return None


def _encode(value: Any, like: str) -> str:
    # Keep the embedded document's compactness: '{"a":1}' stays compact, '{"a": 1}' keeps its spaces.
    compact = ('":' in like or ',"' in like) and '": ' not in like
    return json.dumps(value, ensure_ascii=False, separators=(",", ":") if compact else None)


def _walk(node: Any, steps: tuple[Step, ...], trail: Trail, leaf: Callable[[Any, Trail], Any]) -> Any:
    """`node` with `leaf` applied to everything the steps reach; containers are rebuilt, not mutated."""
    if not steps:
        return _leaves(node, trail, leaf)
    if isinstance(node, str):  # no step but into JSON held in it applies to a string
        if (decoded := _decode_embedded(node)) is not None:
            return _encode(_walk(decoded, steps, (*trail, _DECODED), leaf), node)
        return node
    step, rest = steps[0], steps[1:]
    if step.kind == "key" and isinstance(node, dict) and step.key in node:
        return {**node, step.key: _walk(node[step.key], rest, (*trail, step.key), leaf)}
    if (
        step.kind == "index"
        and isinstance(node, list)
        and isinstance(step.key, int)
        and -len(node) <= step.key < len(node)
    ):
        index = step.key % len(node)
        return [_walk(v, rest, (*trail, index), leaf) if i == index else v for i, v in enumerate(node)]
    if step.kind == "wild":
        if isinstance(node, dict):
            return {k: _walk(v, rest, (*trail, k), leaf) for k, v in node.items()}
        if isinstance(node, list):
            return [_walk(v, rest, (*trail, i), leaf) for i, v in enumerate(node)]
    if step.kind == "descend":
        # `..key`: the key here, then the same search one level down everywhere.
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if step.key is None or k == step.key:
                    v = _walk(v, rest, (*trail, k), leaf)
                out[k] = _walk(v, steps, (*trail, k), leaf) if isinstance(v, (dict, list, str)) else v
            return out
        if isinstance(node, list):
            return [_walk(v, steps, (*trail, i), leaf) for i, v in enumerate(node)]
    return node


def _leaves(node: Any, trail: Trail, leaf: Callable[[Any, Trail], Any]) -> Any:
    """Apply `leaf` to every scalar under node (a path may name a whole subtree)."""
    if isinstance(node, dict):
        return {k: _leaves(v, (*trail, k), leaf) for k, v in node.items()}
    if isinstance(node, list):
        return [_leaves(v, (*trail, i), leaf) for i, v in enumerate(node)]
    if (decoded := _held_document(node)) is not None:
        return _encode(_leaves(decoded, (*trail, _DECODED), leaf), node)
    return leaf(node, trail)


def _held_document(node: Any) -> dict | list | None:
    """The object or array a string leaf holds as JSON text, or None (most strings: seen at their first character)."""
    if isinstance(node, str) and node[:1] not in _PLAIN_STARTS:
        decoded = _decode_embedded(node)
        if isinstance(decoded, (dict, list)):
            return decoded
    return None


def _may_hold(text: str) -> bool:
    """Can `text` hold a JSON document (_decode_embedded's test before it parses)? json_walk.c's may_hold."""
    return text.lstrip()[:1] in ("{", "[")


# First characters of strings that can't hold JSON (_decode_embedded: '{' or '[' after leading whitespace): the
# ASCII letters and digits, which most leaves start with. The empty string: nothing to decode either.
_PLAIN_STARTS = frozenset(["", *"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"])


def _rewrite(node: Any, steps: tuple[Step, ...], trail: Trail, leaf: Callable[[Any, Trail], Any]) -> Any:
    """`_walk`'s result, made by changing the containers of `node` in place rather than rebuilding them, for a
    document nothing else holds (`transform`'s own parse): the same steps, leaves and order. The path's leading
    keys and indexes are followed in a loop: in place, only the last container's slot can change."""
    top, parent, slot = node, None, None
    position = 0
    for step in steps:
        if step.kind == "key" and isinstance(node, dict):
            if step.key not in node:
                return top  # _walk would return every container as it is
            slot = step.key
        elif step.kind == "index" and isinstance(node, list):
            index = cast(int, step.key)
            if not -len(node) <= index < len(node):
                return top
            slot = index % len(node)
        else:
            break  # JSON in a string, a wildcard, or a step that doesn't apply here: _rewrite_steps decides
        parent, node, trail = node, node[slot], (*trail, slot)
        position += 1
    new = _rewrite_steps(node, steps[position:], trail, leaf)
    if parent is None:
        return new
    parent[slot] = new
    return top


def _rewrite_steps(node: Any, steps: tuple[Step, ...], trail: Trail, leaf: Callable[[Any, Trail], Any]) -> Any:
    """`_rewrite` from a node its loop stopped at."""
    if not steps:
        return _rewrite_leaves(node, trail, leaf)
    if isinstance(node, str):
        if (decoded := _decode_embedded(node)) is not None:
            return _encode(_rewrite(decoded, steps, (*trail, _DECODED), leaf), node)
        return node
    step, rest = steps[0], steps[1:]
    kind = step.kind
    if kind == "key":
        if isinstance(node, dict) and step.key in node:
            node[step.key] = _rewrite(node[step.key], rest, (*trail, step.key), leaf)
    elif kind == "index":
        if isinstance(node, list) and -len(node) <= cast(int, step.key) < len(node):
            index = cast(int, step.key) % len(node)
            node[index] = _rewrite(node[index], rest, (*trail, index), leaf)
    elif kind == "wild":
        if isinstance(node, dict):
            for k, v in node.items():
                node[k] = _rewrite(v, rest, (*trail, k), leaf)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                node[i] = _rewrite(v, rest, (*trail, i), leaf)
    elif isinstance(node, dict):  # descend: the key here, then the same search one level down everywhere
        for k, v in node.items():
            if step.key is None or k == step.key:
                v = _rewrite(v, rest, (*trail, k), leaf)
            node[k] = _rewrite(v, steps, (*trail, k), leaf) if isinstance(v, (dict, list, str)) else v
    elif isinstance(node, list):
        for i, v in enumerate(node):
            node[i] = _rewrite(v, steps, (*trail, i), leaf)
    return node


def _rewrite_leaves(node: Any, trail: Trail, leaf: Callable[[Any, Trail], Any]) -> Any:
    """`_leaves`' result, made in place as `_rewrite` makes it. Scalars are handed to `leaf` without a call of
    this function each (most leaves of a payload)."""
    if isinstance(node, (dict, list)):
        for k, v in node.items() if isinstance(node, dict) else enumerate(node):
            if isinstance(v, (dict, list)) or (isinstance(v, str) and v[:1] not in _PLAIN_STARTS):
                node[k] = _rewrite_leaves(v, (*trail, k), leaf)
            else:
                new = leaf(v, (*trail, k))
                if new is not v:
                    node[k] = new
        return node
    if (decoded := _held_document(node)) is not None:
        return _encode(_rewrite_leaves(decoded, (*trail, _DECODED), leaf), node)
    return leaf(node, trail)


def _may_reach(node: Any, steps: tuple[Step, ...]) -> bool:
    """False when `_walk(node, steps, ...)` would certainly return `node` as it is, calling no leaf: a key or index
    of the path is missing on the way down. A JSON string met on the way is the walk's to decide (it decodes and
    re-encodes it), and so are wildcards."""
    for step in steps:
        if step.kind == "key":
            if isinstance(node, dict):
                if step.key not in node:
                    return False
                node = node[step.key]
                continue
            return isinstance(node, str)
        if step.kind == "index":
            if isinstance(node, list):
                index = cast(int, step.key)
                if not -len(node) <= index < len(node):
                    return False
                node = node[index]
                continue
            return isinstance(node, str)
        return True
    return True


@dataclass(slots=True)  # not frozen: a frozen dataclass sets each field through object.__setattr__, once per document
class _Walked:
    """What `JsonPaths.transform` met in `value`, as `leak_items` reads it (`JsonPaths._collect`)."""

    value: str
    found: list[tuple[Trail, Transformer, str, bool]]
    leaves: list[tuple[Trail, Any]]
    ids: _DocumentIds
    # Set when leaves without anything for the leak check were left out (JsonPaths._rest_native): the detector's
    # generation then, at which the left-out strings have no detection.
    generation: int | None = None


class _DocumentIds:
    """The digits of a document's own identifiers: its values under id keys (anonymize.context.key_context) that no
    path rule replaces, and under paths ruled keep. A number that detection finds elsewhere in the same document
    (a description repeating the transaction id) is that identifier, not personal data. Worked out on the first
    question only: most documents have no number-shaped detection at all."""

    __slots__ = ("_covered", "_digits", "_document", "_kept")

    def __init__(self, document: Callable[[], Any], covered: set[Trail], kept: set[Trail]) -> None:
        # The document as it was read (path rules may replace values before the first question), read when asked.
        self._document = document
        self._covered, self._kept = covered, kept
        self._digits: frozenset[str] | None = None

    def __contains__(self, digits: object) -> bool:
        if self._digits is None:
            found: set[str] = set()

            def visit(node: Any, trail: Trail) -> Any:
                if isinstance(node, (str, int)) and not isinstance(node, bool):
                    identifier = trail in self._kept or (trail not in self._covered and _context(trail) == "id")
                    if identifier:
                        number = _ID_DIGITS.sub("", str(node))
                        if len(number) >= MIN_ID_DIGITS:
                            found.add(number)
                return node

            _leaves(self._document(), (), visit)
            self._digits = frozenset(found)
        return digits in self._digits


# What JsonPaths._items does with a path sub's leaves (_item_kind).
_KEEP = "keep"  # kept as they are: `_identifier` (card-shaped numbers kept)
_SILENT = "silent"  # nothing for the leak check: skipped
_PLAIN = "plain"  # leak items a function of the text alone: memoized (_plain_items)
_ASK = "ask"  # `_pieces`, as it is
_WHOLE = "whole"  # Transformer's own leak_items of a personal value: (text, False) unless blank
_WHOLE_IDENTIFYING = "whole, identifying"  # the same with True
_ITEM_KINDS = (_KEEP, _SILENT, _PLAIN, _ASK, _WHOLE, _WHOLE_IDENTIFYING)  # as json_found_items reads them (identity)


def _item_kind(sub: Transformer) -> str:
    if sub.name == "keep":
        return _KEEP
    if sub.capabilities.leak == "whole" and not sub.personal:
        # Transformer's own leak_items of a value not personal (card_part's month, year, last four): nothing.
        return _SILENT
    if sub.capabilities.leak == "whole" and not sub.capabilities.known_values and not sub.capabilities.key_context:
        # Transformer's own leak_items of a personal value (emails, names): the text with the sub's flag unless
        # blank, which json_found_items writes itself (the Python loop memoizes it as a plain sub's).
        return _WHOLE_IDENTIFYING if sub.identifying else _WHOLE
    if sub.capabilities.leak != "pieces" and not sub.capabilities.known_values and not sub.capabilities.key_context:
        # Replaced whole, reading neither the run's known values nor a key's context (leak "pieces", free text and
        # arrays of it, may read the detector's state).
        return _PLAIN
    return _ASK


LEAK_MEMO_MAX = 1 << 14  # entries of JsonPaths._leak_memo (cleared when full)
# The first characters `_ID_NUMBER` can match at: an ASCII digit or re.ASCII's whitespace.
_ID_FIRST = frozenset("0123456789 \t\n\r\f\v")
MIN_ID_DIGITS = 10  # shorter numbers (amounts, counts) say nothing about a phone's or a card's digits
_ID_DIGITS = re.compile(r"\D+")
_ID_NUMBER = re.compile(r"\s*\d[\d \-]*\d\s*", re.ASCII)


def _context(trail: Trail) -> KeyContext | None:
    """What the keys above a leaf say about it (anonymize.context.key_context); memoized by the whole trail (payloads
    repeat their shape) and by the last two keys, all it reads."""
    found = _TRAIL_CONTEXTS.get(trail, _NO_CONTEXT)
    if found is not _NO_CONTEXT:
        return found  # type: ignore[return-value]
    found = _keys_context(trail)
    # A trail through JSON held in a string holds the marker, which equals a key spelled "<json>": not memoized.
    if _DECODED not in trail:
        if len(_TRAIL_CONTEXTS) >= 1 << 14:
            _TRAIL_CONTEXTS.clear()
        _TRAIL_CONTEXTS[trail] = found
    return found


def _keys_context(trail: Trail) -> KeyContext | None:
    keys = tuple(part for part in trail if isinstance(part, str) and part is not _DECODED)[-2:]
    found = _CONTEXTS.get(keys, _NO_CONTEXT)
    if found is _NO_CONTEXT:
        found = key_context(keys)
        if len(_CONTEXTS) >= 1 << 14:
            _CONTEXTS.clear()
        _CONTEXTS[keys] = found
    return found  # type: ignore[return-value]


_CONTEXTS: dict[tuple[str, ...], KeyContext | None] = {}
_TRAIL_CONTEXTS: dict[Trail, KeyContext | None] = {}
_NO_CONTEXT = object()


def _scalar_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)  # what json.dumps writes for an int (its encoder's int_repr), without its setup
    if isinstance(value, float):
        return json.dumps(value)
    return str(value)


def _back(original: Any, text: str | None) -> Any:
    """The fake as a JSON value of the original's type when it parses as one."""
    if text is None:
        return None
    if isinstance(original, bool):
        return {"true": True, "false": False}.get(text, text)
    if isinstance(original, int):
        try:
            return int(text)
        except ValueError:
            return text
    if isinstance(original, float):
        try:
            return float(text)
        except ValueError:
            return text
    return text


@register
class JsonPaths(Transformer[JsonParams]):
    name = "json"
    accepts = frozenset({"json", "text"})
    # The document as a whole isn't searched for: leak_values/leak_items yield the personal leaves. Per instance,
    # personal/identifying say whether any path rule is (conservative for checks that look at the flags only).
    personal = True
    capabilities = Capabilities(leak="pieces")

    def __init__(self, params: JsonParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        self.rules: list[tuple[str, tuple[Step, ...], Transformer]] = []
        for path, rule in params.paths.items():
            self.rules.append((path, parse_path(path), self._sub(path, rule)))
        self.other = self._sub("<other strings>", params.other_strings) if params.other_strings else None
        subs = [sub for _, _, sub in self.rules] + ([self.other] if self.other else [])
        self.personal = any(sub.personal for sub in subs)
        self.identifying = any(sub.identifying for sub in subs)
        self.capabilities = self.capabilities.but(known_values=any(sub.capabilities.known_values for sub in subs))
        self._ignore_keys = tuple(key.lower() for key in params.ignore_keys)
        self._origins: dict[tuple, int] = {}
        self._trail_origins: dict[tuple, int] = {}  # _origin's memo by the trail as met
        self._walked: _Walked | None = None  # what the last `transform` met, for `leak_items` of the same value
        # Per path rule, what each of its leaves needs, worked out once: (steps, sub, the sub's document refs,
        # whether it reads a string in the context of its key, whether it is `keep`).
        self._plan = [
            (
                steps,
                sub,
                [name for name in sub.row_columns if is_document_ref(name)],
                sub.capabilities.key_context,
                sub.name == "keep",
            )
            for _, steps, sub in self.rules
        ]
        # The same plan as the C loop reads it (json_rules): each rule's steps as (code, key), 0 a key, 1 an index, 2
        # what `_rewrite_steps` takes from there; and what the leaf reads of each rule.
        self._native_plan = tuple((_step_codes(steps), steps) for steps, *_ in self._plan)
        # Each sub's transform as the row loop calls it: its common case in C when it has one (the same fakes).
        self._calls = {id(sub): sub.native_transform() or sub.transform for _, _, sub in self.rules}
        # What the leaf reads of each rule: (sub, refs, in_context, keep, call, live keys); the last is what the C leaf
        # (json_rules' fast_leaf) reads each document ref from: ((ref, key), ...) when every ref is one key beside
        # the value (`@.last4`), else None (the Python leaf reads them).
        self._rule_leaves = tuple((*entry[1:], self._calls[id(entry[1])], _live_keys(entry[2])) for entry in self._plan)
        # Path subs whose fake the leak check records beside the pieces (`_pieces`), decided once: row_columns is
        # worked out anew at each read.
        self._fakes_recorded = frozenset(
            id(sub) for sub in subs if sub.realistic_fakes and sub.identifying and not sub.row_columns
        )
        # What `_items` does with each path sub's leaves, decided once (_item_kind).
        self._item_kinds = {id(sub): _item_kind(sub) for _, _, sub in self.rules}
        # The plain subs whose leak_items run in C (addresses, phones): json_found_items_native calls them instead
        # of `_plain_items` (their values are mostly unique: the memo missed and cost a tuple and an entry each).
        self._native_items = {
            id(sub): native
            for _, _, sub in self.rules
            if self._item_kinds[id(sub)] is _PLAIN and (native := sub.native_leak_items()) is not None
        }
        self._leak_memo: dict[tuple[int, str], tuple[tuple[str, bool | None], ...]] = {}
        # other_strings' transform_in (free text reading its key's context) bound once, and free_text's module, whose
        # MEMO_MAX_LENGTH json_rest reads: looked up per document, they were ~3% of a small payload's transform.
        other = self.other
        self._transform_in = (
            cast("FreeText", other).transform_in if other is not None and other.capabilities.key_context else None
        )
        self._free_text = _free_text_module() if other is not None else None

    def _ignored(self, trail: Trail) -> bool:
        """Is the leaf at `trail` under a key of `ignore_keys`?"""
        if not self._ignore_keys:
            return False
        key = next((part for part in reversed(trail) if isinstance(part, str) and part is not _DECODED), None)
        return key is not None and any(fnmatch.fnmatchcase(key.lower(), pattern) for pattern in self._ignore_keys)

    def _origin(self, trail: Trail, kind: str, detected: bool, weak: bool) -> int:
        """The origin id of a piece found at `trail` (indexes folded: one per path of the document's shape)."""
        seen = self._trail_origins.get((trail, kind, detected, weak))
        if seen is not None:  # the trail as met (documents repeat their shape): no folding
            return seen
        found = self._folded_origin(trail, kind, detected, weak)
        # A trail through JSON held in a string holds the marker, which equals a key spelled "<json>": not memoized.
        if _DECODED not in trail:
            if len(self._trail_origins) >= 1 << 12:  # trails keyed by data: bounded
                self._trail_origins.clear()
            self._trail_origins[(trail, kind, detected, weak)] = found
        return found

    def _folded_origin(self, trail: Trail, kind: str, detected: bool, weak: bool) -> int:
        folded = tuple("*" if isinstance(part, int) else part for part in trail if part is not _DECODED)
        key = (folded, kind, detected, weak)
        found = self._origins.get(key)
        if found is None:
            path = rule_path(tuple(0 if part == "*" else part for part in folded))
            found = origin_id(Origin(self.column.qualified, path, kind, detected, weak))
            if len(self._origins) >= 1 << 12:  # documents keyed by data: bounded
                self._origins.clear()
            self._origins[key] = found
        return found

    def _sub(self, path: str, rule: PathRule) -> Transformer:
        if rule.transform == "json":
            raise RulesError(f"json path {path}: nest paths instead of a json transform inside json")
        leaf_column = ColumnInfo(table=self.column.table, name=f"{self.column.name}{path}", pg_type="text")
        try:
            return build_transformer(rule, leaf_column, self.keyring)  # type: ignore[arg-type]
        except RulesError as exc:
            raise RulesError(
                f"json path {path}: {exc.message.removeprefix(leaf_column.qualified + ': ')}", exc.hint
            ) from None

    @property
    def row_columns(self) -> frozenset[str]:
        needed = frozenset().union(*(sub.row_columns for _, _, sub in self.rules))
        needed |= self.other.row_columns if self.other else frozenset()
        return frozenset(name for name in needed if not is_document_ref(name))

    def _load(self, value: str) -> Any:
        try:
            return _json_load(value)
        except ValueError:
            raise TransformError(f"{self.column.qualified}: a value is not valid JSON") from None

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        document = self._load(value)  # changed in place (_rewrite): this parse is the transform's own
        pristine: list[Any] = []

        def source() -> Any:
            """The document as it came in, for `@.key` refs and the document's ids: parsed again when first asked."""
            if not pristine:
                pristine.append(_json_load(value))
            return pristine[0]

        covered: set[Trail] = set()
        kept: set[Trail] = set()
        ids = _DocumentIds(source, covered, kept)
        live = document  # as the rules rewrite it in place: refs are read from it where they still can be
        # What leak_items will read of this same value, gathered on the way (_Walked): kept only when each leaf
        # was met as it came in, i.e. no two rules reached the same leaf and no fake reads as a JSON document.
        found: list[tuple[Trail, Transformer, str, bool]] = []
        faithful = [True]  # a box: the C leaf (json_rules) writes it too
        current: list[Any] = [None]  # the rule being walked: (sub, refs, in_context, keep)

        def leaf(node: Any, trail: Trail) -> Any:
            sub, refs, in_context, keep, call, _ = current[0]
            if trail in covered:
                faithful[0] = False
            covered.add(trail)
            if keep:
                kept.add(trail)
            text = _scalar_text(node)
            sub_row = _with_live_refs(row, live, trail, refs, covered, source) if refs else row
            if text is None:
                return None
            found.append((trail, sub, text, isinstance(node, str)))
            if in_context and isinstance(node, str):
                new = cast("FreeText", sub).transform_in(text, _context(trail), sub_row)
            else:
                new = _back(node, call(text, sub_row))
            if isinstance(new, str) and new.lstrip()[:1] in ("{", "["):
                faithful[0] = False
            return new

        if _JSON_RULES is not None:  # the loop below in C (anonymize/csrc/json_walk.c)
            # The leaves of rules without document refs, but for free text's strings, are done in C too (its
            # fast_leaf: the same bookkeeping and values as `leaf`, which does the others).
            state = (covered, kept, found, faithful, row, _scalar_text, _back)
            document = _JSON_RULES(document, self._native_plan, current, self._rule_leaves, leaf, _rewrite_steps, state)
        else:
            for (steps, *_), rule in zip(self._plan, self._rule_leaves, strict=True):
                if _may_reach(document, steps):  # else the walk would meet no leaf and re-encode nothing
                    current[0] = rule
                    document = _rewrite(document, steps, (), leaf)
        leaves: list[tuple[Trail, Any, KeyContext | None]] = []
        generation = None  # the detector's generation the leaves were gathered at, when some were left out
        if self.other is not None:
            other = self.other
            transform_in = self._transform_in
            ignored = self._ignored if self._ignore_keys else None
            if _JSON_REST is not None:
                document, generation = self._rest_native(document, covered, ignored, leaves, transform_in, row, ids)
                self._walked = _Walked(value, found, leaves, ids, generation) if faithful[0] else None
                return _encoded(document)

            def rest(node: Any, trail: Trail) -> Any:
                if isinstance(node, (str, int)) and trail not in covered and (ignored is None or not ignored(trail)):
                    context = _context(trail)
                    leaves.append((trail, node, context))
                    if isinstance(node, str):
                        if transform_in is not None:
                            return transform_in(node, context, row, ids)
                        return other.transform(node, row)
                return node

            document = _rewrite_leaves(document, (), rest)
        self._walked = _Walked(value, found, leaves, ids, generation) if faithful[0] else None
        return _encoded(document)

    def _rest_native(
        self,
        document: Any,
        covered: set[Trail],
        ignored: Callable[[Trail], bool] | None,
        leaves: list[tuple[Trail, Any, KeyContext | None]],
        transform_in: Callable[..., str | None] | None,
        row: Mapping[str, str | None],
        ids: _DocumentIds,
    ) -> tuple[Any, int | None]:
        """`transform`'s walk of the leaves no path covers, in C (anonymize/csrc/json_walk.c): the same leaves, calls
        and document, but the strings free text's memo already answers with nothing are not handed to it, and the
        leaves the leak check can get nothing from are not recorded (then the detector's generation is returned:
        `leak_items` trusts the shorter list only while it holds)."""
        other = self.other
        assert other is not None and _JSON_REST is not None
        memo = stamp = generation = None
        if transform_in is not None:
            stamp = other._stamp  # type: ignore[attr-defined]  # FreeText's (transform_in is its method)
            if stamp is not None and stamp.generation == other._generation:  # type: ignore[attr-defined]
                memo, generation = other._spans, stamp.generation  # type: ignore[attr-defined]
        document = _JSON_REST(
            document, covered, ignored, _TRAIL_CONTEXTS, _context, leaves, transform_in, other.transform,
            row, ids, memo, stamp, generation, _held_document, _encode, _DECODED,
            self._free_text.MEMO_MAX_LENGTH,  # as it is now (tests lower it to turn the memo off)
            other.max_length,
        )  # fmt: skip
        return document, generation

    def leak_values(self, value: str) -> Iterator[str]:
        return (item[0] for item in self.leak_items(value) if item[1] is not None)

    def leak_items(self, value: str) -> list[tuple[str, bool | None, int]]:  # type: ignore[override]
        """(piece, identifying, origin id) of every personal piece: what path rules replace, and what other_strings
        detects (in the context of its key), each with the path it was found at; and, flagged None, the card-shaped
        identifiers the document keeps as they are (`_identifier`) and the realistic fakes path rules write."""
        walked = self._walked  # the pipeline asks right after `transform` of the same value: read, not walked again
        if walked is not None and walked.value is value and walked.generation in (None, self._generation()):
            return self._items(walked.found, walked.leaves, walked.ids)
        return self._items(*self._collect(value))

    def _collect(
        self, value: str
    ) -> tuple[list[tuple[Trail, Transformer, str, bool]], list[tuple[Trail, Any, KeyContext | None]], _DocumentIds]:
        """What `leak_items` reads of a document: each path rule's leaves as they came in, the leaves left to
        other_strings (strings, and numbers for `_identifier`) with their keys' context, and the document's
        identifiers."""
        document = self._load(value)
        found: list[tuple[Trail, Transformer, str, bool]] = []
        covered: set[Trail] = set()
        kept: set[Trail] = set()
        for _, steps, sub in self.rules:

            def collect(node: Any, trail: Trail, sub: Transformer = sub) -> Any:
                covered.add(trail)
                if sub.name == "keep":
                    kept.add(trail)
                text = _scalar_text(node)
                if text is not None:
                    found.append((trail, sub, text, isinstance(node, str)))
                return node

            _walk(document, steps, (), collect)
        leaves: list[tuple[Trail, Any, KeyContext | None]] = []
        if self.other is not None:

            def gather(node: Any, trail: Trail) -> Any:
                if isinstance(node, (str, int)) and trail not in covered and not self._ignored(trail):
                    leaves.append((trail, node, _context(trail)))
                return node

            _leaves(document, (), gather)
        return found, leaves, _DocumentIds(lambda: document, covered, kept)

    def _items(
        self,
        found: list[tuple[Trail, Transformer, str, bool]],
        leaves: list[tuple[Trail, Any, KeyContext | None]],
        ids: _DocumentIds,
    ) -> list[tuple[str, bool | None, int]]:
        # A list, not a generator: the row loop takes every item at once (rows.c's record_pieces), and a payload has
        # dozens of leaves, most of which give nothing: those are passed over here without a call each.
        out: list[tuple[str, bool | None, int]] = []
        kinds, memo = self._item_kinds, self._leak_memo
        if _JSON_FOUND_ITEMS_NATIVE is not None:  # the loop below in C (json_walk.c), `_plain_pieces` too
            _JSON_FOUND_ITEMS_NATIVE(
                found, kinds, memo, self._trail_origins, self._fakes_recorded, out, _ITEM_KINDS, self._plain_items,
                self._plain_pieces, self._identifier, self._pieces, self._native_items, self._calls, self._origin, FAKE,
                IDENTIFIER,
            )  # fmt: skip
            found = []
        elif _JSON_FOUND_ITEMS is not None:  # the loop below in C (json_walk.c), with the same calls where it calls
            _JSON_FOUND_ITEMS(
                found, kinds, memo, self._trail_origins, self._fakes_recorded, out, _ITEM_KINDS, self._plain_items,
                self._plain_pieces, self._identifier, self._pieces,
            )  # fmt: skip
            found = []
        for trail, sub, text, is_string in found:
            kind = kinds[id(sub)]
            if kind is _PLAIN or kind is _WHOLE or kind is _WHOLE_IDENTIFYING:  # `_plain_pieces` inlined
                items = memo.get((id(sub), text))
                if items is None:
                    items = self._plain_items(sub, text)
                if items:
                    out += self._plain_pieces(sub, trail, text, items)
            elif kind is _KEEP:
                if text[:1] in _ID_FIRST:  # else `_identifier` finds nothing (most kept ids start with a letter)
                    out += self._identifier(trail, text)
            elif kind is _ASK:  # as `transform` does, a path's own rule doesn't ask the document's ids
                out += self._pieces(sub, trail, text, is_string, None)
        if self.other is not None:
            # Free text (most drafts): its detections asked directly, `_pieces` inlined (a payload has dozens of
            # strings, most with nothing in them).
            detections = cast("FreeText", self.other).detections if self.other.capabilities.key_context else None
            origin = self._origin
            if detections is not None and _JSON_LEAF_ITEMS is not None:  # the loop below in C (json_walk.c)
                return _JSON_LEAF_ITEMS(leaves, out, detections, IDENTIFIER, self._trail_origins, origin, ids)
            for trail, node, context in leaves:
                if context == "id" and not isinstance(node, bool):
                    text = str(node)
                    if text[:1] in _ID_FIRST:
                        out += self._identifier(trail, text)
                if isinstance(node, str):
                    if detections is None:
                        out += self._pieces(self.other, trail, node, True, ids, context)
                        continue
                    for piece, identifying, kind, weak in detections(node, context, ids):
                        out.append((piece, identifying, origin(trail, kind, True, weak)))
        return out

    def _plain_items(self, sub: Transformer, text: str) -> tuple[tuple[str, bool | None], ...]:
        """(piece, identifying) of a text for a sub of kind _PLAIN, memoized: payloads repeat their customers' emails,
        names and addresses."""
        items = tuple((item[0], item[1]) for item in sub.leak_items(text))
        if len(self._leak_memo) >= LEAK_MEMO_MAX:
            self._leak_memo.clear()
        self._leak_memo[(id(sub), text)] = items
        return items

    def _plain_pieces(
        self, sub: Transformer, trail: Trail, text: str, items: tuple[tuple[str, bool | None], ...]
    ) -> list[tuple[str, bool | None, int]]:
        """`_pieces(sub, trail, text, ...)` of a sub of kind _PLAIN whose leak items of `text` are `items` (not
        empty): the origin and the fake asked as `_pieces` asks them."""
        origin = self._origin(trail, sub.name, False, False)
        out: list[tuple[str, bool | None, int]] = [(piece, identifying, origin) for piece, identifying in items]
        if id(sub) in self._fakes_recorded:
            fake = self._calls.get(id(sub), sub.transform)(text, {})
            if fake is not None and fake != text:
                out.append((fake, None, self._origin(trail, FAKE, False, False)))
        return out

    def _generation(self) -> int | None:
        stamp = getattr(self.other, "_stamp", None)
        return None if stamp is None else stamp.generation

    def _identifier(self, trail: Trail, text: str) -> Iterator[tuple[str, None, int]]:
        """A card-shaped value the document keeps as an identifier (under an id key, or a path ruled keep), flagged
        None: the leak check learns that the source keeps it as it is, so a cue word's card of the same digits
        elsewhere is that identifier (anonymize.verify.LeakFinds)."""
        if _ID_NUMBER.fullmatch(text) is None:
            return  # an id in text (a reference with letters, a note at a kept path) is no number on its own
        digits = _ID_DIGITS.sub("", text)
        if 13 <= len(digits) <= 19 and is_card_number(digits):
            yield text, None, self._origin(trail, IDENTIFIER, False, False)

    def _pieces(
        self,
        sub: Transformer,
        trail: Trail,
        text: str,
        is_string: bool,
        ids: _DocumentIds | None,
        context: KeyContext | object | None = _NO_CONTEXT,
    ) -> Iterator[tuple[str, bool, int]]:
        if sub.capabilities.key_context and is_string:  # free text: its pieces, by kind, in the context of their key
            if context is _NO_CONTEXT:
                context = _context(trail)
            detections = cast("FreeText", sub).detections(text, cast("KeyContext | None", context), ids)
            for piece, identifying, kind, weak in detections:
                yield piece, identifying, self._origin(trail, kind, True, weak)
            return
        origin = 0
        for item in sub.leak_items(text):
            if not origin:
                origin = self._origin(trail, sub.name, False, False)
            yield item[0], item[1], origin
        if origin and id(sub) in self._fakes_recorded:
            # The fake this path gets (memoized: what `transform` wrote), flagged None like the document's ids: a
            # find of it in this column is that fake equal to another row's real value (anonymize.verify).
            fake = self._calls.get(id(sub), sub.transform)(text, {})
            if fake is not None and fake != text:
                yield fake, None, self._origin(trail, FAKE, False, False)


# json.dumps(document, ensure_ascii=False) without building an encoder per call; check_circular off, since a
# document json.loads made, with scalars put in, holds no cycle (the check only turns a cycle into an error): the same
# text, measured 0.171 -> 0.141 CPU s for 10,838 payloads of bench/snapshot's strangers at --scale 0.3.
_ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode

# _ENCODE in C (anonymize/csrc/json_encode.c): the same text written into one buffer rather than joined from a string
# per key, separator and value; None for a document of other than JSON's exact types, which _ENCODE then encodes.
_NATIVE_ENCODE: Callable[[Any], str | None] | None = getattr(NATIVE, "json_encode", None)


def _encoded(document: Any) -> str:
    """The transform's output, noted with the document it encodes: the leak check's keys of it are the document's
    strings (leak_keys.note_json_output), not those of a parse of the output."""
    out = _NATIVE_ENCODE(document) if _NATIVE_ENCODE is not None else None
    if out is None:
        out = _ENCODE(document)
    note_json_output(out, document)
    return out


# json.loads(value) of a str in C (anonymize/csrc/json_load.c) with json's own C scanner, as json.loads' default
# decoder has it: the same document, without json.loads' and JSONDecoder.decode's Python frames; a ValueError for
# any text json.loads refuses. None without the extension (or without _json's C scanner): json.loads.
_NATIVE_LOAD: Callable[[Any, str], Any] | None = getattr(NATIVE, "json_load", None)
_SCAN_ONCE = json.scanner.c_make_scanner(json.JSONDecoder()) if json.scanner.c_make_scanner is not None else None


def _json_load(value: str) -> Any:
    if type(value) is str and _NATIVE_LOAD is not None and _SCAN_ONCE is not None:
        return _NATIVE_LOAD(_SCAN_ONCE, value)
    return json.loads(value)  # bytes, a str subclass: json.loads' own rules


@functools.cache
def _free_text_module() -> Any:
    """anonymize.transformers.free_text, imported once (it imports this module's registry): an import statement per
    document was ~1% of a payload's transform."""
    from anonymize.transformers import free_text

    return free_text


def _step_codes(steps: tuple[Step, ...]) -> tuple[tuple[int, str | int | None], ...]:
    codes = {"key": 0, "index": 1}
    return tuple((codes.get(step.kind, 2), step.key) for step in steps)


# The C walks (anonymize/csrc/json_walk.c), when the extension has them: the path rules' loop, and the leaves no
# path rule covers.
_JSON_RULES: Callable[..., Any] | None = getattr(NATIVE, "json_rules", None)
_JSON_REST: Callable[..., Any] | None = getattr(NATIVE, "json_rest", None)
_JSON_FOUND_ITEMS: Callable[..., Any] | None = getattr(NATIVE, "json_found_items", None)
# The same loop with the plain subs' C leak_items (Transformer.native_leak_items) and `_plain_pieces` in C.
_JSON_FOUND_ITEMS_NATIVE: Callable[..., Any] | None = getattr(NATIVE, "json_found_items_native", None)
# _items' loop over the leaves left to free text, with its detections asked directly (most give nothing).
_JSON_LEAF_ITEMS: Callable[..., Any] | None = getattr(NATIVE, "json_leaf_items", None)


def is_document_ref(name: str) -> bool:
    """Does a `key_column`-like param name a value of the JSON document (`@.key`, `$.path`) rather than a column?"""
    return name.startswith(("@.", "@[", "$.", "$["))


def _with_refs(row: Mapping[str, str | None], document: Any, trail: Trail, refs: list[str]) -> dict[str, str | None]:
    """The row, plus each document ref's text as found from the leaf at `trail` (None when it isn't there)."""
    out = dict(row)
    parent = trail[:-1]
    for ref in refs:
        base = _at(document, parent) if ref.startswith("@") else document
        node = _resolve(base, _ref_steps(ref))
        out[ref] = _scalar_text(node) if not isinstance(node, (dict, list)) else None
    return out


def _with_live_refs(
    row: Mapping[str, str | None],
    live: Any,
    trail: Trail,
    refs: list[str],
    covered: set[Trail],
    source: Callable[[], Any],
) -> dict[str, str | None]:
    """`_with_refs(row, source(), trail, refs)`, each ref read from the document being rewritten (`live`) where
    that is the value as it came in, so that the document is not parsed a second time for it (`source`, asked only
    for the other refs)."""
    out = dict(row)
    for ref in refs:
        found = _live_ref(live, trail, ref, covered)
        if found is _NOT_LIVE:
            return _with_refs(row, source(), trail, refs)
        out[ref] = found  # type: ignore[assignment]
    return out


_NOT_LIVE = object()


def _live_keys(refs: list[str]) -> tuple[tuple[str, str], ...] | None:
    """((ref, key), ...) when each document ref is a single key beside the value (`@.last4`, `@['last4']`): what
    `_live_ref` reads in one step from the leaf's own container; None when one is anything else."""
    keys = []
    for ref in refs:
        steps = _ref_steps(ref)
        if not ref.startswith("@") or len(steps) != 1 or steps[0].kind != "key":
            return None
        keys.append((ref, cast(str, steps[0].key)))
    return tuple(keys)


def _live_ref(live: Any, trail: Trail, ref: str, covered: set[Trail]) -> str | object | None:
    """A ref's text (as `_with_refs` finds it in the document as it came in) read from the live document, or
    _NOT_LIVE when that can't be sure. Rewriting in place changes the scalars at covered trails (what leaves
    returned) and the strings holding JSON a rule stepped into (re-encoded: '{' or '[' first); containers stay,
    with the same keys and lengths. So a ref of plain keys, reached through containers only, from a leaf outside
    JSON held in a string, reads a covered trail's value or a string that may hold JSON from the source only."""
    if _DECODED in trail:
        return _NOT_LIVE
    steps = _ref_steps(ref)
    if ref.startswith("@"):
        node, where = _at(live, trail[:-1]), trail[:-1]
        if not isinstance(node, (dict, list)):
            return _NOT_LIVE  # the parent came through JSON held in a string, or is not there
    else:
        node, where = live, ()
    for step in steps:
        if step.kind != "key" or not isinstance(node, dict):
            return _NOT_LIVE  # a string may hold JSON (decoded by _resolve); wildcards, indexes: the source decides
        if step.key not in node:
            return None
        node, where = node[step.key], (*where, step.key)
    if isinstance(node, (dict, list)):
        return None
    if where in covered or (isinstance(node, str) and _may_hold(node)):
        return _NOT_LIVE
    return _scalar_text(node)


@functools.cache
def _ref_steps(ref: str) -> tuple[Step, ...]:
    """A document ref's path (`@.last4` -> `$.last4`), parsed once: a rules file names a handful."""
    return parse_path("$" + ref[1:])


def _at(document: Any, trail: Trail) -> Any:
    node = document
    for step in trail:
        if step == _DECODED:
            node = _decode_embedded(node)
        elif (isinstance(node, dict) and step in node) or (
            isinstance(node, list) and isinstance(step, int) and step < len(node)
        ):
            node = node[step]
        else:
            return None
    return node


def _resolve(node: Any, steps: tuple[Step, ...]) -> Any:
    """The value a path of plain keys and indexes names (the first match of a wildcard), or None."""
    for step in steps:
        if (decoded := _decode_embedded(node)) is not None:
            node = decoded
        if step.kind == "key" and isinstance(node, dict):
            node = node.get(step.key)
        elif step.kind == "index" and isinstance(node, list) and isinstance(step.key, int) and step.key < len(node):
            node = node[step.key]
        elif step.kind == "wild" and isinstance(node, (dict, list)) and node:
            node = next(iter(node.values())) if isinstance(node, dict) else node[0]
        else:
            return None
    return node
