"""address and company_name: Japanese shapes, parts of one address agree, legal forms mirrored."""

from __future__ import annotations

import re

import pytest

from anonymize.errors import RulesError
from anonymize.names import pool
from tests.anonymize.transform_kit import OTHER_KEY, build, run

PREFECTURES = set(pool.places().prefectures)


def test_full_address_mirrors_the_input() -> None:
    address = build("address")
    fake = run(address, "〒160-0022 東京都新宿区新宿3丁目1番4号 新宿ビル5階")
    assert re.match(r"^〒\d{3}-\d{4} ", fake) and "丁目" in fake and "番" in fake and "号" in fake
    assert any(fake[10:].startswith(p) for p in PREFECTURES)
    plain = run(address, "大阪府大阪市北区梅田1-2-3")
    assert re.search(r"\d+-\d+-\d+$", plain) and "〒" not in plain
    assert run(address, "大阪府大阪市北区梅田1-2-3") != run(
        build("address", key=OTHER_KEY), "大阪府大阪市北区梅田1-2-3"
    )
    kept = run(build("address", {"keep_prefecture": True}), "大阪府大阪市北区梅田1-2-3")
    assert kept.startswith("大阪府")


def test_parts_keyed_on_one_column_form_one_address() -> None:
    row = {"id": "merchant-7"}
    # (Japanese values: a value in Latin letters gets a Western fake of its own form, test_locale_fakes.py)
    sources = {"postal_code": "1600022", "prefecture": "東京都", "city": "新宿区", "street": "西新宿1-1-1"}
    parts = {
        part: run(build("address", {"part": part, "key_column": "id"}), source, row) for part, source in sources.items()
    }
    full = run(build("address", {"key_column": "id"}), "東京都港区芝公園4-2-8", row)
    assert full == f"{parts['prefecture']}{parts['city']}{parts['street']}"
    assert re.fullmatch(r"\d{7}", parts["postal_code"])
    assert run(build("address", {"part": "postal_code"}), "〒160-0022").startswith("〒")


def test_address_fits_varchar() -> None:
    address = build("address", pg_type="character varying(20)")
    assert all(
        len(run(address, f"東京都新宿区西新宿{i}丁目1番1号 サンプルマンション101号室")) <= 20 for i in range(300)
    )


def test_company_forms_and_reading() -> None:
    company = build("company_name")
    assert run(company, "株式会社山田商事").startswith("株式会社")
    assert run(company, "山田電機株式会社").endswith("株式会社")
    assert run(company, "(株)ヤマダ").startswith("(株)")
    assert run(company, "Yamada Trading Co., Ltd.").endswith("Co., Ltd.") and run(company, "Acme Inc.").isascii()
    row = {"legal_name": "株式会社山田商事"}
    kanji = run(company, "株式会社山田商事")
    kana = run(build("company_name", {"script": "katakana", "key_column": "legal_name"}), "カブシキガイシャヤマダ", row)
    holder = run(build("company_name", {"script": "katakana", "key_column": "legal_name"}), "カ）ヤマダ", row)
    trade = run(build("company_name", {"key_column": "legal_name"}), "山田商事", row)
    assert kanji == "株式会社" + trade
    assert kana.startswith("カブシキガイシャ") and holder == "カ)" + kana.removeprefix("カブシキガイシャ")
    assert re.fullmatch(r"[ァ-ヶー()]+", kana)


def test_store_branches() -> None:
    company = build("company_name")
    assert run(company, "山田商事 本店").endswith(" 本店")
    branch = run(company, "山田商事 渋谷店")
    assert branch.endswith("店") and "渋谷" not in branch


def test_company_unique_needs_key_column() -> None:
    with pytest.raises(RulesError, match="key_column"):
        build("company_name", unique=True)
    unique = build("company_name", {"key_column": "id"}, unique=True)
    # Kanji spellings are distinct per index (readings and romaji may be homophones, so only kanji is unique).
    assert len({run(unique, "株式会社某", {"id": str(i)}) for i in range(200_000)}) == 200_000


def test_only_parts_that_reach_a_person_are_identifying() -> None:
    """A postal code, prefecture or city alone names an area: a fake that equals another customer's real postal
    code is a coincidence, not a leak. The street and the full address reach a household."""
    identifying = {
        part: build("address", {"part": part, "key_column": "id"}).identifying
        for part in ("full", "postal_code", "prefecture", "city", "street", "building")
    }
    assert identifying == {
        "full": True,
        "postal_code": False,
        "prefecture": False,
        "city": False,
        "street": True,
        "building": True,
    }
    postal = build("address", {"part": "postal_code", "key_column": "id"})
    assert postal.personal and list(postal.leak_items("160-0022")) == [("160-0022", False)]


def test_regions_are_not_personal_and_a_postal_code_never_stays_in_its_row() -> None:
    assert not build("address", {"part": "prefecture", "key_column": "id"}).personal
    assert not build("address", {"part": "city", "key_column": "id"}).personal
    postal = build("address", {"part": "postal_code", "key_column": "id"})
    drawn = postal.fake_address("42").postal  # what row 42 would get whatever its real code
    same = f"{drawn[:3]}-{drawn[3:]}"
    assert run(postal, same, {"id": "42"}) != same
    assert run(postal, drawn, {"id": "42"}) != drawn
    assert run(postal, "100-0001", {"id": "42"}) == same or drawn == "1000001"
