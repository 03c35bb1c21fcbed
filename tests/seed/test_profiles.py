from __future__ import annotations

from pathlib import Path

import pytest

from devkit.errors import ConfigError, UsageError
from devkit.seed.profiles import CountRange, load_profile, profile_names
from devkit.seed.reference import load_reference


def test_shipped_profiles_load_and_validate() -> None:
    assert {"small", "dev", "staging", "load"} <= set(profile_names())
    for name in profile_names():
        profile = load_profile(name)
        assert profile.name == name
        assert abs(sum(profile.payment_mix.values()) - 1.0) < 1e-9


def test_staging_is_a_quarter_of_production_shape() -> None:
    staging, production = load_profile("staging"), load_profile("load")
    assert staging.merchants * 4 == production.merchants
    assert staging.orders_per_day * 4 == production.orders_per_day
    assert staging.payment_mix == production.payment_mix
    assert staging.stores_per_merchant == production.stores_per_merchant


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(UsageError, match="unknown seed profile 'huge'") as caught:
        load_profile("huge")
    assert "small" in caught.value.hint


def test_invalid_profile_file_is_a_config_error_naming_the_field(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "seeds/profiles/small.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("decline_rate = 0.15", "decline_rate = 1.5").replace("paypay = 0.30", "cash = 0.3"))
    with pytest.raises(ConfigError) as caught:
        load_profile(str(bad))
    assert "decline_rate" in caught.value.message and "payment_mix" in caught.value.message


def test_count_range_skew_keeps_most_parents_small() -> None:
    counts = CountRange(min=1, max=40, skew=4.0)
    draws = [counts.draw(i / 1000) for i in range(1000)]
    assert min(draws) == 1 and max(draws) == 40
    assert sorted(draws)[500] <= 3  # the median merchant has few stores


def test_reference_data_has_the_canonical_cards_and_providers() -> None:
    reference = load_reference()
    cards = {card.number: card for card in reference.cards}
    assert cards["4242424242424242"].outcome == "succeeds"
    assert cards["4000000000000002"].outcome == "declined"
    assert cards["5555555555554444"].brand == "mastercard" and cards["5555555555554444"].outcome == "succeeds"
    assert cards["378282246310005"].brand == "amex" and cards["378282246310005"].outcome == "succeeds"
    assert {p.code for p in reference.providers} == {"card_processor", "paypay", "line_pay", "rakuten_pay"}
    assert reference.fixtures.device["serial"] == "TEST123456"
