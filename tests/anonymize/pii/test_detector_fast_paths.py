"""The detection's shortcuts (issue 14: free-text detection cheaper per value) give exactly the answers of the
general code they skip: the ASCII paths of normalization and of the person recognizer, the Latin patterns' capital
check, the feature scan's capital check, KnownValues' number gate, kept count and per-run digits, and the detector's
single gate call and fast finish."""

from __future__ import annotations

import random
import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize.pii import PiiDetector, canonical
from anonymize.pii.detector import as_known
from anonymize.pii.features import NAME_TRIGGER, features_of
from anonymize.pii.known import KnownValues
from anonymize.pii.normalize_map import MappedText, _normalize_text, normalize_text
from anonymize.pii.recognizers.person import PersonRecognizer
from anonymize.pii.spans import CUE, Kind, Span
from tests.anonymize.pii.test_gate import TEXTS

PERSON = PersonRecognizer()
# Names, emails, phones and numbers a column may have met, and the words around them in notes: glued without and
# with word boundaries, so that "Ken" meets "Kenji" and a known phone meets a longer digit run.
_NAMES = ("Ken", "Kenji Sato", "Emily Martin", "TARO YAMADA", "山田太郎", "山田 花子", "Li", "Mary Ann Smith")
_EMAILS = ("ken@example.com", "a.b@example.co.jp")
_PHONES = ("090-1234-5678", "+81 3 1234 5678", "(03) 9876-5432")
_NUMBERS = ((Kind.CARD, "4111 1111 1111 1111"), (Kind.BANK_ACCOUNT, "1234567"), (Kind.POSTAL_CODE, "150-0001"))
_WORDS = (
    "Dear", "Mr.", "name=", "holder:", "様", "さん", "より", "from", "Thanks to", "West", "Order #", "call",
    "2024-12-15T18:35:30+00:00", "pm_4Tn6Wiinotx2DFQ7JZIot461", "Taro-san", "x", "9", "_", "@", "Ｋｅｎ", "０９０",
)  # fmt: skip
_GLUE = ("", " ", "-", ".", ", ", "\n", "、", "(", ")", "　", "ー")


def _known() -> KnownValues:
    known = KnownValues()
    for name in _NAMES:
        known.add(Kind.PERSON, name)
    for email in _EMAILS:
        known.add(Kind.EMAIL, email)
    for phone in _PHONES:
        known.add(Kind.PHONE, phone)
    known.add(Kind.IP, "192.168.10.20")
    for kind, number in _NUMBERS:
        known.add(kind, number)
    return known


