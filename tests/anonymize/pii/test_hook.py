"""The detector behind the free_text transformer: same fakes as the columns, honorifics kept."""

from __future__ import annotations

import anonymize.pii.hook as hook
from anonymize.pii import Kind
from anonymize.transformers.free_text import DETECTORS
from tests.anonymize.transform_kit import build, run


def test_registered_as_the_presidio_detector() -> None:
    assert DETECTORS[hook.DETECTOR_NAME] is hook._factory


def test_free_text_with_the_pii_detector() -> None:
    text = build("free_text", {"detector": "presidio"})
    note = "田中 太郎様 ０９０－１２３４－５６７８ 折り返し希望 注文番号 09011112222 〒150-0001 東京都渋谷区神宮前1-2-3"
    out = run(text, note)
    assert out is not None
    assert "田中" not in out and "太郎" not in out and "様 " in out  # the honorific stays
    assert run(build("phone"), "０９０－１２３４－５６７８") in out
    assert "注文番号 09011112222" in out  # an order number is left alone
    assert "神宮前1-2-3" not in out and "150-0001" not in out


def test_kinds_filter_and_invoice_numbers() -> None:
    text = build("free_text", {"detector": "presidio", "kinds": ["corporate_number"]})
    out = run(text, "登録番号 T7000012050002 田中様")
    assert out is not None and "7000012050002" not in out and out.startswith("登録番号 T") and "田中様" in out


def test_known_values_of_the_run_are_found() -> None:
    hook.KNOWN.add(Kind.PERSON, "勅使河原 蒼")
    text = build("free_text", {"detector": "presidio"})
    out = run(text, "勅使河原蒼から電話")
    assert out is not None and "勅使河原" not in out and out.endswith("から電話")
