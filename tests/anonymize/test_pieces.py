"""Pieces of a replaced value follow it, and the transforms the draft rules personal families with: a card's last4,
BIN and expiry match (or leave nothing of) the card's fake, in columns and in JSON beside it; coordinates move
with one offset per row; logins made of names get logins made of fake names; arrays take their elements'
transform."""

from __future__ import annotations

import json

import pytest

from anonymize.errors import RulesError, TransformError
from anonymize.transformers.digits import luhn_check_digit, luhn_valid
from tests.anonymize.transform_kit import KEY, OTHER_KEY, build, run

PANS = ["4539148803436467", "5555555555554444", "4012888888881881", "378282246310005", "3530111333300000"]


def test_a_cards_last4_beside_it_is_the_last4_of_its_fake() -> None:
    card = build("card_pan", {"keyed_last4": True})
    last4 = build("card_part", {"part": "last4"})
    for pan in PANS:
        fake = run(card, pan)
        assert fake is not None and luhn_valid(fake) and len(fake) == len(pan)
        assert fake[-4:] == run(last4, pan[-4:]) != pan[-4:]
    # masked numbers keep their mask, and their last four follow too
    assert run(card, "424242******4242").endswith(run(last4, "4242"))
    # distinct cards, distinct fakes (the digit before the last four absorbs the check digit)
    bodies = [f"4539148803{i:05d}" for i in range(0, 20000, 7)]
    cards = [body + luhn_check_digit(body) for body in bodies]
    assert len({run(card, pan) for pan in cards}) == len(cards)


def test_a_bin_becomes_the_test_bin_its_card_gets() -> None:
    card, bin_part = build("card_pan"), build("card_part", {"part": "bin"})
    for pan in PANS:
        assert run(card, pan)[:6] == run(bin_part, pan[:6])
    assert len(run(bin_part, "45391488")) == 8  # an 8-digit BIN keeps its length


def test_an_expiry_moves_alike_in_its_columns_and_in_a_payload() -> None:
    month = build("card_part", {"part": "exp_month", "key_column": "card_pan"}, "smallint")
    year = build("card_part", {"part": "exp_year", "key_column": "card_pan"}, "smallint")
    expiry = build("card_part", {"part": "expiry", "key_column": "card_pan"})
    row = {"card_pan": "4539148803436467"}
    moved = (run(month, "8", row), run(year, "2029", row))
    assert moved != ("8", "2029") and 1 <= int(moved[0]) <= 12 and 2030 <= int(moved[1]) <= 2032
    assert run(expiry, "08/29", row) == f"{int(moved[0]):02d}/{int(moved[1]) % 100:02d}"
    payload = build(
        "json",
        {
            "paths": {
                "$.card.last4": {"transform": "card_part", "params": {"part": "last4"}},
                "$.card.exp_month": {
                    "transform": "card_part",
                    "params": {"part": "exp_month", "key_column": "@.last4"},
                },
                "$.card.exp_year": {"transform": "card_part", "params": {"part": "exp_year", "key_column": "@.last4"}},
            }
        },
        "jsonb",
    )
    assert payload.row_columns == frozenset()  # `@.last4` is the document's, not a column of the row
    out = json.loads(run(payload, json.dumps({"card": {"last4": "6467", "exp_month": 8, "exp_year": 2029}})))
    card = run(build("card_pan", {"keyed_last4": True}), row["card_pan"])
    assert out == {"card": {"last4": card[-4:], "exp_month": int(moved[0]), "exp_year": int(moved[1])}}
    with pytest.raises(TransformError, match="not an expiry"):
        run(expiry, "13/2029", row)


def test_coordinates_of_one_row_move_together_by_kilometres() -> None:
    latitude = build("coordinates", {"entity_column": "id"}, "numeric(9,6)", name="latitude")
    longitude = build("coordinates", {"entity_column": "id"}, "numeric(9,6)", name="lng")
    location = build("coordinates", {"entity_column": "id"}, "point", name="location")
    for i in range(50):
        row = {"id": str(i)}
        lat, lon = run(latitude, "51.422500", row), run(longitude, "-0.314828", row)
        assert len(lat.split(".")[1]) == 6  # the column's precision kept
        assert run(location, "(-0.314828,51.4225)", row) == f"({float(lon):.6f},{float(lat):.4f})"
        moved_km = ((float(lat) - 51.4225) ** 2 + (float(lon) + 0.314828) ** 2) ** 0.5 * 111.32
        assert 0.9 <= moved_km <= 5.1
    assert run(latitude, "51.422500", {"id": "1"}) != run(latitude, "51.422500", {"id": "2"})
    assert run(build("coordinates", {"entity_column": "id"}, "numeric", name="lat", key=OTHER_KEY), "51.4", {"id": "1"})
    with pytest.raises(RulesError, match="latitude from longitude"):
        build("coordinates", {}, "numeric", name="altitude")
    # a PostGIS point (hex EWKB, SRID 4326) moves; another shape is refused: null it
    ewkb = "0101000020E6100000A8C64B3789A1614018D9CEF753C34140"
    moved = run(build("coordinates", {}, "geometry(Point,4326)", name="geom"), ewkb)
    assert moved != ewkb and moved[:18] == ewkb[:18] and len(moved) == len(ewkb)
    with pytest.raises(TransformError, match="points only"):
        run(build("coordinates", {}, "geometry", name="geom"), "0103000020E6100000" + "00" * 40)


def test_logins_made_of_names_get_logins_made_of_fake_names() -> None:
    login = build("username")
    for value in ("jsmith", "mary.jones", "Tanaka_T", "asmith2", "k.takahashi"):
        fake = run(login, value)
        assert fake != value and len(fake.split(".")) == len(value.split(".")) and fake[0].isalpha()
        assert fake.islower() == value.islower() and fake[-1].isdigit() == value[-1].isdigit()
    assert run(login, "mary.jones") == run(build("username"), "mary.jones")  # one login, one fake
    unique = build("username", {"key_column": "id"}, unique=True)
    fakes = {run(unique, "jsmith", {"id": str(i)}) for i in range(3000)}
    assert len(fakes) == 3000  # keyed on the id: distinct rows, distinct logins


def test_arrays_take_their_elements_transform() -> None:
    emails = build("email", {}, "text[]")
    out = run(emails, '{taro@example.jp,"jane doe@example.com",NULL}')
    assert out.startswith("{") and out.endswith(",NULL}") and "taro@example.jp" not in out and "jane" not in out
    assert run(emails, "{}") == "{}"
    assert [piece for piece, *_ in emails.leak_items("{taro@example.jp,NULL}")] == ["taro@example.jp"]
    nested = run(build("phone", {}, "character varying(20)[]"), "{{090-1234-5678,03-1234-5678},{NULL,NULL}}")
    assert nested.startswith("{{") and "090-1234-5678" not in nested and nested.endswith("{NULL,NULL}}")
    with pytest.raises(RulesError, match="each element"):
        build("email", {}, "integer[]")
    assert KEY  # the kit's key builds every transformer above
