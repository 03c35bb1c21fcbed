"""card_pan: Luhn-valid, test BINs unless kept, last 4 on request, unique, masked PANs."""

from __future__ import annotations

import random

from anonymize.transformers.card import TEST_BINS, brand_of
from anonymize.transformers.digits import luhn_check_digit, luhn_valid
from tests.anonymize.transform_kit import OTHER_KEY, build, run


def _pan(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return body + luhn_check_digit(body)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def test_luhn_helpers() -> None:
    assert luhn_valid("4242424242424242") and luhn_valid("378282246310005")
    assert not luhn_valid("4242424242424241")


def test_default_fakes_are_luhn_valid_on_test_bins_of_the_same_brand() -> None:
    card = build("card_pan")
    rng = random.Random(7)
    for prefix, length in (("453914", 16), ("550000", 16), ("371234", 15), ("353912", 16), ("222412", 16)):
        for _ in range(200):
            source = _pan(prefix, length, rng)
            fake = run(card, source)
            assert len(fake) == length and luhn_valid(fake)
            assert fake[:6] in TEST_BINS and brand_of(fake) == brand_of(source)
            assert fake != source


def test_shape_is_kept() -> None:
    fake = run(build("card_pan"), "4539 1488 0343 6467")
    assert [len(g) for g in fake.split(" ")] == [4, 4, 4, 4] and luhn_valid(_digits(fake))


def test_keep_bin_and_keep_last4() -> None:
    rng = random.Random(3)
    both = build("card_pan", {"keep_bin": True, "keep_last4": True})
    last4 = build("card_pan", {"keep_last4": True})
    for _ in range(300):
        source = _pan("453914", 16, rng)
        fake = run(both, source)
        assert fake[:6] == source[:6] and fake[-4:] == source[-4:] and luhn_valid(fake) and fake != source
        fake = run(last4, source)
        assert fake[:6] in TEST_BINS and fake[-4:] == source[-4:] and luhn_valid(fake)


def test_deterministic_and_keyed() -> None:
    source = "4539148803436467"
    assert run(build("card_pan"), source) == run(build("card_pan", name="other"), source)
    assert run(build("card_pan"), source) != run(build("card_pan", key=OTHER_KEY), source)


def test_unique_over_200k_cards_of_one_bin() -> None:
    card = build("card_pan", unique=True)
    rng = random.Random(11)
    sources = {_pan("453914", 16, rng) for _ in range(200_000)}
    fakes = {run(card, s) for s in sources}
    assert len(fakes) == len(sources)


def test_unique_over_many_bins_when_the_bin_is_kept() -> None:
    card = build("card_pan", {"keep_bin": True}, unique=True)
    rng = random.Random(5)
    sources = {_pan(rng.choice(("453914", "455701", "510000", "542418", "356600")), 16, rng) for _ in range(50_000)}
    assert len({run(card, s) for s in sources}) == len(sources)


def test_masked_pan_keeps_its_mask() -> None:
    fake = run(build("card_pan"), "453914******6467")
    assert fake[6:12] == "******" and fake[:6] in TEST_BINS and fake[-4:] != "6467"
    assert run(build("card_pan", {"keep_last4": True}), "453914******6467").endswith("6467")


def test_card_parts_memos_answer_what_a_fresh_transformer_answers() -> None:
    """CardPart memoizes each value's fake (with an expiry's shift, keyed on the card's last four): the same answer
    as a transformer that never met the value, for repeated values under other cards and a memo cleared when full."""
    rng = random.Random(16)
    cases = []
    for _ in range(400):
        last4 = rng.choice(["4242", "0005", "1881", None, "", "12-34", "no digits"])
        cases.append((rng.choice(["01", "1", "12", "13", "0", "x"]), "exp_month", {"k": last4}))
        cases.append((rng.choice(["2027", "27", "1999", "99"]), "exp_year", {"k": last4}))
        cases.append((rng.choice(["04/27", " 4 - 2031 ", "2030-05", "12/99"]), "expiry", {"k": last4}))
        cases.append((rng.choice(["4242", "424", "0005", "12"]), "last4", {"k": last4}))
        cases.append((rng.choice(["424242", "42424242", "5555", "510510"]), "bin", {}))
    parts = {
        p: build("card_part", {"part": p, "key_column": "k"})
        for p in ("exp_month", "exp_year", "expiry", "last4", "bin")
    }
    for transformer in parts.values():
        transformer.cache_size = 50  # cleared many times over the cases
    for value, part, row in cases * 2:
        fresh = build("card_part", {"part": part, "key_column": "k"})
        assert parts[part].transform(value, row) == fresh.transform(value, row), (value, part, row)
