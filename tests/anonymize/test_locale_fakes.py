"""Fakes keep the locale of the value they replace: Western names stay Western (in the same shape), a US number a
fictional US number, a UK one an Ofcom drama number, a ZIP a ZIP, a UK postcode a UK postcode, a Western street a
Western street; Japanese values get the Japanese fakes they always had (test_golden.py pins those)."""

from __future__ import annotations

import json
import re

import pytest

from anonymize.errors import RulesError
from anonymize.names import pool
from anonymize.transformers.free_text import Span, register_detector
from tests.anonymize.transform_kit import OTHER_KEY, build, run

WESTERN_FAMILY, WESTERN_GIVEN = set(pool.western_family()), set(pool.western_given())
ROMAJI_FAMILY = {n.romaji.title() for n in pool.surnames()}
ROMAJI_GIVEN = {n.romaji.title() for n in pool.given_names()}
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
KATAKANA = re.compile(r"^[\u30a0-\u30ff\u3000 ]+$")
HIRAGANA = re.compile(r"^[\u3041-\u309f\u3000 ]+$")
# A UK postcode as the format allows it (first letter not QVX, second not IJZ, A9A's third from ABCDEFGHJKPSTUW,
# AA9A's fourth from ABEHMNPRVWXY, inward letters not CIKMOV).
UK_POSTCODE = re.compile(
    r"^(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]) ?[0-9][ABD-HJLNP-UW-Z]{2}$"
)
# Ofcom's drama ranges, as national significant numbers (no trunk 0): 7 fixed digits, 3 free.
UK_DRAMA = re.compile(r"^(?:11[3-8]4960|1[2-6]14960|2079460|2890180|2920180|3069990|7700900|8081570|9098790)[0-9]{3}$")


# --- person_name ---------------------------------------------------------------------------------------------


def test_a_western_name_gets_a_western_name_in_its_own_shape() -> None:
    name = build("person_name")
    given, family = run(name, "John Smith").split(" ")
    assert given in WESTERN_GIVEN and family in WESTERN_FAMILY
    family, given = run(name, "Smith, John").split(", ")
    assert family in WESTERN_FAMILY and given in WESTERN_GIVEN
    assert re.fullmatch(r"[A-Z]\. [A-Z][\w' -]+", run(name, "J. Smith"))
    upper = run(name, "JOHN SMITH")
    assert upper.isupper() and upper.title().split(" ")[0] in {g.title() for g in WESTERN_GIVEN}
    assert run(name, "jane doe").islower()
    titled = run(name, "Dr. John A. Smith Jr.")
    assert re.fullmatch(r"Dr\. \S+ [A-Z]\. \S+ Jr\.", titled) and "John" not in titled and "Smith" not in titled
    assert not JAPANESE.search(run(name, "Émilie Dubois")) and run(name, "Émilie Dubois") != "Émilie Dubois"


def test_kana_stays_kana_and_kanji_stays_kanji() -> None:
    name = build("person_name")
    assert KATAKANA.match(run(name, "ヤマダ タロウ"))
    assert HIRAGANA.match(run(name, "やまだ たろう"))
    assert re.fullmatch(r"[\u3400-\u9fff々]+ [\u3400-\u9fff々]+", run(name, "山田 太郎"))


def test_a_japanese_name_in_romaji_gets_a_romaji_name_in_its_order() -> None:
    name = build("person_name")
    given, family = run(name, "Taro Yamada").split(" ")
    assert given in ROMAJI_GIVEN and family in ROMAJI_FAMILY
    family, given = run(name, "YAMADA TARO").title().split(" ")
    assert family in ROMAJI_FAMILY and given in ROMAJI_GIVEN


def test_the_locale_param_settles_short_latin_names() -> None:
    family = {"part": "family"}
    assert run(build("person_name", family), "Mori") in ROMAJI_FAMILY  # auto: a Japanese family name
    assert run(build("person_name", {**family, "locale": "en"}), "Mori") in WESTERN_FAMILY
    assert run(build("person_name", {**family, "locale": "ja"}), "Smith") in ROMAJI_FAMILY
    assert run(build("person_name", {**family, "locale": "en"}), "山田") not in WESTERN_FAMILY  # still Japanese
    with pytest.raises(RulesError, match="locale"):
        build("person_name", {"script": "latin", "locale": "ja"})


