"""Things that look like personal data and are not: order numbers, transaction and device ids, SKUs, serials,
amounts, timestamps, UUIDs.

The detector drops a number-shaped span (phone, postal code, card, account ...) that is one of these. Shapes
alone decide most cases (NUM_LEFT/NUM_RIGHT already refuse digits glued to letters); this module catches what
shape can't: a bare number right after an identifier label ("注文番号 09012345678"), and numbers inside dates,
times, amounts and ids. It is asked about each number-shaped span, not about the whole text: most texts have
none, and the label check reads only the few characters before the span.
"""

from __future__ import annotations

import re

from anonymize.pii.recognizers.base import words
from anonymize.pii.spans import Kind

# Spans of these kinds are dropped when they are look-alikes.
GUARDED: frozenset[Kind] = frozenset(
    {
        Kind.PHONE,
        Kind.POSTAL_CODE,
        Kind.MY_NUMBER,
        Kind.CORPORATE_NUMBER,
        Kind.BANK_ACCOUNT,
        Kind.BANK_BRANCH,
        Kind.CARD,
    }
)

# Labels of identifiers that are not personal data: the number right after one is an identifier, whatever its
# shape. ("_" also stands for a space: "order_id" and "order id".)
ID_LABELS = words(
    "注文番号 注文ID 注文No 注文 オーダー番号 オーダーID 受注番号 受付番号 予約番号 伝票番号 お問い合わせ番号 "
    "問い合わせ番号 問合せ番号 追跡番号 取引ID 取引番号 決済ID 決済番号 承認番号 会員番号 会員ID 顧客番号 顧客ID "
    "管理番号 商品番号 商品コード 品番 型番 製造番号 シリアル番号 シリアル 端末番号 端末ID 店舗ID 店舗コード "
    "加盟店ID 加盟店番号 レシート番号 請求書番号 請求番号 領収書番号 バッチ番号 ロット番号 JANコード JAN SKU S/N SN "
    "serial serial_number order order_id order_number transaction transaction_id txn txn_id invoice ref reference "
    "tracking tracking_number device device_id terminal terminal_id merchant merchant_id receipt batch request_id"
)
# Matched against the reversed text before a span, so one anchored `match` answers "does a label end here?":
# separators, an optional "No."/"number"/"#", the label, and no letter before an ASCII label.
_LABEL_BEFORE_REVERSED = re.compile(
    r"[\s:：=#]*(?:\.?on[\s_]*|rebmun[\s_]*|\.?oN[\s_]*)?(?:"
    + "|".join(sorted((re.escape(label[::-1]).replace("_", "[ _]") for label in ID_LABELS), key=len, reverse=True))
    + r")(?![A-Za-z])",
    re.IGNORECASE,
)
_HASH_ID = re.compile(r"#[A-Za-z0-9][A-Za-z0-9\-_]*")
# Dates need a real year, month and day: 0466-26-8945 is a phone, not the 26th month of the year 466.
_YEAR, _MONTH, _DAY = r"(?:19|20)\d{2}", r"(?:0?[1-9]|1[0-2])", r"(?:0?[1-9]|[12]\d|3[01])"
_DATE_TIME = re.compile(
    rf"(?<!\d){_YEAR}([-/.]){_MONTH}\1{_DAY}(?!\d)"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    rf"|{_YEAR}年{_MONTH}月{_DAY}日|{_MONTH}月{_DAY}日|(?<!\d)\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?(?!\d)"
    rf"|(?<!\d){_YEAR}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:\d{{4}}|\d{{6}})?(?!\d)"
)
_AMOUNT = re.compile(
    r"[¥$€£]\s?\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s?(?:円|yen|JPY|USD|ドル|pt|ポイント|%|点|個|件|枚|回|kg|g|ml|cm|mm)"
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Letters glued to digits: SKUs, serials, ids — except a phone label glued to its number ("TEL090-1234-5678").
_MIXED_TOKEN = re.compile(
    r"(?<![A-Za-z])(?!(?:TEL|Tel|tel|FAX|Fax|fax)\.?[0-9])[A-Za-z]+[-_]?[0-9][A-Za-z0-9\-_]*|[0-9]+[A-Za-z][A-Za-z0-9\-_]*"
)


_SHAPES = (_HASH_ID, _DATE_TIME, _AMOUNT, _UUID, _MIXED_TOKEN)
_CONTEXT = 40  # characters around a span that a shape can start or end in


def is_lookalike(text: str, start: int, end: int) -> bool:
    """Is `text[start:end]` (normalized text) an identifier after its label, or inside a date, time, amount,
    UUID or alphanumeric id?"""
    if _LABEL_BEFORE_REVERSED.match(text[max(0, start - _CONTEXT) : start][::-1]):
        return True
    low, high = max(0, start - _CONTEXT), min(len(text), end + _CONTEXT)
    for pattern in _SHAPES:
        for match in pattern.finditer(text, low, high):
            if match.start() < end and start < match.end():
                return True
    return False
