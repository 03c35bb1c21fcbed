"""email: reserved domains only, same email -> same fake everywhere, unique, fits varchar."""

from __future__ import annotations

import pytest

from anonymize.errors import RulesError
from anonymize.transformers.email import is_reserved_domain
from tests.anonymize.transform_kit import OTHER_KEY, build, run


def test_fakes_are_on_reserved_domains_only() -> None:
    email = build("email")
    for i in range(5000):
        fake = run(email, f"user{i}@gmail.com")
        local, domain = fake.split("@")
        assert is_reserved_domain(domain) and local
    assert run(build("email", {"mail_domain": "mail.test"}), "a@b.jp").endswith("@mail.test")


def test_non_reserved_mail_domain_is_refused() -> None:
    with pytest.raises(RulesError, match="reserved"):
        build("email", {"mail_domain": "gmail.com"})


def test_same_email_same_fake_across_columns_and_spellings() -> None:
    customers, orders = build("email", name="email"), build("email", name="customer_email", table="public.orders")
    assert run(customers, "Taro.Yamada@Example.JP") == run(orders, " taro.yamada@example.jp ")
    assert run(customers, "ｔａｒｏ@example.jp") == run(orders, "taro@example.jp")
    assert run(customers, "taro@example.jp") != run(build("email", key=OTHER_KEY), "taro@example.jp")
    assert run(customers, "taro@example.jp") != run(build("email", domain="staff_email"), "taro@example.jp")


def test_unique_over_200k() -> None:
    email = build("email", unique=True)
    fakes = {run(email, f"customer{i}@example.co.jp") for i in range(200_000)}
    assert len(fakes) == 200_000


def test_short_columns_get_shorter_fakes() -> None:
    for length in (16, 20, 30):
        email = build("email", pg_type=f"character varying({length})")
        fakes = [run(email, f"someone.long.name{i}@example.co.jp") for i in range(500)]
        assert all(len(f) <= length and "@" in f for f in fakes)
        assert all(is_reserved_domain(f.split("@")[1]) for f in fakes)
