"""The harness's own pieces, without a database: locations, the planted-value search, locale kinds, schema diff."""

from __future__ import annotations

import pytest

from testbed.strangers.common import card_number, luhn_valid, tiny_png
from testbed.strangers.locations import Part, parse
from tests.strangers import checks
from tests.strangers.checks import Needles, classify
from tests.strangers.harness import drafted_transforms, personal_columns, weaken


def test_locations_parse_columns_paths_joins_and_quoted_names() -> None:
    assert parse("public.customers.email").parts == (Part("email"),)
    location = parse("public.webhook_events.payload$.data.object.refunds.data[0].id")
    assert location.parts == (Part("payload", ("data", "object", "refunds", "data", "0", "id")),)
    assert location.readable_in_place and not location.is_column
    pieces = parse("public.w.payload$.card.last4+payload$.card.exp_month")
    assert pieces.parts == (Part("payload", ("card", "last4")), Part("payload", ("card", "exp_month")))
    joined = parse("public.customers.first_name+last_name")
    assert joined.columns == ("first_name", "last_name") and joined.is_column
    quoted = parse('"Sales"."Order"."Full Name"$."名前"[*]')
    assert (quoted.schema, quoted.table, quoted.parts[0].column) == ("Sales", "Order", "Full Name")
    assert quoted.parts[0].path == ("名前", "*") and not quoted.readable_in_place
    assert str(parse(str(quoted))) == str(quoted)  # prints back as it parses
    with pytest.raises(ValueError):
        parse("customers.email")


def test_locations_read_the_spellings_of_other_builders() -> None:
    """Bare names that need quoting, composite fields, array elements, `.$` before a JSON path (pgfeatures.py)."""
    assert parse("public.Customer.Full Name").parts == (Part("Full Name"),)
    assert parse("public.Customer.emails[]").parts == (Part("emails", array=True),)
    assert parse("public.order.ship_to.street").parts == (Part("ship_to", fields=("street",)),)
    assert parse("Audit.event.detail.$.by").parts == (Part("detail", ("by",)),)
    assert str(parse("public.order.ship_to.street")) == "public.order.ship_to.street"


def test_needles_are_found_as_whole_tokens_and_inside_japanese_text() -> None:
    needles = Needles({"a": {"jsmith", "203.0.113.5", "鈴木一郎", "Emily Clark"}})
    found = lambda text: {needle for _, needle in needles.find(text.lower())}  # noqa: E731
    assert found("login jsmith ok") == {"jsmith"}
    assert found("jsmiths and xjsmith") == set()
    assert found("203.0.113.55 / 203.0.113.5/32") == {"203.0.113.5"}
    assert found("鈴木一郎さんの対応") == {"鈴木一郎"}
    assert found("Great service from Emily Clark.") == {"emily clark"}


def test_a_name_split_over_two_columns_is_found_in_the_row() -> None:
    needles = Needles({"public.customers.first_name+last_name": {"Emily Clark"}})
    found = list(checks._find_in_row(needles, ["7", "Emily", "Clark", "x@example.com"], ["id", "first", "last", "e"]))
    assert found == [("first+last", "emily clark")]


def test_short_values_are_not_searched_everywhere() -> None:
    assert not checks.searchable("4242") and checks.searchable("jsmith") and checks.searchable("山田太郎")


