"""`devkit rules init`'s drafting, as a pure function of a schema (and of what a scan sampled): name and type
families personal whatever their spelling, values deciding with names, pieces that follow their replaced value,
JSON paths from sampled keys. Every drafted file is checked the way a run checks rules."""

from __future__ import annotations

import json
from typing import Any

import yaml

from anonymize.columns import ColumnInfo
from anonymize.draft import column_words, draft_rules
from anonymize.pii.detector import PiiDetector
from anonymize.rules import check_coverage, parse_rules
from anonymize.scan import Profile, Suggestion, scan_column, scan_json

DETECTOR = PiiDetector()


def _drafted(
    schema: dict[str, list[ColumnInfo]], found: dict[str, Any] | None = None, profiles: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """table -> column -> rule (a transform name, or {transform, params}), after checking the file covers `schema`."""
    text = draft_rules(schema, found, profiles=profiles)
    assert check_coverage(parse_rules(text), schema) == [], text
    tables = yaml.safe_load(text)["tables"]
    return {table: rule["columns"] for table, rule in tables.items()}


def _transform(rule: Any) -> str:
    return rule if isinstance(rule, str) else rule["transform"]


def _table(name: str, *columns: tuple[str, str] | ColumnInfo) -> dict[str, list[ColumnInfo]]:
    infos = [c if isinstance(c, ColumnInfo) else ColumnInfo(name, c[0], c[1]) for c in columns]
    return {name: [ColumnInfo(name, "id", "bigint", nullable=False, unique=True), *infos]}


def test_unique_phone_and_ip_columns_are_drafted_keyed_on_the_id() -> None:
    table = "public.logins"
    schema = {
        table: [
            ColumnInfo(table, "id", "bigint", nullable=False, unique=True),
            ColumnInfo(table, "phone", "text", nullable=False, unique=True),
            ColumnInfo(table, "last_ip", "inet", unique=True),
            ColumnInfo(table, "backup_phone", "text"),
        ]
    }
    drafted = draft_rules(schema)
    assert "phone: {transform: phone, params: {key_column: id}}" in drafted
    assert "last_ip: {transform: ip, params: {key_column: id}}" in drafted
    assert "backup_phone: phone" in drafted  # not unique: keyed on its own value, the same fake everywhere
    assert "REVIEW" not in drafted
    assert check_coverage(parse_rules(drafted), schema) == []


def test_names_are_read_whatever_their_spelling_and_language() -> None:
    assert column_words("Full Name") == "full_name"
    assert column_words("addressLine1") == "address_line1"
    assert column_words("氏名") == "full_name"
    assert column_words("郵便番号") == "postal_code"


def test_personal_families_whatever_the_exact_name() -> None:
    columns = [
        ("address1", "text"), ("addr2", "text"), ("address_line_3", "text"), ("street2", "text"),
        ("city", "text"), ("postal_code", "text"),
        ("username", "text"), ("nickname", "text"), ("screen_name", "text"),
        ("password_digest", "text"), ("api_key", "text"), ("otp_secret", "text"), ("refresh_token", "text"),
        ("date_of_birth", "date"), ("dob", "text"), ("ssn", "text"), ("passport_number", "text"),
        ("remarks", "text"), ("bio", "text"),
        ("Full Name", "text"), ("名前", "text"), ("氏名", "text"), ("住所", "text"), ("電話", "text"),
        ("メールアドレス", "text"), ("生年月日", "date"),
    ]  # fmt: skip
    rules = _drafted(_table("public.people", *columns))["public.people"]
    expected = {
        "address1": "address", "addr2": "address", "address_line_3": "address", "street2": "address",
        "city": "keep", "postal_code": "address",
        "username": "username", "nickname": "username", "screen_name": "username",
        "password_digest": "token", "api_key": "token", "otp_secret": "token", "refresh_token": "token",
        "date_of_birth": "date_shift", "dob": "date_shift", "ssn": "token", "passport_number": "token",
        "remarks": "free_text", "bio": "free_text",
        "Full Name": "person_name", "名前": "person_name", "氏名": "person_name", "住所": "address", "電話": "phone",
        "メールアドレス": "email", "生年月日": "date_shift",
    }  # fmt: skip
    assert {name: _transform(rules[name]) for name in expected} == expected
    assert rules["address1"]["params"]["part"] == "street" and rules["addr2"]["params"]["part"] == "building"


def test_photos_in_bytea_are_nulled_and_product_images_kept() -> None:
    table = "public.staff"
    schema = _table(
        table,
        ColumnInfo(table, "photo", "bytea"),
        ColumnInfo(table, "signature_scan", "bytea", nullable=False),
        ColumnInfo(table, "logo", "bytea"),
    )
    rules = _drafted(schema)[table]
    assert rules["photo"] == "null"
    assert rules["signature_scan"] == {"transform": "constant", "params": {"value": "\\x"}}  # NOT NULL: emptied
    assert rules["logo"] == "keep"


def test_a_bytea_of_images_is_a_photo_whatever_its_name() -> None:
    table = "public.members"
    schema = _table(table, ColumnInfo(table, "blob_data", "bytea"))
    profile = Profile("bytea")
    scan_column(table, "blob_data", "none", ["\\x89504e470d0a1a0a0000000d4948"] * 5, DETECTOR, family="bytea",
                profile=profile)  # fmt: skip
    assert _drafted(schema, profiles={f"{table}.blob_data": profile})[table]["blob_data"] == "null"


def test_coordinates_beside_a_replaced_address_move_with_one_offset_per_row() -> None:
    table = "public.stores"
    columns = [("street_address", "text"), ("latitude", "numeric(9,6)"), ("lng", "double precision"),
               ("location", "point")]  # fmt: skip
    rules = _drafted(_table(table, *columns))[table]
    expected = {"transform": "coordinates", "params": {"km": 5, "entity_column": "id"}}
    assert rules["latitude"] == rules["lng"] == rules["location"] == expected
    # no address, no person in the table: a warehouse's position is nobody's
    rules = _drafted(_table("public.warehouses", ("latitude", "numeric"), ("longitude", "numeric")))
    assert rules["public.warehouses"] == {"id": "keep", "latitude": "keep", "longitude": "keep"}


def test_a_cards_pieces_follow_its_fake() -> None:
    table = "public.payments"
    columns = [("card_pan", "text"), ("card_exp_month", "smallint"), ("card_exp_year", "smallint"),
               ("card_last4", "text"), ("bin", "text")]  # fmt: skip
    rules = _drafted(_table(table, *columns))[table]
    assert rules["card_pan"] == {"transform": "card_pan", "params": {"keyed_last4": True}}
    assert rules["card_exp_month"] == {
        "transform": "card_part",
        "params": {"part": "exp_month", "key_column": "card_pan"},
    }
    assert rules["card_exp_year"]["params"] == {"part": "exp_year", "key_column": "card_pan"}
    assert rules["card_last4"] == {"transform": "card_part", "params": {"part": "last4"}}
    assert rules["bin"] == {"transform": "card_part", "params": {"part": "bin"}}
    # an expiry with no card beside it is a date like any other
    assert _drafted(_table("public.coupons", ("exp_month", "smallint")))["public.coupons"]["exp_month"] == "keep"


def test_a_reading_is_keyed_like_the_name_it_reads() -> None:
    table = "public.customers"
    schema = _table(table, ("name", "text"), ("name_kana", "text"), ("フリガナ", "text"))
    rules = _drafted(schema)[table]
    assert rules["name_kana"] == {"transform": "person_name", "params": {"script": "katakana", "key_column": "name"}}
    assert rules["フリガナ"]["params"] == {"script": "katakana", "key_column": "name"}


def test_values_decide_with_names() -> None:
    table = "public.order"
    schema = _table(table, ("user", "text"), ("name", "text"), ("handle", "text"))
    emails = [f"user{i}@example.com" for i in range(20)]
    found = {f"{table}.user": Suggestion("email", {}, "scan: 20/20 sampled values hold EMAIL")}
    profiles = {}
    for column, values in (
        ("name", ["Emily Clark", "Thomas Reed", "Sophia Turner", "鈴木一郎", "Jane Wilson"]),
        ("handle", ["open", "closed", "pending", "open", "closed"]),  # named like a login, holds none
        ("user", emails),
    ):
        profiles[f"{table}.{column}"] = profile = Profile("text")
        scan_column(table, column, "none", values, DETECTOR, profile=profile)
    rules = _drafted(schema, found, profiles)[table]
    assert rules["user"] == "email"  # named like a login, holds e-mail addresses
    assert rules["name"] == "person_name"  # "name" in an order table: the values are people's
    assert rules["handle"] == "keep"


def test_arrays_take_their_elements_transform() -> None:
    table = "public.Customer"
    rules = _drafted(_table(table, ("emails", "text[]"), ("phone_numbers", "character varying(20)[]")))[table]
    assert rules["emails"] == "email" and rules["phone_numbers"] == "phone"


def _profile(table: str, column: str, documents: list[dict]) -> Profile:
    profile = Profile("json")
    scan_json(table, column, "none", [json.dumps(d) for d in documents], DETECTOR, profile=profile)
    return profile


def test_json_columns_get_a_rule_per_personal_path() -> None:
    table = "public.orders"
    shipping = [
        {
            "name": name,
            "phone": f"415867{5300 + i}",
            "address": {"line1": f"{100 + i} Julia Dam", "line2": "Apt 3B", "city": "Springfield",
                        "postal_code": "SW1A 1AA" if i % 2 else "94107", "country": "US"},
            "contact": "Emily Clark",
            "carrier": "UPS",
            "tracking_number": f"1Z{i:016d}",
        }
        for i, name in enumerate(["Thomas Reed", "Sophia Turner", "Jane Wilson", "Mark Brown"] * 3)
    ]  # fmt: skip
    schema = _table(table, ("shipping", "jsonb"))
    profile = _profile(table, "shipping", shipping)
    rule = _drafted(schema, profiles={f"{table}.shipping": profile})[table]["shipping"]
    assert rule["transform"] == "json"
    assert rule["params"]["other_strings"] == {"transform": "free_text", "params": {"detector": "presidio"}}
    assert {path: _transform(r) for path, r in rule["params"]["paths"].items()} == {
        "$.name": "person_name",
        "$.contact": "person_name",
        "$.phone": "phone",
        "$.address.line1": "address",
        "$.address.line2": "address",
        "$.address.postal_code": "address",
    }


def test_a_cards_pieces_in_json_follow_the_card() -> None:
    table = "public.webhook_events"
    payloads = [
        {"card": {"brand": "VISA", "bin": "453914", "last4": f"{4000 + i}", "exp_month": 1 + i % 12,
                  "exp_year": 2027, "holder": {"name": "TARO YAMADA"}}, "reference": f"{10**18 + i}"}
        for i in range(8)
    ]  # fmt: skip
    profile = _profile(table, "payload", payloads)
    rule = _drafted(_table(table, ("payload", "jsonb")), profiles={f"{table}.payload": profile})[table]["payload"]
    paths = rule["params"]["paths"]
    assert paths["$.card.last4"] == {"transform": "card_part", "params": {"part": "last4"}}
    assert paths["$.card.exp_month"] == {
        "transform": "card_part",
        "params": {"part": "exp_month", "key_column": "@.last4"},
    }
    assert paths["$.card.exp_year"]["params"] == {"part": "exp_year", "key_column": "@.last4"}
    assert paths["$.card.bin"] == {"transform": "card_part", "params": {"part": "bin"}}
    assert paths["$.card.holder.name"] == "person_name"
    assert "$.card.brand" not in paths and "$.reference" not in paths


def test_address_parts_only_beside_an_address() -> None:
    items = _drafted(_table("public.order_items", ("unit", "text"), ("line2", "text"), ("suite", "text")))
    assert set(items["public.order_items"].values()) == {"keep"}  # a unit of measure, a second line of something
    addresses = _drafted(_table("public.addresses", ("line1", "text"), ("line2", "text"), ("city", "text")))
    assert _transform(addresses["public.addresses"]["line1"]) == _transform(addresses["public.addresses"]["line2"])
    assert _transform(addresses["public.addresses"]["line1"]) == "address"


def test_columns_named_like_yaml_booleans_stay_names() -> None:
    table = "sales.invoice"
    schema = {table: [ColumnInfo(table, name, "integer") for name in ("no", "yes", "on", "Off", "y", "null", "id")]}
    drafted = draft_rules(schema)
    rules = parse_rules(drafted)  # YAML 1.1 would read `no:` as the boolean false
    assert check_coverage(rules, schema) == []
