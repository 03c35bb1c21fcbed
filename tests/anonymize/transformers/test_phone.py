"""phone: Japanese shapes kept, fakes in unassigned ranges (0A0-0, 0X0), +81 and national spellings agree,
unique columns keyed on the row's id."""

from __future__ import annotations

import random
import re

from anonymize.transformers.free_text import FreeText, FreeTextParams
from tests.anonymize.transform_kit import KEY, OTHER_KEY, build, column, run


def test_shapes_and_prefixes_are_kept() -> None:
    phone = build("phone")
    cases = {
        "090-1234-5678": r"^090-0\d{3}-\d{4}$",
        "08012345678": r"^0800\d{7}$",
        "070 1234 5678": r"^070 0\d{3} \d{4}$",
        "050-1234-5678": r"^050-0\d{3}-\d{4}$",
        "060-1234-5678": r"^060-0\d{3}-\d{4}$",
        "03-1234-5678": r"^03-0\d{3}-\d{4}$",
        "0466-26-8945": r"^040\d-\d{2}-\d{4}$",
        "011-234-5678": r"^010-0\d{2}-\d{4}$",  # 010 is the international prefix: a 0 follows it
        "0123-45-6789": r"^0100-\d{2}-\d{4}$",
        "0120-123-456": r"^0120-\d{3}-\d{3}$",  # free dial: a business's number, lead kept
        "0570-123-456": r"^0570-\d{3}-\d{3}$",
        "0800-123-4567": r"^0800-\d{3}-\d{4}$",
        "020-1234-5678": r"^020-\d{4}-\d{4}$",  # 0200 is a 14-digit M2M block: permuted as before
        "+81-90-1234-5678": r"^\+81-90-0\d{3}-\d{4}$",
        "+81 3 1234 5678": r"^\+81 3 0\d{3} \d{4}$",
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
    assert run(phone, "+81 90-1234-5678") == "+81 " + national[1:]
    assert run(phone, "+81(0)90-1234-5678") == "+81(0)" + national[1:]
    assert run(phone, "0081-90-1234-5678") == "0081-" + national[1:]
    assert run(build("phone", name="customer_phone", table="public.orders"), "090-1234-5678") == national
    assert run(build("phone", key=OTHER_KEY), "090-1234-5678") != national
    landline = run(phone, "03-1234-5678")
    assert run(phone, "+81 3 1234 5678") == "+81 " + landline[1:].replace("-", " ")
    assert run(phone, "０３（１２３４）５６７８") == landline.replace("-", "(", 1).replace("-", ")", 1)


def test_free_text_gives_a_number_the_fake_of_its_column() -> None:
    """free_text replaces a phone span through the phone transformer in the natural domain: same fake."""
    text = FreeText(FreeTextParams(), column(), KEY)
    fake = run(build("phone"), "090-1234-5678")
    assert run(text, "田中様 090-1234-5678 折り返し希望") == f"田中様 {fake} 折り返し希望"
    assert run(text, "連絡先 +81 90-1234-5678") == f"連絡先 +81 {fake[1:]}"


def test_landline_and_mobile_with_same_digits_differ() -> None:
    phone = build("phone")
    assert run(phone, "090-1234-5678")[4:] != run(phone, "03-1234-5678")[3:]


def test_no_digits_no_change() -> None:
    assert run(build("phone"), "なし") == "なし"


def _mobiles(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    leads = ("050", "060", "070", "080", "090")
    return [f"{rng.choice(leads)}-{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}" for _ in range(count)]


def test_every_mobile_fake_is_in_the_unassigned_0a0_0_range() -> None:
    phone = build("phone")
    for source in _mobiles(20_000, 1):
        fake = run(phone, source)
        assert fake[:3] == source[:3] and fake[3:5] == "-0", (source, fake)


def test_every_landline_fake_starts_0x0() -> None:
    rng = random.Random(2)
    phone = build("phone")
    areas = ("03", "06", "011", "045", "052", "075", "082", "092", "0466", "0123", "0952", "04992", "01267")
    for _ in range(20_000):
        area = rng.choice(areas)
        local = str(rng.randint(10**8, 10**9 - 1))[: 10 - len(area)]  # 10 digits in all
        source = f"{area}-{local[:-4]}-{local[-4:]}"
        digits = run(phone, source).replace("-", "")
        assert len(digits) == 10 and digits[0] == "0" and digits[2] == "0", (source, digits)
        assert digits[1] == source[1]
        if source.startswith("01"):  # after 010 (the international prefix) a 0: no country code starts with 0
            assert digits.startswith("0100"), (source, digits)


def test_the_kept_prefix_option_stays_in_real_space_and_unique() -> None:
    phone = build("phone", {"keep_prefix_digits": 4}, unique=True)
    fakes = {run(phone, f"090-{1000 + i // 10000}-{i % 10000:04d}") for i in range(100_000)}
    assert len(fakes) == 100_000 and all(f.startswith("090-1") for f in fakes)  # 4 digits kept: 0901


def test_keyed_on_the_id_distinct_rows_get_distinct_fakes() -> None:
    phone = build("phone", {"key_column": "id"}, unique=True)
    assert phone.row_columns == {"id"}
    sources = _mobiles(20_000, 3)
    fakes = [run(phone, source, {"id": str(i)}) for i, source in enumerate(sources, 1)]
    assert len(set(fakes)) == 20_000
    assert all(f[3:5] == "-0" for f in fakes)
    # The id picks the digits: the same row keeps its fake whatever the number's spelling.
    assert run(phone, "+81 90-1111-2222", {"id": "7"})[-9:] == run(phone, "090-3333-4444", {"id": "7"})[-9:]
    # Landlines too, 01 numbers with their 6 digits included.
    landlines = [f"0{1 + i % 9}-{1000 + i % 9000}-{i % 10_000:04d}" for i in range(20_000)]
    fakes = [run(phone, source, {"id": str(i)}) for i, source in enumerate(landlines)]
    assert len(set(fakes)) == 20_000