def test_one_western_name_is_one_fake_in_columns_json_and_free_text() -> None:
    column = run(build("person_name"), "Jane Doe")
    assert column == run(build("person_name", {"script": "latin"}), "Jane Doe")
    assert column == run(build("person_name", {"locale": "en"}), "Jane Doe")
    assert column == run(build("person_name", name="buyer", table="public.orders"), "Jane Doe")
    assert column != run(build("person_name", key=OTHER_KEY), "Jane Doe")
    payload = build("json", {"paths": {"$.customer.name": "person_name"}}, "jsonb")
    assert json.loads(run(payload, json.dumps({"customer": {"name": "Jane Doe"}})))["customer"]["name"] == column

    class Names:
        def detect(self, text: str) -> list[Span]:
            start = text.find("Jane Doe")
            return [] if start < 0 else [Span(start, start + 8, "person")]

    register_detector("jane-doe-test", lambda params, keyring: Names())
    assert run(build("free_text", {"detector": "jane-doe-test"}), "Call Jane Doe back") == f"Call {column} back"


def test_western_names_keyed_on_a_unique_id_are_distinct() -> None:
    name = build("person_name", {"key_column": "id"}, unique=True)
    fakes = [run(name, "Jane Doe", {"id": str(i)}) for i in range(100_000)]
    assert len(set(fakes)) == len(fakes)
    assert all(f.split(" ")[0] in WESTERN_GIVEN for f in fakes[:1000])
    # A form that shows less than both names ("J. Doe", one word) is written whole under a key column.
    assert len({run(name, "J. Doe", {"id": str(i)}) for i in range(20_000)}) == 20_000
    assert len(pool.western_family()) * len(pool.western_given()) >= 6_000_000


# --- phone ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "shape"),
    [
        ("415-555-0134", r"[2-9][0-8]\d-555-01\d\d"),
        ("(415) 555-0134", r"\([2-9][0-8]\d\) 555-01\d\d"),
        ("4155550134", r"[2-9][0-8]\d55501\d\d"),
        ("+1 415 555 0134", r"\+1 [2-9][0-8]\d 555 01\d\d"),
        ("1-415-555-0134", r"1-[2-9][0-8]\d-555-01\d\d"),
        ("+1-415-555-0134x123", r"\+1-[2-9][0-8]\d-555-01\d\dx123"),
    ],
)
def test_a_north_american_number_gets_a_fictional_one_of_its_shape(source: str, shape: str) -> None:
    fake = run(build("phone"), source)
    assert re.fullmatch(shape, fake), fake
    assert run(build("phone", {"locale": "us"}), source) == fake


@pytest.mark.parametrize(
    ("source", "params"),
    [
        ("+44 20 7946 0018", {}),
        ("+44 161 496 0123", {}),
        ("+44 (0)7911 123456", {}),
        ("0044 121 234 5678", {}),
        ("07911 123456", {"locale": "gb"}),
        ("020 8123 4567", {"locale": "gb"}),
        ("0800 123 4567", {"locale": "gb"}),
    ],
)
def test_a_british_number_gets_an_ofcom_drama_number_of_its_kind(source: str, params: dict) -> None:
    fake = run(build("phone", params), source)
    assert re.sub(r"\d", "9", fake) == re.sub(r"\d", "9", source)  # digit count and grouping kept
    significant = re.sub(r"\D", "", fake)
    significant = significant[4:] if fake.startswith("0044") else significant[2:] if fake[0] == "+" else significant
    significant = significant.removeprefix("0")
    assert UK_DRAMA.match(significant), fake
    assert significant[0] == re.sub(r"\D", "", source).removeprefix("44").removeprefix("0044").lstrip("0")[0]


def test_one_foreign_number_is_one_fake_however_spelled() -> None:
    phone = build("phone")
    national = run(phone, "415-555-0134")
    assert run(phone, "+1 415-555-0134") == "+1 " + national
    assert run(phone, "(415) 555-0134") == f"({national[:3]}) {national[4:]}"
    assert run(build("phone", {"locale": "gb"}), "020 7946 0018") == "0" + run(phone, "+44 20 7946 0018")[4:]


def test_japanese_numbers_keep_their_rules_under_every_locale_but_gb() -> None:
    for locale in ("auto", "us", "ja"):
        assert re.fullmatch(r"090-0\d{3}-\d{4}", run(build("phone", {"locale": locale}), "090-1234-5678"))
    assert run(build("phone", {"locale": "ja"}), "+1 415 555 0134") != run(build("phone"), "+1 415 555 0134")


