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
    assert abs(staging.merchants * 4 - production.merchants) <= 4  # each rounded on its own
    assert staging.orders_per_day * 4 == production.orders_per_day
    assert staging.payment_mix == production.payment_mix
    assert staging.stores_per_merchant == production.stores_per_merchant


def test_the_environments_page_figures_give_the_profiles_volumes() -> None:
    """Production 400,000 devices and 80M transactions a day; staging 25%: 100,000 devices, 20M a day, 3,750 RPS."""
    staging, production = load_profile("staging"), load_profile("load")
    assert production.sizing is not None and staging.sizing is not None
    assert (production.sizing.devices, production.sizing.transactions_per_day) == (400_000, 80_000_000)
    assert (staging.sizing.devices, staging.sizing.transactions_per_day, staging.sizing.peak_rps) == (
        100_000,
        20_000_000,
        3_750,
    )
    assert staging.orders_per_day == 20_000_000 and production.orders_per_day == 80_000_000
    for profile, devices in ((staging, 100_000), (production, 400_000)):
        per_merchant = profile.stores_per_merchant.mean() * profile.devices_per_store.mean()
        assert abs(profile.merchants * per_merchant - devices) < per_merchant  # merchants = devices / ratio, rounded
    assert staging.merchants == 4_496


def test_count_range_mean_matches_its_draws() -> None:
    counts = CountRange(min=1, max=40, skew=4.0)
    draws = [counts.draw((i + 0.5) / 100_000) for i in range(100_000)]
    assert abs(sum(draws) / len(draws) - counts.mean()) < 0.01


def test_scale_multiplies_a_profiles_volume_and_keeps_its_shape() -> None:
    staging = load_profile("staging")
    small = staging.scaled(0.001)
    assert (small.merchants, small.orders_per_day, small.scale) == (4, 20_000, 0.001)
    assert small.name == "staging" and small.fingerprint() != staging.fingerprint()
    assert small.stores_per_merchant == staging.stores_per_merchant and small.payment_mix == staging.payment_mix
    assert staging.scaled(1) is staging
    assert load_profile("dev").scaled(2).orders_per_day == 2_000
    with pytest.raises(UsageError, match="--scale must be between"):
        staging.scaled(0)


def test_a_sized_profile_may_not_also_write_its_volume(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "seeds/profiles/staging.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("days = 7", "days = 7\nmerchants = 10"))
    with pytest.raises(ConfigError, match="merchants are derived from \\[sizing\\]"):
        load_profile(str(bad))


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
