"""What surrounds a detected value, and decides what it is.

Luhn alone says little: one number in ten passes it, so among a payment provider's 19-digit transaction ids one in
seventy-odd is also in a card network's range and "valid". A 13-19 digit Luhn-valid number is a card here only when
1. its issuer prefix (IIN) and its length are a real network's (`CARD_NETWORKS`), and
2. something around it says "card": its digits are written in card grouping (4-4-4-4, Amex 4-6-5, Diners 4-6-4), a
   cue word stands near it (card, カード, visa, pan, cc ...), or it sits under a JSON key that names a card
   (`card_number`, `pan`, `{"card": {"number": ...}}`).

JSON keys also say when a value is the platform's own identifier: under `id`, `*_id`, `*Id`, transaction, reference,
txn and order keys a number-shaped detection (card, phone, account, My Number ...) is an id, not personal data.
(Personal data that isn't number-shaped, an e-mail used as a login id, stays personal under any key.)

The network table is Wikipedia's "Payment card number", section "Issuer identification number (IIN)" (its table as
mirrored by ldapwiki.com's "Issuer Identification Number" page, and the 2017-2025 length changes quoted from the
article's history in github.com/d-edge/Cardizer issues #202 and #258), cross-checked with Oracle's "List of
Standard U.S. Credit Card Preambles" (docs.oracle.com, Payments and Currency): the active networks seen at
terminals, with the lengths they issue. Where sources differ (JCB 16 vs 16-19, Diners 14 vs 14-19) the longer list
is taken: a length a network doesn't issue only makes a cue-word match possible, never a card out of context.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Literal

# network -> (IIN prefix ranges, inclusive, compared on as many leading digits as the bounds have; lengths)
CARD_NETWORKS: dict[str, tuple[tuple[tuple[int, int], ...], tuple[int, ...]]] = {
    "visa": (((4, 4),), (13, 16, 19)),
    "mastercard": (((51, 55), (2221, 2720)), (16,)),
    "amex": (((34, 34), (37, 37)), (15,)),
    "discover": (((6011, 6011), (644, 649), (65, 65)), (16, 17, 18, 19)),
    "jcb": (((3528, 3589),), (16, 17, 18, 19)),
    "diners": (((36, 36), (300, 305), (38, 39)), (14, 15, 16)),
    "unionpay": (((62, 62),), (16, 17, 18, 19)),
}
CARD_LENGTHS = range(13, 20)


def card_network(digits: str) -> str | None:
    """The network whose IIN range and length `digits` (ASCII digits only) match, or None."""
    if not (13 <= len(digits) <= 19) or not digits.isdigit():
        return None
    for network, (ranges, lengths) in CARD_NETWORKS.items():
        if len(digits) not in lengths:
            continue
        for low, high in ranges:
            prefix = int(digits[: len(str(low))])
            if low <= prefix <= high:
                return network
    return None


def is_card_number(digits: str) -> bool:
    """A real network's IIN and length, and the Luhn check: what a card number is made of (context aside)."""
    from anonymize.transformers.digits import luhn_valid  # here: the transformers package imports this module

    return card_network(digits) is not None and luhn_valid(digits)


# Words that say "card" near a number. ASCII ones are whole words (letters on neither side: "pan" is not in
# "Japan"); `_`, digits and punctuation separate words, as in card_number=... or cc:4111...
CARD_CUE = re.compile(
    r"(?<![a-z])(?:card(?:s|holder|number|no|num)?|credit|debit|pan|ccn?|ccnum|visa|master ?card|master|amex|"
    r"american express|jcb|diners|discover|union ?pay|maestro)(?![a-z])"
    r"|カード|ｶｰﾄﾞ|クレジット|ｸﾚｼﾞｯﾄ|デビット|ビザ|マスター|アメックス|ダイナース|銀聯|銀联",
    re.IGNORECASE,
)
CUE_BEFORE, CUE_AFTER = 32, 16  # characters before and after a number that a cue word may stand in


# A number right after one of these nouns is that thing's reference, whatever card word stands before the noun:
# "card payment 4539...", "Refund of card charge 4539...", "カード決済 4539..." name a payment, not a card.
_ID_NOUN_BEFORE = re.compile(
    r"(?<![a-z])(?:payments?|refunds?|charges?|transactions?|txn|tx|orders?|invoices?|receipts?|references?|ref|"
    r"id|authori[sz]ations?|auth|bookings?|reservations?|tickets?|shipments?|tracking|transfers?|payouts?|"
    r"settlements?|disputes?|chargebacks?)[\s:：=#.\-]*(?:no\.?|number|#)?[\s:：=#]*$"
    r"|(?:決済|取引|注文|返金|請求|予約|受付|伝票|入金|出金|振込)(?:番号|ID|No\.?)?[\s:：=#]*$",
    re.IGNORECASE,
)


def has_card_cue(text: str, start: int, end: int) -> bool:
    """Does a card cue word stand within CUE_BEFORE characters before `text[start:end]` or CUE_AFTER after it, and
    no noun of a reference (payment, refund, order ...) right before it?"""
    if _ID_NOUN_BEFORE.search(text, max(0, start - 24), start) is not None:
        return False
    return (
        CARD_CUE.search(text, max(0, start - CUE_BEFORE), start) is not None
        or CARD_CUE.search(text, end, min(len(text), end + CUE_AFTER)) is not None
    )


