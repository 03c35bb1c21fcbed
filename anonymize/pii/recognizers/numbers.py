"""Numbers with check digits or labels: My Number, corporate number, invoice registration number, payment cards,
bank branch and account numbers.

A check digit alone passes one random number in ten, and order numbers and JAN codes are as long as these, so
My Number and corporate numbers also need their label nearby; an invoice number carries its own "T"; a card
needs a card network's IIN range and length, the Luhn check, and context (anonymize.context): card grouping, a cue
word, or a JSON key naming a card; bank numbers need a bank label (支店, 口座, 普通, 当座 ...) right before them.
"""

from __future__ import annotations

import re

from anonymize.context import CARD_LENGTHS, card_grouped, card_label_before, card_network, has_card_cue, is_card_number
from anonymize.pii import canonical
from anonymize.pii.gate import WORD_RIGHT, Clue
from anonymize.pii.recognizers.base import NUM_LEFT, NUM_RIGHT, Recognizer, preceded_by
from anonymize.pii.spans import BARE, CUE, Kind, Span
from anonymize.transformers.identifiers import corporate_number_valid, my_number_valid


def card_network_ok(digits: str) -> bool:
    """A real network's IIN range and length (anonymize.context.CARD_NETWORKS)."""
    return card_network(digits) is not None


_MY_NUMBER = re.compile(NUM_LEFT + r"\d{4}[ -]?\d{4}[ -]?\d{4}" + NUM_RIGHT)
_MY_NUMBER_CUE = re.compile(r"マイナンバー|個人番号|[Mm]y ?[Nn]umber|MY NUMBER|通知カード")
_CORPORATE = re.compile(NUM_LEFT + r"\d[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}" + NUM_RIGHT)
_CORPORATE_CUE = re.compile(r"法人番号|会社法人等番号|[Cc]orporate[ _][Nn]umber|[Cc]ompany[ _][Nn]umber|houjin_bangou")
_INVOICE = re.compile(r"(?<![0-9A-Za-z_\-])T ?-?\d{13}" + NUM_RIGHT)
_CARD = re.compile(NUM_LEFT + r"\d{4}(?:[ -]?\d{2,6}){2,4}" + NUM_RIGHT)
_ACCOUNT = re.compile(
    r"(?:(?:普通|当座|貯蓄|総合)(?:預金)?(?:口座)?|口座番号|口座|[Bb]ank [Aa]ccount(?: [Nn]o\.?| [Nn]umber)?|"
    r"[Aa]ccount (?:[Nn]o\.?|[Nn]umber)|[Aa]cct\.?(?: [Nn]o\.?)?)"
    r"\s*(?:[:：]\s*)?(?:No\.?\s*)?(?:番号\s*[:：]?\s*)?"
    rf"{NUM_LEFT}(?P<number>\d{{6,8}}){NUM_RIGHT}"
)
# Key=value spellings in logs and exports (account=1234567): only where the text is about a bank.
_KEYED_ACCOUNT = re.compile(
    rf"(?:bank_)?account(?:_number|_no)?\s*[=:]\s*[\"']?{NUM_LEFT}(?P<number>\d{{6,8}}){NUM_RIGHT}"
)
_KEYED_BRANCH = re.compile(
    rf"(?:bank_)?branch(?:_code|_no|_number)?\s*[=:]\s*[\"']?{NUM_LEFT}(?P<number>\d{{3}}){NUM_RIGHT}"
)
_BANK_CONTEXT = re.compile(r"[Bb]ank|[Bb]ranch|[Pp]ayout|銀行|支店|振込|口座")
_BRANCH = re.compile(
    r"(?:(?:支店番号|店番号|店番|支店コード|[Bb]ranch(?: [Cc]ode| [Nn]o\.?| [Nn]umber)?)\s*[:：]?\s*"
    r"|支店\s*[(（]\s*|支店\s*[:：]?\s*)"
    rf"{NUM_LEFT}(?P<number>\d{{3}}){NUM_RIGHT}"
)


