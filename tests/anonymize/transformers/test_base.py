"""Transformers declare what the pipeline plans around (transformers.base.Capabilities); nothing infers it from which
methods a class overrides. These tests hold every transformer class to its declaration, so a class added or changed
without declaring what it does fails here, not in a snapshot that leaks or slows down:

- a class overriding `leak_items`/`leak_values` declares a leak mode other than "whole", and each mode's methods
  behave as the mode says (the C row loop acts on the mode without calling them);
- memo "plain" exactly when `transform` is MemoizedTransformer's, and then the memo holds the fakes it returned;
- key_context exactly when the class reads JSON strings in context (`transform_in`, `detections`);
- known_values per instance, from the detector's registration, through JSON paths and arrays to the run.
"""

from __future__ import annotations

import pytest

from anonymize.catalog import CatalogTable
from anonymize.errors import RulesError
from anonymize.pii import hook
from anonymize.pipeline.plan import TablePlan, faked_columns, needs_known_values
from anonymize.pipeline.rows import RowTransformer
from anonymize.rules import TableRule, check_coverage, parse_rules
from anonymize.speedups import NATIVE
from anonymize.transformers.arrays import ArrayOf
from anonymize.transformers.base import (
    Capabilities,
    ColumnInfo,
    Keyed,
    MemoizedTransformer,
    Transformer,
    _registry,
)
from anonymize.transformers.digits import whole_if_digit
from anonymize.transformers.free_text import DETECTORS, RegexDetector, register_detector
from anonymize.verify import LeakHasher
from tests.anonymize.transform_kit import build, column

# Every registered transform, built on a column it accepts, with a value it transforms: a transform added to the
# registry without an example here fails test_every_registered_transform_has_an_example.
EXAMPLES: dict[str, tuple[dict, str, str]] = {
    "address": ({}, "text", "東京都新宿区西新宿2-8-1"),
    "bank_account": ({}, "text", "0001-123-1234567"),
    "card_pan": ({}, "text", "4242 4242 4242 4242"),
    "card_part": ({"part": "last4"}, "text", "4242"),
    "company_name": ({}, "text", "株式会社山田商事"),
    "constant": ({"value": "x"}, "text", "y"),
    "coordinates": ({}, "numeric", "35.6895"),  # built on a column named latitude (see _built)
    "corporate_number": ({}, "text", "1234567890123"),
    "date_shift": ({}, "date", "2020-01-02"),
    "email": ({}, "text", "taro@example.jp"),
    "free_text": ({}, "text", "mail taro@example.jp or call 090-1234-5678"),
    "ip": ({}, "inet", "192.0.2.1"),
    "json": ({"paths": {"$.email": "email"}}, "jsonb", '{"email": "taro@example.jp", "n": 1}'),
    "keep": ({}, "text", "x"),
    "my_number": ({}, "text", "123456789018"),
    "null": ({}, "text", "x"),
    "numeric_noise": ({"relative": 0.1}, "numeric", "100"),
    "person_name": ({}, "text", "山田 太郎"),
    "phone": ({}, "text", "090-1234-5678"),
    "token": ({}, "text", "tok_0123456789abcdef"),
    "username": ({}, "text", "taro_yamada"),
}


def _transformer_classes() -> list[type[Transformer]]:
    """Every Transformer subclass the package defines (registered or not: bases like _DigitsTransformer, ArrayOf)."""
    _registry()  # imports every family module
    found: list[type[Transformer]] = []
    pending = list(Transformer.__subclasses__())
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.__module__.startswith("anonymize.") and cls not in found:
            found.append(cls)
    return found


def declaration_problems(cls: type[Transformer]) -> list[str]:
    """Where a class's declared capabilities disagree with the methods it has."""
    declared = cls.capabilities
    problems = []
    own_leak_items = cls.leak_items is not Transformer.leak_items
    own_leak_values = cls.leak_values is not Transformer.leak_values
    if declared.leak == "whole" and (own_leak_items or own_leak_values):
        problems.append("overrides leak_items/leak_values but declares leak 'whole' (its override would be ignored)")
    if declared.leak == "whole_if_digit" and (cls.leak_values is not whole_if_digit or own_leak_items):
        problems.append("declares 'whole_if_digit' without leak_values = whole_if_digit (the C loop makes that test)")
    if declared.leak in ("whole_or_nothing", "pieces") and not own_leak_items:
        problems.append(f"declares {declared.leak!r} without its own leak_items")
    memoized = issubclass(cls, MemoizedTransformer) and cls.transform is MemoizedTransformer.transform
    if (declared.memo == "plain") != memoized:
        problems.append(
            f"declares memo {declared.memo!r}, but its transform "
            f"{'is' if memoized else 'is not'} MemoizedTransformer's (the C loop would read its memo for it)"
        )
    in_context = hasattr(cls, "transform_in") and hasattr(cls, "detections")
    if declared.key_context != in_context:
        problems.append(f"declares key_context {declared.key_context} but has transform_in/detections: {in_context}")
    if declared.known_values:
        problems.append("declares known_values on the class: it depends on the detector, set it per instance")
    return problems


