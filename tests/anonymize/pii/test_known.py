"""Values met in structured columns, recognized again in free text."""

from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize.pii import Kind, KnownValues, PiiDetector


def test_known_names_are_found_without_a_cue() -> None:
    known = KnownValues()
    known.add(Kind.PERSON, "山田 太郎")
    detector = PiiDetector(known)
    text = "山田太郎から電話、山田 太郎の件"
    spans = detector.detect(text)
    assert [(text[s.start : s.end], s.value, s.known) for s in spans] == [
        ("山田太郎", "山田太郎", True),
        ("山田 太郎", "山田太郎", True),
    ]


def test_recognized_spans_with_a_known_value_are_marked_known() -> None:
    known = KnownValues()
    known.add(Kind.PHONE, "+81 90-1234-5678")
    known.add(Kind.EMAIL, "Taro@Example.co.jp")
    detector = PiiDetector(known)
    spans = detector.detect("TEL ０９０ー１２３４ー５６７８ mail taro@example.co.jp other 080-1111-2222")
    assert [(s.kind, s.known) for s in spans] == [(Kind.PHONE, True), (Kind.EMAIL, True), (Kind.PHONE, False)]


def test_known_numbers_match_by_digits_whatever_the_separators() -> None:
    known = KnownValues()
    known.add(Kind.PHONE, "03-1234-5678")
    detector = PiiDetector(known)
    text = "折り返し 0312345678 まで"  # no phone cue: only the known value finds it
    [span] = detector.detect(text)
    assert (text[span.start : span.end], span.kind, span.value, span.known) == (
        "0312345678",
        Kind.PHONE,
        "0312345678",
        True,
    )


def test_latin_names_match_whole_words_only() -> None:
    known = KnownValues()
    known.add(Kind.PERSON, "Ken Ito")
    detector = PiiDetector(known)
    assert [s.value for s in detector.detect("ken ito called")] == ["kenito"]
    assert detector.detect("Kenitoshi called") == []


def test_additions_after_caching_are_seen() -> None:
    """Detection results are cached; known values are overlaid per call, so later additions still apply."""
    known = KnownValues()
    detector = PiiDetector(known)
    assert detector.detect("勅使河原から電話") == []
    known.add(Kind.PERSON, "勅使河原")
    assert [s.value for s in detector.detect("勅使河原から電話")] == ["勅使河原"]


def test_an_address_wins_over_a_known_surname_inside_it() -> None:
    known = KnownValues()
    known.add(Kind.PERSON, "大森")
    detector = PiiDetector(known)
    text = "東京都大田区大森北1-2-3"
    assert [(s.kind, text[s.start : s.end]) for s in detector.detect(text)] == [(Kind.ADDRESS, text)]


def test_a_hundred_thousand_known_names_are_all_found() -> None:
    """Speed with many known names is bench/pii's to measure (no timed assertions in tests); here: still right."""
    known = KnownValues()
    surnames = ["山田", "田中", "佐藤", "鈴木", "高橋", "伊藤", "渡辺", "中村", "小林", "加藤"]
    given = [chr(0x4E00 + i) + chr(0x4E00 + 7 * i % 20000) for i in range(10_000)]
    for surname in surnames:
        for name in given:
            known.add(Kind.PERSON, surname + " " + name)
    assert len(known) == 100_000
    detector = PiiDetector(known, cache_size=0)
    for surname, name in [(surnames[3], given[5000]), (surnames[0], given[0]), (surnames[9], given[9999])]:
        text = "本日" + surname + name + "から電話あり。折り返し希望。" * 3
        assert [s.value for s in detector.detect(text)] == [surname + name]


def test_known_values_pickle_for_worker_processes() -> None:
    known = KnownValues()
    known.add(Kind.PERSON, "山田 太郎")
    known.add(Kind.PHONE, "090-1234-5678")
    PiiDetector(known).detect("山田太郎")  # builds the automaton, which does not travel
    copy = pickle.loads(pickle.dumps(known))
    assert (Kind.PHONE, "09012345678") in copy and len(copy) == 2
    assert [s.value for s in PiiDetector(copy).detect("山田太郎です")] == ["山田太郎"]


def _state(known: KnownValues) -> tuple[object, ...]:
    return (known._values, known._literals, known.generation, known._number_kinds, len(known))


PAIR_KINDS = [Kind.PERSON, Kind.EMAIL, Kind.PHONE, Kind.ADDRESS, Kind.IP, Kind.CARD]
RAWS = [
    "Taro Yamada",
    "taro  yamada",
    "TaroYamada",
    "山田 太郎",
    "山田太郎",
    "ａｂ",
    "ab",
    "",
    " ",
    "a@b.jp",
    "A@B.JP ",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(PAIR_KINDS), st.sampled_from(RAWS) | st.text("aB 1-+@.山田ａー", max_size=12)),
        max_size=40,
    )
)
def test_add_pairs_is_add_one_after_another(pairs: list[tuple[Kind, str]]) -> None:
    """The pre-pass's batch: the same values, literals (their first owner), generation and number kinds' order."""
    one, batch = KnownValues(), KnownValues()
    one.add(Kind.EMAIL, "before@example.jp")
    batch.add(Kind.EMAIL, "before@example.jp")
    for kind, raw in pairs:
        one.add(kind, raw)
    assert batch.add_pairs(pairs) == len(one) - 1
    assert _state(batch) == _state(one)
    assert [s.value for s in PiiDetector(batch).detect("mail a@b.jp")] == [
        s.value for s in PiiDetector(one).detect("mail a@b.jp")
    ]