def _notes(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pieces = [*_NAMES, *_EMAILS, *_PHONES, *(n for _, n in _NUMBERS), "192.168.10.20", *_WORDS]
    out = []
    for _ in range(count):
        parts = [rng.choice(pieces) for _ in range(rng.randint(1, 5))]
        out.append("".join(p + rng.choice(_GLUE) for p in parts))
    return out


NOTES = _notes(3000, 1414)
ALL = sorted({*TEXTS, *(normalize_text(t).text for t in NOTES)})
ASCII = [t for t in ALL if t.isascii()]
_ascii_text = st.lists(st.sampled_from([*(p for p in (*_NAMES, *_WORDS, *_EMAILS, *_PHONES) if p.isascii()), " "]))


def test_the_samples_cover_both_scripts_and_known_values() -> None:
    # Without ASCII texts holding names, or known values in the notes, the tests below would compare nothing.
    known = _known()
    assert len(ASCII) > 1000 and len(ALL) - len(ASCII) > 1000
    assert sum(bool(PERSON.find(t)) for t in ASCII) > 100
    assert sum(bool(known.find(t)) for t in ALL) > 1000


@pytest.mark.parametrize("part", range(4))
def test_person_ascii_path_finds_what_every_pattern_finds(part: int) -> None:
    for text in ASCII[part::4]:
        assert PERSON._find_ascii(text) == PERSON._find_all(text), text


@given(_ascii_text)
@settings(max_examples=300, deadline=None)
def test_person_ascii_path_on_generated_texts(parts: list[str]) -> None:
    text = " ".join(parts)
    assert PERSON._find_ascii(text) == PERSON._find_all(text)


def test_latin_capital_check_skips_only_what_finds_nothing() -> None:
    for text in ALL:
        assert PERSON._latin(text) == PERSON._latin_all(text), text


def test_normalization_of_ascii_text_is_the_identity_the_general_path_gives() -> None:
    for text in ASCII:
        general = _normalize_text(text)
        assert (general.text, general.starts, general.ends) == (text, None, None), text
        assert normalize_text(text) == MappedText(text, text)


def _reference_features(text: str) -> frozenset[str]:
    """features_of as it was before the capital check (NAME_TRIGGER holds [A-Z] among its alternatives)."""
    from anonymize.pii.features import _may_hold_full_name

    found = set()
    if re.search("[0-9]", text):
        found.add("digit")
    if "@" in text:
        found.add("at")
    if NAME_TRIGGER.search(text) or (not text.isascii() and _may_hold_full_name(text)):
        found.add("name")
    return frozenset(found)


def test_features_with_the_capital_check_are_the_features() -> None:
    for text in ALL:
        assert features_of(text) == _reference_features(text), text


_WORD = re.compile(r"[0-9A-Za-z]")
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z_])\+?\(?\d[\d\-. ()]{4,22}\d(?![0-9A-Za-z_])")


def _reference_find(known: KnownValues, text: str) -> list[Span]:
    """KnownValues.find as it was: the per-match regex word check, the number scan wherever a digit is, and each
    kind's value computed on its own."""
    spans = []
    automaton = known._automaton or known._build()
    lowered = text.lower()
    haystack = lowered if len(lowered) == len(text) else text
    for last, length in automaton.iter(haystack):
        start, end = last - length + 1, last + 1
        spelling = haystack[start:end]
        kind, value = known._literals[spelling]
        if spelling.isascii() and (
            (start > 0 and _WORD.match(text[start - 1])) or (end < len(text) and _WORD.match(text[end]))
        ):
            continue
        spans.append(Span(kind, start, end, 1.0, value, None, "known", True))
    kinds = [k for k in known._values if k not in (Kind.PERSON, Kind.EMAIL, Kind.ADDRESS, Kind.IP)]
    if kinds and re.search("[0-9]", text):
        for match in _DIGIT_RUN.finditer(text):
            raw = match.group().strip("() ")
            start = match.start() + match.group().index(raw)
            for kind in kinds:
                value = canonical.value(kind, raw)
                if value in known._values[kind]:
                    spans.append(Span(kind, start, start + len(raw), 1.0, value, None, "known", True))
                    break
    return spans


def test_known_values_find_what_the_reference_finds() -> None:
    known = _known()
    for text in ALL:
        assert known.find(text) == _reference_find(known, text), text


def test_known_values_count_and_number_kinds_follow_adds_clears_and_pickling() -> None:
    import pickle

    known = _known()
    assert len(known) == sum(len(v) for v in known._values.values()) == 17
    assert known._number_kinds == (Kind.PHONE, Kind.CARD, Kind.BANK_ACCOUNT, Kind.POSTAL_CODE)
    copy = pickle.loads(pickle.dumps(known))
    assert (len(copy), copy._number_kinds) == (len(known), known._number_kinds)
    known.add(Kind.PERSON, "Ken")  # already there
    assert len(known) == 17
    known.clear()
    assert (len(known), known._number_kinds, known.find("Ken 090-1234-5678")) == (0, (), [])


def test_as_known_is_replace_with_known_set() -> None:
    span = Span(Kind.CARD, 3, 9, 0.75, "4111", "様", "card", False, CUE)
    assert as_known(span) == replace(span, known=True)


@pytest.mark.parametrize("with_known", [False, True])
def test_detect_one_by_one_equals_the_batch(with_known: bool) -> None:
    # detect asks the gate once and hands its mask to the recognizers; detect_many's batch asks per text.
    one = PiiDetector(_known() if with_known else None)
    batch = PiiDetector(_known() if with_known else None)
    texts = [*TEXTS[::3], *NOTES[::3]]
    assert [one.detect(t) for t in texts] == batch.detect_many(texts)


def test_prefix_and_suffix_word_indexes_are_the_lists() -> None:
    from anonymize.pii.recognizers import person

    runs = [t for t in ALL if not t.isascii()]
    assert len(runs) > 1000
    for text in runs:
        for pos in range(len(text)):
            naive = [w for w in person._PREFIX_WORDS if text.startswith(w, pos)]
            assert person._prefix_words_at(text, pos) == naive, (text, pos)
        for end in range(len(text) + 1):
            run = text[:end]
            assert person._strip_suffix_words(run) == _naive_strip_suffix_words(run), run


def _naive_strip_suffix_words(run: str) -> str:
    from anonymize.pii.recognizers.person import _SUFFIX_WORDS

    changed = True
    while changed:
        changed = False
        for word in _SUFFIX_WORDS:
            if run.endswith(word) and len(run) > len(word):
                run = run[: -len(word)].rstrip()
                changed = True
                break
    return run
