"""phone: Japanese shapes kept, +81 and national spellings agree, unique by permutation."""

from __future__ import annotations

import re

from tests.anonymize.transform_kit import OTHER_KEY, build, run


def test_shapes_and_prefixes_are_kept() -> None:
    phone = build("phone")
    cases = {
        "090-1234-5678": r"^090-\d{4}-\d{4}$",
        "08012345678": r"^080\d{8}$",
        "070 1234 5678": r"^070 \d{4} \d{4}$",
        "03-1234-5678": r"^03-\d{4}-\d{4}$",
        "0120-123-456": r"^0120-\d{3}-\d{3}$",
        "+81-90-1234-5678": r"^\+81-90-\d{4}-\d{4}$",
        "+81 3 1234 5678": r"^\+81 3 \d{4} \d{4}$",
    }
    for source, shape in cases.items():
        fake = run(phone, source)
        assert re.match(shape, fake), (source, fake)
        assert fake != source


def test_one_number_one_fake_whatever_the_spelling() -> None:
    phone = build("phone")
    national = run(phone, "090-1234-5678")
    assert run(phone, "09012345678") == national.replace("-", "")
    assert run(phone, "０９０－１２３４－５６７８") == national
    assert run(phone, "+81-90-1234-5678") == "+81-" + national[1:]
    assert run(build("phone", name="customer_phone", table="public.orders"), "090-1234-5678") == national
    assert run(build("phone", key=OTHER_KEY), "090-1234-5678") != national


def test_landline_and_mobile_with_same_digits_differ() -> None:
    phone = build("phone")
    assert run(phone, "090-1234-5678")[4:] != run(phone, "03-1234-5678")[3:]


def test_no_digits_no_change() -> None:
    assert run(build("phone"), "なし") == "なし"


def test_unique_over_200k() -> None:
    phone = build("phone", unique=True)
    fakes = {run(phone, f"090-{i // 10000:04d}-{i % 10000:04d}") for i in range(200_000)}
    assert len(fakes) == 200_000