def test_north_american_numbers_keyed_on_a_unique_id_are_distinct() -> None:
    phone = build("phone", {"key_column": "id"}, unique=True)
    fakes = {run(phone, "415-555-0134", {"id": str(i)}) for i in range(20_000)}
    assert len(fakes) == 20_000 and all(re.fullmatch(r"\d{3}-555-01\d\d", f) for f in fakes)


# --- address -------------------------------------------------------------------------------------------------


def test_postal_codes_keep_their_country() -> None:
    postal = build("address", {"part": "postal_code"})
    assert re.fullmatch(r"\d{5}", run(postal, "94107")) and run(postal, "94107") != "94107"
    assert re.fullmatch(r"\d{5}-\d{4}", run(postal, "94107-1234"))
    for source in ("SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX", "EC1A 1BB", "EH1 2NG"):
        fake = run(postal, source)
        assert UK_POSTCODE.match(fake) and fake != source, (source, fake)
        assert re.sub(r"[A-Z]", "A", re.sub(r"\d", "9", fake)) == re.sub(r"[A-Z]", "A", re.sub(r"\d", "9", source))
    assert re.fullmatch(r"[a-z]{2}\d[a-z]\d[a-z]{2}", run(postal, "sw1a1aa"))
    assert re.fullmatch(r"[A-Z]\d[A-Z] \d[A-Z]\d", run(postal, "K1A 0B1"))  # Canada: its character shape
    assert re.fullmatch(r"\d{3}-\d{4}", run(postal, "160-0022")) and re.fullmatch(r"\d{7}", run(postal, "1600022"))
    assert re.fullmatch(r"〒\d{3}-\d{4}", run(postal, "〒160-0022"))


def test_the_postal_locale_settles_a_column() -> None:
    assert re.fullmatch(r"\d{5}", run(build("address", {"part": "postal_code", "locale": "us"}), "94107"))
    assert re.fullmatch(r"\d{7}", run(build("address", {"part": "postal_code", "locale": "ja"}), "94107"))
    assert re.fullmatch(r"\d{7}", run(build("address", {"part": "postal_code", "locale": "us"}), "1234567"))


@pytest.mark.parametrize(
    ("source", "shape"),
    [
        ("1234 Elm Street", r"[1-9]\d{3} [A-Z][\w'-]* Street"),
        ("Flat 3, 12 Baker St", r"Flat [1-9], [1-9]\d [A-Z][\w'-]* St"),
        ("221B Baker Street", r"[1-9]\d\d[A-Z] [A-Z][\w'-]* Street"),
        ("350 Fifth Ave, 34th Floor", r"[1-9]\d\d [A-Z][\w'-]* Ave, [1-9]\d(st|nd|rd|th) Floor"),
        ("PO Box 123", r"PO Box [1-9]\d\d"),
        ("1600 Pennsylvania Avenue NW", r"[1-9]\d{3} [A-Z][\w'-]* Avenue NW"),
    ],
)
def test_a_western_street_gets_a_western_street(source: str, shape: str) -> None:
    street = build("address", {"part": "street"})
    fake = run(street, source)
    assert re.fullmatch(shape, fake) and fake != source, fake
    assert not JAPANESE.search(fake)
    keyed = build("address", {"part": "street", "key_column": "id"})
    assert re.fullmatch(shape, run(keyed, source, {"id": "42"}))


def test_western_whole_addresses_keep_their_form() -> None:
    address = build("address")
    us = run(address, "1234 Elm Street, Springfield, IL 62704")
    assert re.fullmatch(r"[1-9]\d{3} [A-Z][\w'-]* Street, [A-Z][\w'-]*, IL \d{5}", us), us
    uk = run(address, "10 Downing Street, London SW1A 2AA, UK")
    assert re.fullmatch(r"[1-9]\d [A-Z][\w'-]* Street, [A-Z][\w'-]* (\S+ \S+), UK", uk), uk
    assert UK_POSTCODE.match(uk.rsplit(", ", 1)[0].split(" ", 4)[-1]) and "SW1A" not in uk


def test_a_us_or_uk_column_gives_every_non_japanese_value_a_western_fake() -> None:
    assert re.fullmatch(r"[1-9]\d", run(build("address", {"part": "street", "locale": "us"}), "12"))
    assert JAPANESE.search(run(build("address", {"part": "street"}), "12"))  # auto: no letters, Japanese rules
    assert JAPANESE.search(run(build("address", {"part": "street", "locale": "us"}), "桜台3-12-5"))
    assert JAPANESE.search(run(build("address", {"part": "street", "locale": "ja"}), "1234 Elm Street"))
