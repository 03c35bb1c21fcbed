"""The locale classifier (anonymize.locales) on sampled column values, and the draft writing its choice."""

from __future__ import annotations

from anonymize.columns import ColumnInfo
from anonymize.draft import draft_rules
from anonymize.locales import ColumnLocales, column_locales, locale_for, looks_romaji, name_script, phone_country
from anonymize.rules import check_coverage, parse_rules

WESTERN_NAMES = ["John Smith", "Mary Johnson", "Li Wei", "Ana García", "Robert Brown", "Kenji Moore", "Sarah Lee"]
ROMAJI_NAMES = ["Taro Yamada", "YAMADA HANAKO", "Sato Kenji", "Ichiro Suzuki", "Yuki Tanaka", "Mori", "Ito Shota"]
KANJI_NAMES = ["山田 太郎", "佐藤花子", "鈴木 一郎", "高橋　美咲", "John Smith", "田中 翔太"]


def test_values_by_script() -> None:
    assert [name_script(v) for v in ("山田 太郎", "ヤマダ", "やまだ", "John", "123", "ｻﾄｳ", "")] == [
        "ideograph",
        "katakana",
        "hiragana",
        "latin",
        "other",
        "katakana",
        "other",
    ]
    assert looks_romaji("Taro Yamada") and looks_romaji("SATOU") and not looks_romaji("John Smith")
    assert not looks_romaji("Naomi")  # a Western name too
    assert not looks_romaji("Taro") and looks_romaji("Taro", pool_hit=False)  # not in the pools: the column says
    assert [phone_country(v) for v in ("090-1234-5678", "415-555-0134", "+44 20 7946 0018", "07700 900123")] == [
        "jp",
        "us",
        "gb",
        "gb",
    ]
    assert [phone_country(v) for v in ("070-1234-5678", "03-1234-5678", "+1 212 555 0100", "12345")] == [
        "jp",
        "jp",
        "us",
        "other",
    ]


def test_name_columns() -> None:
    assert column_locales(WESTERN_NAMES).name == "en"
    assert column_locales(ROMAJI_NAMES).name == "ja"
    assert column_locales(KANJI_NAMES).name is None  # Japanese data: the per-value auto, as before
    # Family names alone: short Latin words one value can't place; the column can.
    assert column_locales(["Smith", "Ng", "Wu", "Doe", "Kato", "Garcia"]).name == "en"
    assert column_locales(["Kenji", "Shota", "Yui", "Haruto", "Mei"]).name == "ja"
    assert column_locales(["John", "Mary"]).name is None  # too few values to say


def test_phone_postal_and_street_columns() -> None:
    assert column_locales(["415-555-0134", "(212) 555-0100", "+1 646 555 0199", "n/a"]).phone == "us"
    assert column_locales(["020 7946 0018", "07700 900123", "+44 161 496 0000"]).phone == "gb"
    assert column_locales(["090-1234-5678", "03-1234-5678", "0466-26-8945", "415-555-0134"]).phone is None
    assert column_locales(["94107", "10001-1234", "60601", "SW1A 1AA"]).postal == "us"
    assert column_locales(["SW1A 1AA", "M1 1AE", "B33 8TH"]).postal == "gb"
    assert column_locales(["160-0022", "1000001", "〒530-0001"]).postal is None
    assert column_locales(["1234 Elm Street", "22 Acacia Avenue", "PO Box 9", "桜台3-12-5"]).street == "us"
    assert column_locales(["Flat 3, 12 Baker St", "4 Privet Drive", "7 Eccles Road"]).street == "gb"
    assert column_locales(["桜台3-12-5", "中央1-2-3 コーポ桜305", "本町2丁目"]).street is None


def test_locale_for_a_rule() -> None:
    found = ColumnLocales(name="en", phone="us", postal="gb", street="us")
    assert locale_for("person_name", {"part": "given"}, found) == "en"
    assert locale_for("person_name", {"script": "latin"}, found) is None
    assert locale_for("phone", {}, found) == "us"
    assert locale_for("address", {"part": "postal_code"}, found) == "gb"
    assert locale_for("address", {"part": "street"}, found) == "us"
    assert locale_for("email", {}, found) is None
    assert locale_for("phone", {"locale": "ja"}, found) is None  # a rule that says one keeps it
    assert locale_for("phone", {}, None) is None


def test_the_draft_writes_the_columns_locale() -> None:
    table = "public.customers"
    schema = {
        table: [
            ColumnInfo(table, "id", "bigint", nullable=False, unique=True),
            ColumnInfo(table, "first_name", "text"),
            ColumnInfo(table, "last_name", "text"),
            ColumnInfo(table, "full_name", "text"),
            ColumnInfo(table, "phone", "text"),
            ColumnInfo(table, "zip", "text"),
            ColumnInfo(table, "address_line1", "text"),
            ColumnInfo(table, "email", "text"),
        ]
    }
    samples = {
        "first_name": ["John", "Mary", "Li", "Ana", "Robert"],
        "last_name": ["Smith", "Ng", "Wu", "Doe", "Kato"],
        "full_name": ["山田 太郎", "佐藤 花子", "鈴木 一郎"],
        "phone": ["415-555-0134", "(212) 555-0100", "6465550199"],
        "zip": ["94107", "10001-1234", "60601"],
        "address_line1": ["1234 Elm Street", "22 Acacia Avenue", "PO Box 9"],
        "email": ["a@example.com", "b@example.com", "c@example.com"],
    }
    locales = {f"{table}.{column}": column_locales(values) for column, values in samples.items()}
    drafted = draft_rules(schema, None, locales=locales)
    assert "first_name: {transform: person_name, params: {part: given, locale: en}}" in drafted
    assert "last_name: {transform: person_name, params: {part: family, locale: en}}" in drafted
    assert "full_name: person_name" in drafted  # Japanese: nothing to add
    assert "phone: {transform: phone, params: {locale: us}}" in drafted
    assert "zip: {transform: address, params: {part: postal_code, locale: us}}" in drafted
    assert "address_line1: {transform: address, params: {part: street, locale: us}}" in drafted
    assert "email: email" in drafted
    assert check_coverage(parse_rules(drafted), schema) == []
    assert "locale" not in draft_rules(schema)  # no samples (--no-scan): no locale
