"""Japanese addresses: prefecture → city/ward/town/village → district → 丁目/番/号 (or 1-2-3), then an optional
building and room.

A span needs the block-number part: "東京都" or "渋谷区の店舗" alone is a place, not someone's address. Without
a prefecture, the address must start at a ward or city name that stands at a boundary (after a label such as
住所/お届け先, punctuation or a space), so "配送先渋谷区..." can't begin mid-word.
"""

from __future__ import annotations

import re

from anonymize.pii import canonical
from anonymize.pii.gate import Clue
from anonymize.pii.recognizers.base import HIRAGANA, KANJI, KATAKANA, Recognizer, words
from anonymize.pii.spans import Kind, Span

PREFECTURES: tuple[str, ...] = words(
    "北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 東京都 神奈川県 "
    "新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 滋賀県 京都府 大阪府 兵庫県 "
    "奈良県 和歌山県 鳥取県 島根県 岡山県 広島県 山口県 徳島県 香川県 愛媛県 高知県 福岡県 佐賀県 長崎県 "
    "熊本県 大分県 宮崎県 鹿児島県 沖縄県"
)
PREFECTURE_PATTERN = "(?:" + "|".join(sorted(PREFECTURES, key=len, reverse=True)) + ")"

_NUM = r"\d{1,4}"
_UNIT_SUFFIX = r"(?:丁目|番地の?|番|号|条[東西南北]?|線|地割|-)"
# The block number: at least one arabic number with its unit (三丁目 style kanji numerals only before 丁目, so
# 一番町 stays part of the town name), and as many further numbers as follow.
_BLOCK = (
    rf"(?:[一二三四五六七八九十]{{1,3}}丁目|{_NUM}{_UNIT_SUFFIX})"
    rf"(?:{_NUM}{_UNIT_SUFFIX}?|[東西南北]{_NUM}{_UNIT_SUFFIX}?)*"
    rf"(?<!-)"
)
_NAME_CHARS = f"{KANJI}{KATAKANA}{HIRAGANA}・"
# Building and room: a name then a room/floor number ("シティ大中851", "ABCビル 5F", "メゾン青山 101号室"), never a
# phone label, and not the start of a longer number (a phone right after the address).
_BUILDING = (
    rf"(?: ?(?!TEL|Tel|tel|FAX|電話|携帯|連絡|〒)[{KANJI}{KATAKANA}A-Za-z・&]{{1,20}}"
    r" ?\d{1,4}(?:号室|F|階)?(?![\d\-]|\.\d)"
    r"| ?\d{1,4}号室)?"
)
_WITH_PREFECTURE = re.compile(rf"{PREFECTURE_PATTERN}[{_NAME_CHARS}]{{1,25}}?{_BLOCK}{_BUILDING}")
# Cities spelled in hiragana (the rest are kanji).
_KANA_CITIES = "|".join(
    words(
        "さいたま つくばみらい つくば ひたちなか かすみがうら いわき いすみ あきる野 ふじみ野 みどり みよし "
        "うきは えびの かほく みやま たつの さくら むつ つがる にかほ いなべ かつらぎ"
    )
)
_LEFT_EDGE = rf"(?:(?<=住所)|(?<=届け先)|(?<=配送先)|(?<=送付先)|(?<=所在地)|(?<![{KANJI}{KATAKANA}]))"
_WITHOUT_PREFECTURE = re.compile(
    rf"{_LEFT_EDGE}(?:[{KANJI}]{{1,5}}[市区町村郡]|(?:{_KANA_CITIES})市)(?!役所|町村|民|長|内|外|場|立)[{_NAME_CHARS}]{{0,20}}?{_BLOCK}{_BUILDING}"
)


class AddressRecognizer(Recognizer):
    name = "jp_address"
    kinds = frozenset({Kind.ADDRESS})
    needs = frozenset({"digit"})
    gate = re.compile("[都道府県市区町村郡]")
    clues = (Clue(literals=tuple("都道府県市区町村郡"), digits=1),)  # `applies`: the gate and a digit

    def find(self, text: str) -> list[Span]:
        spans = []
        taken_until = -1
        for match in _WITH_PREFECTURE.finditer(text):
            spans.append(self._span(text, match, 0.9))
            taken_until = match.end()
        for match in _WITHOUT_PREFECTURE.finditer(text):
            if match.start() >= taken_until or all(s.end <= match.start() or s.start >= match.end() for s in spans):
                spans.append(self._span(text, match, 0.75))
        return spans

    def _span(self, text: str, match: re.Match[str], score: float) -> Span:
        start, end = match.span()
        while end > start and text[end - 1] in " -":
            end -= 1
        return self.span(Kind.ADDRESS, start, end, score, canonical.address(text[start:end]))