def test_every_transformer_class_declares_what_it_does() -> None:
    classes = _transformer_classes()
    assert len(classes) > len(_registry())  # the registered ones, their bases and ArrayOf
    problems = {cls.__name__: declaration_problems(cls) for cls in classes}
    assert {name: found for name, found in problems.items() if found} == {}


def test_the_check_finds_an_override_nobody_declared() -> None:
    """What test_every_transformer_class_declares_what_it_does would say of a class added carelessly."""

    class Pieces(Transformer):
        name = "pieces-test"
        accepts = frozenset({"text"})

        def transform(self, value: str, row: object) -> str:
            return value

        def leak_items(self, value: str):  # type: ignore[override]
            yield value[:3], True

    class Wrapped(MemoizedTransformer):
        name = "wrapped-test"
        accepts = frozenset({"text"})

        def _fake(self, value: str, key: str) -> str:
            return value.upper()

        def transform(self, value: str, row: object) -> str:  # type: ignore[override]
            return value.lower() if value.isdigit() else super().transform(value, row)  # type: ignore[arg-type]

    assert declaration_problems(Pieces) == [
        "overrides leak_items/leak_values but declares leak 'whole' (its override would be ignored)"
    ]
    assert declaration_problems(Wrapped)[0].startswith("declares memo 'plain', but its transform is not")
    Pieces.capabilities = Capabilities(leak="pieces")
    Wrapped.capabilities = Capabilities(memo="none")
    assert declaration_problems(Pieces) == declaration_problems(Wrapped) == []


def test_every_registered_transform_has_an_example() -> None:
    assert sorted(EXAMPLES) == sorted(_registry())


def _built() -> list[tuple[str, Transformer, str]]:
    made = [
        (name, build(name, params, pg_type, name="latitude" if name == "coordinates" else "col"), value)
        for name, (params, pg_type, value) in EXAMPLES.items()
    ]
    made.append(("email[]", build("email", {}, "text[]"), "{taro@example.jp,NULL,hanako@example.jp}"))
    return made


@pytest.mark.parametrize(("name", "transformer", "value"), _built(), ids=lambda x: x if isinstance(x, str) else "")
def test_each_transformer_behaves_as_it_declares(name: str, transformer: Transformer, value: str) -> None:
    declared = transformer.capabilities
    assert isinstance(declared, Capabilities)
    new = transformer.transform(value, {})
    items = [tuple(item[:2]) for item in transformer.leak_items(value)]
    if declared.leak == "whole":
        expected = [(value, transformer.identifying)] if transformer.personal else []
        assert items == expected and list(transformer.leak_items(" ")) == []
    elif declared.leak == "whole_if_digit":  # the C loop makes this test instead of calling leak_values
        assert tuple(transformer.leak_values(value)) == whole_if_digit(transformer, value) == (value,)
        assert tuple(transformer.leak_values("なし")) == () and list(transformer.leak_items("なし")) == []
        assert items == [(value, transformer.identifying)]
    elif declared.leak == "whole_or_nothing":  # one item, the value itself, with its own flag; or none
        assert [piece for piece, _ in items] == [value] and list(transformer.leak_items(" ")) == []
        assert [piece for piece, _ in transformer.leak_items("なし")] in ([], ["なし"])  # digits only: none
    else:
        assert items and all(piece != value for piece, _ in items)  # pieces inside the value
    memo = transformer.plain_memo()
    if declared.memo == "plain":
        assert memo is not None and memo.get(value) == new  # what the C loop reads instead of calling transform
    else:
        assert memo is None


def test_a_keyed_memoized_transformer_offers_no_memo() -> None:
    """Values keyed on another column are never memoized: the C loop must call transform for each."""
    keyed = build("person_name", {"key_column": "id"})
    assert keyed.capabilities.memo == "plain" and keyed.plain_memo() is None
    assert build("person_name").plain_memo() is not None


def test_known_values_come_from_the_detector_and_reach_the_run() -> None:
    """Only a detector registered as reading the run's known values makes the run gather them first, however
    deep the free_text rule sits (a JSON path, other_strings, an array's elements)."""
    assert DETECTORS[hook.DETECTOR_NAME] is hook._factory  # registered as reading known values
    register_detector("plain-test", lambda params, keyring: RegexDetector())
    presidio = {"transform": "free_text", "params": {"detector": "presidio"}}
    regex = {"transform": "free_text", "params": {"detector": "regex"}}
    reading = [
        build("free_text", {"detector": "presidio"}),
        build("json", {"other_strings": presidio}, "jsonb"),
        build("json", {"paths": {"$.note": presidio, "$.mail": "email"}}, "jsonb"),
        build("free_text", {"detector": "presidio"}, "text[]"),
    ]
    not_reading = [
        build("free_text"),
        build("free_text", {"detector": "plain-test"}),
        build("json", {"other_strings": regex, "paths": {"$.mail": "email"}}, "jsonb"),
        build("free_text", {}, "text[]"),
        build("email"),
    ]
    assert isinstance(reading[-1], ArrayOf)
    assert [t.capabilities.known_values for t in reading] == [True] * len(reading)
    assert [t.capabilities.known_values for t in not_reading] == [False] * len(not_reading)
    assert type(reading[0]).capabilities.known_values is False  # the class's declaration is untouched

    def plan(transformers: list[Transformer]) -> TablePlan:
        names = tuple(f"c{i}" for i in range(len(transformers)))
        columns = {n: ColumnInfo("public.t", n, "text") for n in names}
        table = CatalogTable("public.t", "public.t", names, 0, 0)
        return TablePlan(table, TableRule(), columns, dict(zip(names, transformers, strict=True)))

    assert not needs_known_values([plan(not_reading)])
    for transformer in reading:
        assert needs_known_values([plan(not_reading), plan([transformer])])