@pytest.mark.parametrize(
    ("value", "kinds", "kind"),
    [
        ("Emily Clark", ("western_name", "japanese_name"), "western_name"),
        ("O'Brien-Smith", ("western_name", "japanese_name"), "western_name"),
        ("鈴木 一郎", ("western_name", "japanese_name"), "japanese_name"),
        ("94107", ("us_zip", "uk_postcode", "jp_postal"), "us_zip"),
        ("94107-1234", ("us_zip", "uk_postcode", "jp_postal"), "us_zip"),
        ("SW1A 1AA", ("us_zip", "uk_postcode", "jp_postal"), "uk_postcode"),
        ("100-0001", ("us_zip", "uk_postcode", "jp_postal"), "jp_postal"),
        ("1000001", ("us_zip", "uk_postcode", "jp_postal"), "jp_postal"),
        ("415-555-0134", ("us_phone", "10_digit_phone", "uk_phone", "jp_mobile"), "us_phone"),
        ("4155550134", ("us_phone", "10_digit_phone", "uk_phone", "jp_mobile"), "10_digit_phone"),
        ("+44 7911 123456", ("us_phone", "10_digit_phone", "uk_phone", "jp_mobile"), "uk_phone"),
        ("090-1234-5678", ("us_phone", "10_digit_phone", "uk_phone", "jp_mobile"), "jp_mobile"),
        ("mary.jones", ("login",), "login"),
        ("東京都千代田区丸の内1-1", ("latin_script", "japanese_script"), "japanese_script"),
    ],
)
def test_locale_kinds(value: str, kinds: tuple[str, ...], kind: str) -> None:
    assert classify(value, kinds) == kind


def test_locale_kinds_reject_the_other_countries_forms() -> None:
    assert classify("5779983", ("us_zip", "uk_postcode")) is None  # a Japanese code where a ZIP was
    assert classify("+48 6140 890363", ("uk_phone",)) is None  # another country's code
    assert classify("涼朗", ("western_name",)) is None


def test_schema_diff_names_missing_owner_and_changed_entries() -> None:
    head = "-- Name: {n}; Type: {t}; Schema: public; Owner: {o}\n--\n\n"
    source = (
        head.format(n="t", t="TABLE", o="postgres") + "CREATE TABLE public.t (id int);\nSET x = 1;\n"
        + head.format(n="TABLE t", t="ACL", o="postgres") + "GRANT SELECT ON TABLE public.t TO ro;\n"
        + head.format(n="v", t="VIEW", o="postgres") + "CREATE VIEW public.v AS SELECT 1;\n"
    )  # fmt: skip
    target = (
        head.format(n="t", t="TABLE", o="dev") + "CREATE TABLE public.t (id int);\n"
        + head.format(n="v", t="VIEW", o="postgres") + "CREATE VIEW public.v AS SELECT 2;\n"
    )  # fmt: skip
    problems = [str(p) for p in checks.check_schema(source, target)]
    assert problems == [
        "ACL public.TABLE t: missing in the output",
        "TABLE public.t: owner dev in the output, postgres in the source",
        "VIEW public.v: differs",
    ]


def test_changed_ids_are_described_by_shape_not_value() -> None:
    number = "4" + "0" * 17
    number += next(d for d in "0123456789" if luhn_valid(number + d))
    assert checks._shape(number) == "19 digits, Luhn-valid"
    assert checks._shape("ch_3MmlLrLkdIwHu7ix0snN0B15") == "a_9a9a9a9a9"  # letters and digits as runs


def test_weakening_rules_the_chosen_columns_keep_and_nothing_else() -> None:
    draft = "version: 1\ntables:\n  public.t:\n    columns:\n      id: keep\n      email: email\n      memo: {transform: free_text, params: {detector: presidio}}\n"  # noqa: E501
    weakened = weaken(draft, {("public.t", "email")})
    assert drafted_transforms(weakened) == {("public.t", "id"): "keep", ("public.t", "email"): "keep",
                                            ("public.t", "memo"): "free_text"}  # fmt: skip
    assert personal_columns({"public.t.first+last": {"x"}, "public.t.payload$.a": {"y"}}) == {
        ("public.t", "first"), ("public.t", "last"), ("public.t", "payload")}  # fmt: skip


def test_generated_cards_and_photos_are_real_shapes() -> None:
    import random

    rng = random.Random(5)
    for brand in ("visa", "mastercard", "amex", "jcb", "discover"):
        pan = card_number(rng, brand)
        assert _luhn_reference(pan), pan
    assert tiny_png(rng).startswith(b"\x89PNG\r\n\x1a\n")


def _luhn_reference(number: str) -> bool:
    """Luhn written the textbook way, independent of common.luhn_check_digit."""
    digits = [int(d) for d in number]
    odd = digits[-1::-2]
    even = [sum(divmod(2 * d, 10)) for d in digits[-2::-2]]
    return (sum(odd) + sum(even)) % 10 == 0
