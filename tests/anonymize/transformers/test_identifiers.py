"""corporate_number, my_number, bank_account, token: shapes, check digits, uniqueness (ip: test_ip.py)."""

from __future__ import annotations

import random
import re
import uuid

from anonymize.transformers.identifiers import (
    corporate_check_digit,
    corporate_number_valid,
    my_number_check_digit,
    my_number_valid,
)
from tests.anonymize.transform_kit import OTHER_KEY, build, run


def test_check_digit_formulas_against_published_numbers() -> None:
    assert corporate_number_valid("7000012050002")  # 国税庁
    assert my_number_valid("123456789018")  # the specification's worked example
    assert not corporate_number_valid("7000012050003") and not my_number_valid("123456789019")


def test_corporate_numbers_valid_unique_and_shaped() -> None:
    transformer = build("corporate_number", pg_type="character varying(13)", unique=True)
    rng = random.Random(1)
    sources = set()
    while len(sources) < 50_000:
        body = f"{rng.randrange(10**12):012d}"
        sources.add(corporate_check_digit(body) + body)
    fakes = {run(transformer, s) for s in sources}
    assert len(fakes) == len(sources)
    assert all(corporate_number_valid(f) for f in fakes)
    assert not fakes & sources or len(fakes & sources) < 5  # a permutation may fix a point, rarely
    invoice = run(build("corporate_number"), "T7000012050002")
    assert invoice.startswith("T") and corporate_number_valid(invoice[1:])


def test_my_numbers_valid_and_unique() -> None:
    transformer = build("my_number", unique=True)
    rng = random.Random(2)
    sources = set()
    while len(sources) < 50_000:
        body = f"{rng.randrange(10**11):011d}"
        sources.add(body + my_number_check_digit(body))
    fakes = {run(transformer, s) for s in sources}
    assert len(fakes) == len(sources) and all(my_number_valid(f) for f in fakes)
    assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", run(transformer, "1234-5678-9018"))


def test_bank_account_keeps_digit_count_and_kept_prefix() -> None:
    account = build("bank_account", pg_type="character varying(7)")
    fakes = {run(account, f"{i:07d}") for i in range(20_000)}
    assert len(fakes) == 20_000 and all(len(f) == 7 and f.isdigit() for f in fakes)
    combined = run(build("bank_account", {"keep_prefix_digits": 4}), "0001-123-1234567")
    assert combined.startswith("0001-") and re.fullmatch(r"0001-\d{3}-\d{7}", combined)
    assert run(account, "1234567") != run(build("bank_account", key=OTHER_KEY), "1234567")


def test_token_keeps_alphabet_length_and_prefix() -> None:
    token = build("token")
    hex_fake = run(token, "5f4dcc3b5aa765d61d8327deb882cf99")
    assert re.fullmatch(r"[0-9a-f]{32}", hex_fake) and hex_fake != "5f4dcc3b5aa765d61d8327deb882cf99"
    stripe = run(token, "sk_test_4eC39HqLyjWDarjtT1zdp7dc")
    assert stripe.startswith("sk_test_") and len(stripe) == len("sk_test_4eC39HqLyjWDarjtT1zdp7dc")
    bcrypt = "$2b$12$KIXQJjV6pLqHfOrs2x6kCeQ5lL5N1bO0v0nJyO4cW0iZ7s6m9p8a2"
    assert run(token, bcrypt)[:7] == "$2b$12$" and len(run(token, bcrypt)) == len(bcrypt)
    assert run(token, "abc") == run(build("token", name="other"), "abc")
    assert len({run(token, f"tok_{i:012d}") for i in range(100_000)}) == 100_000


def test_token_on_uuid_and_bytea_columns() -> None:
    source = "a3f1c2d4-1b2c-4d3e-8f9a-0b1c2d3e4f5a"
    fake = run(build("token", pg_type="uuid"), source)
    assert uuid.UUID(fake).version == 4 and fake != source
    assert fake == run(build("token"), source)  # same id in a text column: same fake, joins survive
    assert re.fullmatch(r"\\x[0-9a-f]{8}", run(build("token", pg_type="bytea"), "\\xdeadbeef"))


def test_integer_columns_stay_in_range_and_unique() -> None:
    account = build("bank_account", pg_type="integer", unique=True)
    sources = [2_147_483_647 - i for i in range(20_000)] + list(range(20_000))
    fakes = [int(run(account, str(s))) for s in sources]
    assert len(set(fakes)) == len(sources)
    assert all(0 <= f <= 2_147_483_647 for f in fakes)
    assert all(len(str(f)) <= len(str(s)) for f, s in zip(fakes, sources, strict=True))


def test_a_bare_account_number_is_personal_but_not_identifying() -> None:
    """7 digits are an account at hundreds of branches: no fake of that shape can avoid every real one, and
    alone it reaches nobody. With bank and branch codes it reaches one person."""
    account = build("bank_account")
    assert list(account.leak_items("1234567")) == [("1234567", False)]
    assert list(account.leak_items("0001-123-1234567")) == [("0001-123-1234567", True)]
    assert list(account.leak_items("なし")) == []