def test_faked_columns_are_those_whose_values_are_replaced_whole() -> None:
    names = ("mail", "phone", "account", "note", "doc", "mails")
    transformers = {
        "mail": build("email"),
        "phone": build("phone"),
        "account": build("bank_account"),
        "note": build("free_text"),
        "doc": build("json", {"paths": {"$.email": "email"}}, "jsonb"),
        "mails": build("email", {}, "text[]"),
    }
    columns = {n: ColumnInfo("public.t", n, "text") for n in names}
    plan = TablePlan(CatalogTable("public.t", "public.t", names, 0, 0), TableRule(), columns, transformers)
    assert faked_columns([plan]) == {"public.t": frozenset({"mail", "phone", "account"})}


@pytest.mark.skipif(NATIVE is None, reason="the C extension isn't built")
def test_the_c_loop_gets_each_leak_mode_as_its_code() -> None:
    """rows.c's record-mode codes, from the declared leak modes: the numbers the C bridge has always passed."""
    from anonymize.pipeline.native_rows import NativeLoop

    rules = {
        "company": ("company_name", {}),  # whole, no C fake: its memo goes to the C loop
        "mail": ("email", {}),  # whole, with a C fake (cheaper than any memo)
        "phone": ("phone", {}),  # whole if digit
        "account": ("bank_account", {}),  # whole or nothing: back into Python; no C fake, its memo goes
        "note": ("free_text", {}),  # pieces
        "day": ("date_shift", {}),  # not personal
    }
    names = tuple(rules)
    columns = {n: ColumnInfo("public.t", n, "date" if n == "day" else "text") for n in names}
    transformers = {n: build(t, p, columns[n].pg_type) for n, (t, p) in rules.items()}
    plan = TablePlan(CatalogTable("public.t", "public.t", names, 0, 0), TableRule(), columns, transformers)
    for hasher, codes in ((LeakHasher(salt="test"), [1, 1, 4, 3, 5, 0]), (None, [0] * 6)):
        codec = RowTransformer(plan, names, hasher)
        specs = NativeLoop(codec.table, codec.width, codec.slots, hasher, codec.row, codec.scan_inline).specs
        assert [spec.mode for spec in specs] == codes
        memos = [spec.memo is not None for spec in specs]
        assert memos == [True, False, False, True, True, False]  # phone: lru_cache, no plain memo


# Params under which a transform repeats its fakes (`Keyed.repeats`), where its defaults don't.
_REPEATING = {"address": {"part": "city"}}


def _refusing_keyed() -> list[str]:
    return sorted(name for name, cls in _registry().items() if issubclass(cls, Keyed) and cls.unique_fakes)


@pytest.mark.parametrize("transform", _refusing_keyed())
def test_a_keyed_transform_drawn_by_hash_refuses_a_unique_column_without_key_column(transform: str) -> None:
    # Keyed owns the refusal for every transformer whose fakes are drawn by hash: the build and the rules' coverage
    # check both name the fix; keyed on the id, the same column passes.
    shown = _registry()[transform].unique_transform or transform
    with pytest.raises(RulesError, match=f"{shown} on a unique column needs key_column"):
        build(transform, _REPEATING.get(transform), unique=True)
    schema = {"public.t": [column(name="id", unique=True), column(name="col", unique=True)]}
    params = ", ".join(f"{key}: {value}" for key, value in _REPEATING.get(transform, {}).items())
    bare = f"{{transform: {transform}, params: {{{params}}}}}"
    refused = parse_rules(f"version: 1\ntables:\n  t:\n    columns: {{id: keep, col: {bare}}}\n")
    problems = check_coverage(refused, schema)
    assert len(problems) == 1 and "needs key_column" in problems[0] and "key_column: id" in problems[0]
    keyed = f"{{id: keep, col: {{transform: {transform}, params: {{key_column: id, {params}}}}}}}"
    assert check_coverage(parse_rules(f"version: 1\ntables:\n  t:\n    columns: {keyed}\n"), schema) == []


def test_the_refusing_keyed_transforms_are_found() -> None:
    assert {"address", "company_name", "ip", "person_name", "phone"} <= set(_refusing_keyed())