class MyNumberRecognizer(Recognizer):
    name = "jp_my_number"
    kinds = frozenset({Kind.MY_NUMBER})
    needs = frozenset({"digit"})
    gate = _MY_NUMBER_CUE
    clues = (Clue(digits=12, seps=" -", right_bad=WORD_RIGHT),)  # _MY_NUMBER, ended by NUM_RIGHT

    def find(self, text: str) -> list[Span]:
        spans = []
        for match in _MY_NUMBER.finditer(text):
            digits = canonical.value(Kind.MY_NUMBER, match.group())
            if my_number_valid(digits) and preceded_by(text, match.start(), _MY_NUMBER_CUE, 20):
                spans.append(self.span(Kind.MY_NUMBER, *match.span(), 0.95, digits))
        return spans


class CorporateNumberRecognizer(Recognizer):
    name = "jp_corporate_number"
    kinds = frozenset({Kind.CORPORATE_NUMBER, Kind.INVOICE_NUMBER})
    needs = frozenset({"digit"})
    gate = re.compile("T|法人|[Cc]orporate|[Cc]ompany|houjin")
    clues = (Clue(digits=13, seps=" -", right_bad=WORD_RIGHT),)  # _INVOICE's 13 digits, _CORPORATE's 1+4+4+4

    def find(self, text: str) -> list[Span]:
        spans = []
        for match in _INVOICE.finditer(text):
            value = canonical.invoice(match.group())
            if corporate_number_valid(value[1:]):
                spans.append(self.span(Kind.INVOICE_NUMBER, *match.span(), 0.95, value))
        for match in _CORPORATE.finditer(text):
            digits = canonical.value(Kind.CORPORATE_NUMBER, match.group())
            if corporate_number_valid(digits) and preceded_by(text, match.start(), _CORPORATE_CUE, 20):
                spans.append(self.span(Kind.CORPORATE_NUMBER, *match.span(), 0.9, digits))
        return spans


class CardRecognizer(Recognizer):
    name = "card"
    kinds = frozenset({Kind.CARD})
    needs = frozenset({"digit"})
    # _CARD's groups joined by single spaces or hyphens, as many digits as the shortest network's card.
    clues = (Clue(digits=min(CARD_LENGTHS), seps=" -", right_bad=WORD_RIGHT),)

    def find(self, text: str) -> list[Span]:
        """Every Luhn-valid number of a network's range and length, with what else says it is a card: its grouping
        or a card-number label right before it (evidence ""), a cue word near it (CUE), or nothing (BARE: the
        detector keeps it only under a card key)."""
        spans = []
        for match in _CARD.finditer(text):
            digits = canonical.value(Kind.CARD, match.group())
            if not is_card_number(digits):
                continue
            if card_grouped(match.group()) or card_label_before(text, match.start()):
                evidence = ""
            elif has_card_cue(text, *match.span()):
                evidence = CUE
            else:
                evidence = BARE
            spans.append(self.span(Kind.CARD, *match.span(), 0.9, digits, evidence=evidence))
        return spans


class BankRecognizer(Recognizer):
    name = "jp_bank"
    kinds = frozenset({Kind.BANK_ACCOUNT, Kind.BANK_BRANCH})
    needs = frozenset({"digit"})
    gate = re.compile("普通|当座|貯蓄|総合|口座|[Aa]cc(?:oun)?t|支店|店番|[Bb]ranch")
    # The gate's words, then a number of 3 digits (a branch) or more (an account), ended by NUM_RIGHT.
    clues = (
        Clue(
            literals=("普通", "当座", "貯蓄", "総合", "口座", "Acct", "acct", "Account", "account", "支店", "店番",
                      "Branch", "branch"),
            digits=3,
            right_bad=WORD_RIGHT,
        ),
    )  # fmt: skip

    def find(self, text: str) -> list[Span]:
        spans = []
        patterns = [(_ACCOUNT, Kind.BANK_ACCOUNT), (_BRANCH, Kind.BANK_BRANCH)]
        if _BANK_CONTEXT.search(text):
            patterns += [(_KEYED_ACCOUNT, Kind.BANK_ACCOUNT), (_KEYED_BRANCH, Kind.BANK_BRANCH)]
        seen = set()
        for pattern, kind in patterns:
            for match in pattern.finditer(text):
                if match.span("number") not in seen:
                    seen.add(match.span("number"))
                    spans.append(self.span(kind, *match.span("number"), 0.85, match.group("number")))
        return spans
