"""The person recognizer's full names with no cue in C (anonymize/csrc/person_ja.c) equal to their definition,
person.ja_full_name_reference, on fixed and generated texts: dictionary surnames and given names in kanji and kana,
spaced by " " or U+3000 or not, names inside longer kanji or katakana words, kana names before particles and
honorifics, Latin and mixed scripts, starts anywhere (past the text's end too); and find() the same either way."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize.pii.names import ja_given_prefixes, ja_surname_prefixes
from anonymize.pii.recognizers import person
from anonymize.pii.recognizers.person import PersonRecognizer, ja_full_name_reference
from testbed.pii.corpus_eval import load

pytestmark = pytest.mark.skipif(
    getattr(person.NATIVE, "person_ja_full_name", None) is None, reason="the C extension is not built"
)

_SURNAMES = sorted({s for names in ja_surname_prefixes().values() for s in names})
_GIVEN = sorted({g for names in ja_given_prefixes().values() for g in names})
_FIXED = [
    "鈴木一郎から電話", "本日田中花子様", "佐藤くみ子さん", "佐藤くみ子がきた", "佐藤くみ子ほげ", "山田 太郎丸",
    "山田　太郎", "VIP order for 山田花子", "山田花子", "山田", "花子", "山田太郎", "山田太郎ア", "山田太郎ー",
    "山田太郎々", "山田太郎。",
    "山田太郎ab", "", "a", "😀山田太郎😀", "勅使河原由美子様", "山田 ", "山田  太郎", "ヤマダタロウ", "佐藤ゆきこから",
]  # fmt: skip
_PIECES = st.one_of(
    st.sampled_from(_SURNAMES),
    st.sampled_from(_GIVEN),
    st.sampled_from([" ", "\u3000", "  ", "様", "さん", "から", "が", "は", "の", "です", "より", "ほげ", "丸", "ア",
                     "ー", "々", "・", "。", "a", "A", "1", "😀", "本日", "担当"]),
)  # fmt: skip


def _native(text: str, starts: list[int]) -> tuple[int, int] | None:
    return person._ja_full_name_native(text, starts)


def _all_starts(text: str) -> list[int]:
    return list(range(len(text) + 2))  # past the end: no surname there


@pytest.mark.parametrize("text", _FIXED)
def test_the_c_loops_equal_the_reference_on_fixed_texts(text: str) -> None:
    for starts in (_all_starts(text), [0], [], [len(text)], [-1, 0]):
        assert _native(text, starts) == ja_full_name_reference(text, starts), (text, starts)


def test_the_fixed_texts_find_names_and_miss_some() -> None:
    found = [ja_full_name_reference(t, [0]) for t in _FIXED]
    assert sum(f is not None for f in found) > 8 and found.count(None) > 8


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=8).map("".join), st.lists(st.integers(0, 40), max_size=6))
def test_the_c_loops_equal_the_reference_on_generated_texts(text: str, starts: list[int]) -> None:
    starts = [s for s in starts if s <= len(text)]
    assert _native(text, starts) == ja_full_name_reference(text, starts)
    assert _native(text, _all_starts(text)[:-1]) == ja_full_name_reference(text, _all_starts(text)[:-1])


def test_the_recognizer_finds_the_same_without_the_c_loops(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [*_FIXED, *(item["text"] for item in [*load("planted.jsonl"), *load("lookalikes.jsonl")])]
    recognizer = PersonRecognizer()
    native = [recognizer.find(t) for t in texts]
    monkeypatch.setattr(person, "_ja_full_name", ja_full_name_reference)
    assert [recognizer.find(t) for t in texts] == native
    assert sum(s.score == 0.7 for found in native for s in found) > 20  # full names with no cue were found


def test_a_malformed_table_is_refused() -> None:
    with pytest.raises(TypeError):
        person.NATIVE.person_ja_full_name("山田太郎", [0], {"山": ["山田"]}, {}, ())  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        person.NATIVE.person_ja_full_name("山田太郎", (0,), {}, {}, ())  # type: ignore[union-attr]
