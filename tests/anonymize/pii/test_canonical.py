"""canonical.VALUE_OF's per-kind functions (with their ASCII shortcuts) give `value`'s strings, whatever the text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize.pii import canonical
from anonymize.pii.spans import Kind

# What breaks a shortcut: whitespace beyond ASCII and the ASCII separators str.split knows (\x1c-\x1f), full-width
# letters and digits, ligatures (NFKC), ß / İ (casefold against lower), dashes, brackets and the phone's "+" / "00".
SAMPLES = [
    "",
    " ",
    "Taro Yamada",
    "  TARO\tYAMADA \n",
    "山田\u3000太郎",
    "Ｔａｒｏ",
    "Straße",
    "İstanbul",
    "ﬁle",
    "a\x1cb\x1fc",
    "Foo@Example.COM ",
    "ｆｏｏ＠ｅｘａｍｐｌｅ．ｊｐ",
    "+81 90-1234-5678",
    "(+81) 90 1234 5678",
    "0081-90-1234-5678",
    "０９０ー１２３４ー５６７８",
    "+1 (555) 010-9999",
    "２００１:db8::1",
    "東京都千代田区 1-2-3",
    "T1234567890123",
    "\u00a0x\u2003y\u00a0",
]
KINDS = list(Kind)
TEXT = st.text(st.characters(codec="utf-8"), max_size=24) | st.text("aZ 09+-()@.\t\x1cßİﬁ０９ー", max_size=16)


def test_every_kind_on_the_samples() -> None:
    for kind in KINDS:
        for raw in SAMPLES:
            assert canonical.VALUE_OF[kind](raw) == canonical.value(kind, raw), (kind, raw)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(KINDS), TEXT)
def test_every_kind_on_any_text(kind: Kind, raw: str) -> None:
    assert canonical.VALUE_OF[kind](raw) == canonical.value(kind, raw)


def _phone_before(raw: str) -> str:
    """canonical.phone as it was before its ASCII shortcut: normalize() on every text."""
    from anonymize import normalize as base
    from anonymize.pii.normalize_map import normalize

    digits = base.digits(raw)
    stripped = normalize(raw).strip().lstrip("( ")
    if stripped.startswith("+") or stripped.startswith("00"):
        digits = digits[2:] if stripped.startswith("00") else digits
        if digits.startswith("81"):
            national = digits[2:]
            return national if national.startswith("0") else "0" + national
        return "+" + digits
    return digits


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_the_phone_shortcut_changes_no_number(raw: str) -> None:
    assert canonical.phone(raw) == _phone_before(raw)
    for sample in SAMPLES:
        assert canonical.phone(sample) == _phone_before(sample)