# A label naming the number right after it a card number ("card number:", "カード番号", "PAN", "cc no"): stronger than
# a cue word elsewhere nearby, which may be about a payment rather than the number ("card payment, ref 4539...").
_CARD_LABEL_BEFORE = re.compile(
    r"(?<![a-z])(?:card[ _-]?(?:number|no\.?|num|#)|pan|ccn|cc[ _-]?(?:number|no\.?|num))[\s:：=#]*$"
    r"|(?:カード|クレジットカード)(?:番号|No\.?)[\s:：=#]*$",
    re.IGNORECASE,
)


def card_label_before(text: str, start: int) -> bool:
    """Does a card-number label end right before `start` (separators and a colon between them aside)?"""
    return _CARD_LABEL_BEFORE.search(text, max(0, start - 24), start) is not None


_SEPARATORS = re.compile(r"[ \-\u2010-\u2012\u2013\u2212\uff0d\u3000]+")


def card_grouped(number: str) -> bool:
    """Is the number written in a card grouping: 4-4-4-4 (a last group of 1-7 digits: 13-19 digit cards), Amex
    4-6-5, Diners 4-6-4? Space- or dash-separated; a bare run of digits is not grouped."""
    groups = [len(g) for g in _SEPARATORS.split(number.strip()) if g]
    if len(groups) < 3:
        return False
    if groups in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(g == 4 for g in groups[:-1]) and 1 <= groups[-1] <= 7 and 13 <= sum(groups) <= 19


# ---------------------------------------------------------------- JSON keys

KeyContext = Literal["id", "card"]

_KEY_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^\x00-\x7f]+")
# The last word of an identifier's key: `id`, `order_id`, `transactionId`, `取引ID`, `uuid`.
_ID_LAST = frozenset({"id", "ids", "uuid", "uuids", "guid", "oid"})
# Keys that name a reference of the platform on their own (`transaction`, `provider_reference`, `txn`) or before a
# number word (`order_number`, `auth_code`, `tracking_no`).
_REFERENCE = frozenset(
    {
        "transaction",
        "transactions",
        "txn",
        "txns",
        "tx",
        "trx",
        "tran",
        "reference",
        "references",
        "ref",
        "refs",
        "order",
        "invoice",
        "receipt",
        "tracking",
        "confirmation",
        "authorization",
        "authorisation",
        "auth",
        "approval",
        "trace",
        "rrn",
        "stan",
        "arn",
        "serial",
        "sku",
        "idempotency",
        "correlation",
        "request",
        "batch",
        "settlement",
        "payout",
        "refund",
        "charge",
        "intent",
    }
)
_NUMBER_WORDS = frozenset({"number", "numbers", "no", "num", "nr", "code", "key"})
_GENERIC = _NUMBER_WORDS | frozenset({"value"})
_CARD_WORDS = frozenset(
    {
        "card",
        "cards",
        "cardnumber",
        "cardno",
        "pan",
        "cc",
        "ccn",
        "ccnum",
        "credit",
        "debit",
        "visa",
        "mastercard",
        "amex",
        "jcb",
        "diners",
        "discover",
        "unionpay",
        "maestro",
    }
)
_JA_CARD = re.compile(r"カード|クレジット|デビット")
_JA_REFERENCE = re.compile(
    r"(?:注文|受注|取引|決済|伝票|予約|受付|請求|領収|承認|追跡|問い?合わ?せ|管理|会員|顧客|商品|端末|店舗|加盟店|"
    r"シリアル|レシート|バッチ|ロット|オーダー)(?:番号|ID|Id|id|コード|No|NO|no)"
)


def key_words(key: str) -> list[str]:
    """A JSON key's words, lower-cased: provider_txn_id -> provider, txn, id; transactionId -> transaction, id."""
    return [word.lower() for word in _KEY_WORDS.findall(key)]


def _classify(words: Sequence[str], key: str) -> KeyContext | None:
    if not words:
        return None
    if words[-1] in _ID_LAST:
        return "id"
    if any(w in _CARD_WORDS for w in words) or _JA_CARD.search(key):
        return "card"
    if words[-1] in _REFERENCE or _JA_REFERENCE.search(key):
        return "id"
    if words[-1] in _NUMBER_WORDS and any(w in _REFERENCE for w in words[:-1]):
        return "id"
    return None


def key_context(path: Iterable[object]) -> KeyContext | None:
    """What the keys above a JSON leaf say about it: "id" (an identifier of the platform), "card" (a card field), or
    None. `path` holds keys (str) and list indexes (int), and may hold other markers (the step into JSON held in a
    string): only the keys count. A generic leaf key (`number`, `no`, `value`, `code`) is read with its parent's:
    {"card": {"number": ...}} is a card, {"order": {"number": ...}} an id."""
    keys = [part for part in path if isinstance(part, str)]
    if not keys:
        return None
    leaf = keys[-1]
    words = key_words(leaf)
    if words and all(w in _GENERIC for w in words) and len(keys) > 1:
        return _classify(key_words(keys[-2]) + words, keys[-2] + leaf)
    return _classify(words, leaf)


# Kinds (free_text's names) that are number-shaped: under an id key they are the platform's identifiers.
NUMBER_KINDS = frozenset(
    {
        "card",
        "phone",
        "postal_code",
        "my_number",
        "corporate_number",
        "invoice_number",
        "bank_account",
        "bank_branch",
    }
)
