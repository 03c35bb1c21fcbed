"""person_name: big pools with readings, same person across kanji/kana columns, collision-free by id."""

from __future__ import annotations

import pytest

from anonymize.errors import RulesError
from anonymize.names import pool
from anonymize.names.kana import to_katakana, to_romaji
from tests.anonymize.transform_kit import OTHER_KEY, build, run

KANA = {chr(c) for c in range(ord("ァ"), ord("ヶ") + 1)} | {"ー"}


def test_pools_are_far_larger_than_fakers() -> None:
    surnames, given = pool.surnames(), pool.given_names()
    assert len(surnames) >= 1000 and len(given) >= 1000
    assert len(surnames) * len(given) >= 1_000_000
    assert len({n.kanji for n in surnames}) == len(surnames)  # no spelling twice
    assert all(n.hiragana and n.katakana == to_katakana(n.hiragana) for n in surnames + given)
    # Common names keep their real readings.
    by_kanji = {n.kanji: n for n in surnames}
    assert by_kanji["佐藤"].katakana == "サトウ" and by_kanji["佐藤"].romaji == "sato"
    assert len(pool.western_given()) * len(pool.western_family()) >= 1_000_000


def test_romaji() -> None:
    assert [to_romaji(w) for w in ("さとう", "いのうえ", "しょうた", "はっとり", "きょうこ", "ふろんてぃあ")] == [
        "sato",
        "inoue",
        "shota",
        "hattori",
        "kyoko",
        "furontia",
    ]


def test_deterministic_and_keyed() -> None:
    name = build("person_name")
    assert run(name, "山田 太郎") == run(name, "山田 太郎") == run(build("person_name"), "山田 太郎")
    assert run(name, "山田 太郎") != run(build("person_name", key=OTHER_KEY), "山田 太郎")
    assert run(name, "山田 太郎") != "山田 太郎"
    # Normalized: spacing and width don't make another person.
    assert run(name, "山田　太郎").replace("\u3000", " ") == run(name, "山田 太郎")
    assert run(name, "山田太郎") == run(name, "山田 太郎").replace(" ", "")


def test_kana_reading_is_the_same_fake_person() -> None:
    kanji = build("person_name")
    kana = build("person_name", {"script": "katakana", "key_column": "name"})
    romaji = build("person_name", {"script": "romaji", "key_column": "name"})
    readings = {n.kanji: n.katakana for n in pool.surnames() + pool.given_names()}
    # Names written in Japanese: a Latin-script name under the kanji script gets a Western fake of its own
    # (test_locale_fakes.py), whose reading no katakana pool holds.
    for source in ("山田 太郎", "佐藤 花子", "鈴木一郎", "高橋　一郎"):
        row = {"name": source}
        fake = run(kanji, source, row).replace("\u3000", " ")
        family, given = (
            fake.split(" ")
            if " " in fake
            else next(
                (fake[:i], fake[i:]) for i in range(1, len(fake)) if fake[:i] in readings and fake[i:] in readings
            )
        )
        assert run(kana, "ヤマダ タロウ", row) == f"{readings[family]} {readings[given]}"
        assert set(run(kana, "ヤマダ タロウ", row).replace(" ", "")) <= KANA
        assert (
            run(romaji, "Taro Yamada", row).split(" ")[1]
            == to_romaji(next(n.hiragana for n in pool.surnames() if n.kanji == family)).title()
        )


def test_parts_of_one_person_keyed_on_the_id() -> None:
    row = {"id": "4711"}
    family = run(build("person_name", {"part": "family", "key_column": "id"}), "山田", row)
    given = run(build("person_name", {"part": "given", "key_column": "id"}), "太郎", row)
    full = run(build("person_name", {"key_column": "id"}), "山田 太郎", row)
    assert full == f"{family} {given}"


def test_unique_column_is_collision_free_over_200k_ids() -> None:
    name = build("person_name", {"key_column": "id"}, unique=True)
    fakes = {run(name, "x", {"id": str(i)}) for i in range(200_000)}
    assert len(fakes) == 200_000


def test_unique_column_without_key_column_fails_closed() -> None:
    with pytest.raises(RulesError, match="key_column"):
        build("person_name", unique=True)


def test_fits_varchar() -> None:
    name = build("person_name", {"script": "latin"}, "character varying(12)")
    for i in range(2000):
        assert len(run(name, f"Person {i}")) <= 12


def test_latin_and_case_mirroring() -> None:
    latin = build("person_name", {"script": "latin"})
    fake = run(latin, "John Smith")
    assert fake.isascii() and len(fake.split(" ")) == 2
    assert run(latin, "JOHN SMITH").isupper()
    assert run(build("person_name", {"script": "romaji"}), "taro yamada").islower()


def test_a_fake_never_equals_the_name_it_replaces() -> None:
    """A common name drawn for its own bearer moves on to another pool name (else verification would see a value
    left unchanged in its own row): give each id exactly the name it draws, and it must get another."""
    for params in (
        {"part": "given", "script": "katakana", "key_column": "id"},
        {"part": "family", "script": "kanji", "key_column": "id"},
        {"script": "romaji", "key_column": "id"},
    ):
        transformer = build("person_name", params)
        for row_id in range(2000):
            drawn = run(transformer, "x", {"id": str(row_id)})
            assert drawn and run(transformer, drawn, {"id": str(row_id)}) != drawn, (params, row_id)
