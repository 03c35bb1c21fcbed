"""Personal names found by their context: honorifics after them (田中様, ヤマダさん, 鈴木殿, Smith様), labels
before them (氏名: 山田 太郎, 担当：佐藤, 口座名義 ヤマダ タロウ, Dear Ms. Tanaka, Cardholder: TARO YAMADA),
and Latin-script first+last name pairs from the name dictionaries.

Japanese has no spaces between words, so the hard part is where a name starts: the kanji run before 様 may
carry words before the name (本日田中様, 担当田中様). Known prefixes are stripped and the surname dictionary
finds the start; runs that are roles rather than names (お客様, 担当者様, 店長さん, オーナー様) are refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache, lru_cache

from anonymize.pii import canonical
from anonymize.pii.gate import ASCII_SPACES, Clue
from anonymize.pii.names import (
    COMMON_WORDS,
    given_at,
    ja_given_prefixes,
    ja_surname_prefixes,
    ja_surnames,
    latin_first_names,
    latin_last_names,
    latin_name_token,
    surname_at,
    surnames_at,
)
from anonymize.pii.recognizers.base import HIRAGANA, KANJI, KATAKANA, Recognizer, scan, words
from anonymize.pii.spans import Kind, Span
from anonymize.speedups import NATIVE

_HONORIFIC = re.compile(
    r"(?<![同仕模多異一王神殿奥皆各貴])様(?![子式々相])|さま|さん(?![まごぽ])|殿(?![下堂様方])|氏(?![名族神])|君(?![主臨])|くん|ちゃん"
)
_LABEL_END = r"(?:様|さま)?(?:\s*[:：=]\s*[\"'「]?|\s*は\s*|\s*の\s*|\s+)?"
# Every alternative starts with a literal, so `re` skips ahead by first character.
_JA_LABEL = re.compile(
    r"(?:(?P<greeting>いつもお世話になっております|お世話になっております|お世話になります|いつもありがとうございます|"
    r"ありがとうございます|お疲れ様です|お疲れさまです|こんにちは|はじめまして|初めまして|失礼いたします)[。、]\s*"
    r"|(?:お客様名|お客様|顧客名|氏名|お名前|名前|担当者名|担当者|担当|口座名義人|口座名義|名義人|名義|受取人名|受取人|"
    r"ご依頼主|依頼者|依頼主|申込者|契約者|宛名|差出人|送り主|購入者|注文者|連絡者|代表者|会員名|フリガナ|ふりがな)"
    + _LABEL_END
    # the account holder's name follows the account number in transfer details: 普通 1234567 ヤマダ タロウ
    + r"|(?:普通|当座|貯蓄)(?:預金)?\s*[:：]?\s*\d{6,8}\s+)"
)
# Keys in logs and exports (name="...", holder=...); run only when one of _KEY_WORDS is in the text.
_KEY_WORDS = ("name", "holder", "kana", "shimei")  # (spelled out again in _find_ascii)
_KEY_LABEL = re.compile(
    r"(?<![A-Za-z_])(?:full_name|customer_name|account_holder|card_holder|cardholder|holder|name|kana|shimei)"
    + _LABEL_END
)
# A greeting-introduced name must be followed by one of these ("お世話になっております。山田です。").
_SELF_INTRO_END = ("です", "と申します", "でございます")
_SELF_NAMING = re.compile("と申します|と申しま")
# 山田太郎（ヤマダタロウ）様: a name with its reading in brackets, the honorific after the reading.
_WITH_READING = re.compile(
    f"([{KANJI}]{{1,6}}(?: [{KANJI}]{{1,4}})?)\\(([{KATAKANA}{HIRAGANA}]+(?: [{KATAKANA}{HIRAGANA}]+)?)\\) ?\\Z"
)
_WITH_READING_ANYWHERE = re.compile(f"[{KANJI}]\\((?P<reading>[{KATAKANA}{HIRAGANA}]+(?: [{KATAKANA}{HIRAGANA}]+)?)\\)")
# 03-1234-5678（田中）: a surname in brackets right after a phone number or an email.
_AFTER_CONTACT = re.compile(f"(?<=[0-9A-Za-z]) ?\\((?P<name>[{KANJI}]{{1,6}}|[{KATAKANA}]{{2,12}})\\)")
# A signature: 。田中より at the end of a line.
_SIGNATURE = re.compile(f"(?:^|(?<=[。、\\n ]))(?P<name>[{KANJI}]{{1,4}})より(?=\\Z|\\n|[。!！])")
# (株)テスト ヤマダ様: a katakana word right after a company mark is the company's name, not the person's.
_COMPANY_MARK = re.compile(r"(?:\((?:株|有|同)\)|株式会社|有限会社|合同会社) ?\Z")
# Does a text have anything the person recognizer looks for? (The detector's pre-scan for the "name" feature.)
_CAPITAL = re.compile("[A-Z]")
_EN_TITLE = re.compile(r"\b(?P<title>Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.? ")
# (?<!\w) is \b before a label's first letter (every label starts with one), and faster: 6.9 -> 5.6 us on a review.
_EN_LABEL = re.compile(
    r"(?<!\w)(?:Dear|Hi|Hello|Attn\.?|ATTN\.?|[Cc]ustomer(?: [Nn]ame)?|[Cc]ontact(?: [Pp]erson)?|"
    r"[Cc]ardholder(?: [Nn]ame)?|[Aa]ccount [Hh]older|[Nn]ame|[Cc]aller|[Ss]igned by|[Rr]equested by|"
    r"[Rr]eported by|[Ss]ubmitted by|[Hh]andled by|"
    r"[Aa]pproved by|[Ff]rom|[Bb]y|[Cc]c|[Tt]o|[Ss]taff|[Oo]perator|[Aa]gent)\s*:?\s+"
)
_EN_SAN = re.compile(r"\b(?P<name>[A-Z][a-z]+)(?P<h>[- ](?:san|sama|sensei|kun))\b")
_EN_PAIR = re.compile(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b")
# What a title's, a label's and a pair's name all start with: a capital right after whitespace (_EN_TITLE and
# _EN_LABEL end in whitespace and _LATIN_HEAD starts with a capital; _EN_PAIR's second word). Without one, of the
# Latin patterns only _EN_SAN can find a name ("Order #HT9VJ3IP", a payload's "Port Isaiahfurt" has one).
_SPACE_CAPITAL = re.compile(r"\s[A-Z]")

_LATIN_WORD = r"[A-Z][a-zA-Z'\-]+|[A-Z]{2,}"
_LATIN_HEAD = re.compile(rf"(?:{_LATIN_WORD})(?: (?:{_LATIN_WORD})){{0,2}}")
_LATIN_TAIL = re.compile(rf"(?<![A-Za-z])(?:(?:{_LATIN_WORD}) ){{0,2}}(?:{_LATIN_WORD})\Z")
_KATA_HEAD = re.compile(f"[{KATAKANA}]+(?:[ ・][{KATAKANA}]+)?")
_KATA_TAIL = re.compile(f"[{KATAKANA}]+(?:[ ・][{KATAKANA}]+)?\\Z")
_KANJI_HEAD = re.compile(
    f"[{KANJI}]{{1,8}}(?: [{KANJI}]{{1,4}}(?![{KANJI}])| [{HIRAGANA}]{{2,4}}(?=[様さ殿氏君くち]))?"
)
_KANJI_TAIL = re.compile(f"[{KANJI}]+(?: [{KANJI}]{{1,4}}| [{HIRAGANA}]{{2,4}})?\\Z")

# Words that end up in the kanji run before a name: dropped from its start.
_PREFIX_WORDS = tuple(
    sorted(
        words(
            "本日 先日 昨日 今日 明日 後日 先程 担当者 担当 顧客 会員 新規 既存 配達先 配送先 届け先 宛先 "
            "送付先 依頼者 依頼主 注文者 購入者 申込者 契約者 受取人 差出人 名義人 名義 本人 上記 下記 至急 要 "
            "再 旧姓 連絡 対応 確認 電話 架電 返金 返品 来店 予約 常連 代理 家族 氏名 宛名 様 済"
        ),
        key=len,
        reverse=True,
    )
)
# Words that end a name in the run after a label (担当山田対応済 -> 山田).
_SUFFIX_WORDS = tuple(
    sorted(
        words(
            "対応済 対応 確認済 確認 連絡済 連絡 済 宛 予定 不在 希望 着 発 依頼 返金 注文 変更 登録 本人 店長 "
            "より 様 殿 氏 君 来店 受付 了承 承認 記入 署名"
        ),
        key=len,
        reverse=True,
    )
)
# Units written right after a number (431号室 久遠様, 2名様): not part of a name.
_UNITS = tuple(
    sorted(words("号室 丁目 番地 号 番 名 点 個 件 枚 階 円 月 日 時 分 年 回 人 部屋 室"), key=len, reverse=True)
)
# Runs that are roles, relations or common nouns, not names.
_NOT_NAMES = frozenset(
    words(
        "お客 客 皆 各位 貴社 御社 弊社 当社 先方 当方 相手 本人 奥 旦那 母 父 姉 兄 弟 妹 祖母 祖父 息子 娘 "
        "子供 家族 仕 同 模 多 王 神 仏 殿 上 彼 両 諸 某 各 貴 店長 社長 部長 課長 係長 主任 店員 担当 会員 "
        "利用者 加盟店 店舗 業者 配達員 運転手 取引先 管理者 関係者 先生 大家 皆様 様々 同様 一般 新規 既存 "
        "常連 代理 運送 配送 配達 宅配 業務 事務 受付 窓口 本部 本社 支店 営業 経理 総務 人事 営業部 経理部 "
        "総務部 人事部 開発部 管理部 技術部 製造部 購買部 法人 個人 顧客 利用 購入 注文 確認 連絡 対応 返金 "
        "決済 未定 不明 無し 以上"
    )
)
# (Not 部: 長谷部, 日下部, 服部 ... are surnames; departments are in _NOT_NAMES.)
_TITLE_ENDINGS = frozenset("者員長社店局課係所館院会様家客族")
# Words that a label-introduced kanji run of an unknown name would not contain.
_NOT_NAME_PARTS = (
    "番号", "情報", "管理", "部署", "変更", "確認", "対応", "未定", "不明", "予約", "注文", "金額", "記入", "住所",
    "店", "社", "者", "円", "件", "様", "済", "品",
)  # fmt: skip
_KATA_NOT_NAMES = frozenset(
    words(
        "ユーザー オーナー メンバー ゲスト カスタマー スタッフ ドライバー クライアント ショップ パートナー "
        "オペレーター サポート マネージャー マネジャー リーダー チーム ママ パパ サンタ ファン ホスト ベンダー "
        "メーカー センター デスク カード サービス ストア テナント ユーザ オーナ スタッフー ペイペイ ラインペイ "
        "レジ アプリ システム ポイント カスタマーサポート お客 ゲスト ホテル フロント"
    )
)
_LATIN_NOT_NAMES = frozenset(
    words(
        "team customer support staff admin administrator user shop store owner manager sir madam all there "
        "everyone merchant operator service desk center centre sales billing the a an dear hello hi thanks "
        "thank regards visa mastercard jcb amex paypay rakuten line pay apple google tokyo osaka japan order "
        "refund ok"
    )
)


class PersonRecognizer(Recognizer):
    name = "person"
    kinds = frozenset({Kind.PERSON})
    needs = frozenset({"name"})
    # Every Japanese pattern needs a character beyond ASCII. In ASCII text: the Latin ones need a space (_EN_TITLE,
    # _EN_LABEL, _EN_PAIR) or an honorific word (_EN_SAN, "Taro-san"), _KEY_LABEL one of _KEY_WORDS.
    clues = (
        Clue(non_ascii=True),
        Clue(literals=tuple(ASCII_SPACES)),
        Clue(literals=(*_KEY_WORDS, "san", "sama", "sensei", "kun")),
    )

    def find(self, text: str) -> list[Span]:
        return self._find_ascii(text) if text.isascii() else self._find_all(text)

    def _find_ascii(self, text: str) -> list[Span]:
        """`_find_all` of an ASCII text. Every Japanese pattern needs a character beyond ASCII (the honorifics, the
        labels, the brackets around a kanji or kana name, より, と申します): in ASCII text only the key labels and
        the Latin patterns can match, tried in _find_all's order (tests/anonymize/pii/test_detector_fast_paths.py
        holds the two equal)."""
        spans: list[Span] = []
        # _KEY_WORDS spelled out: a call and a loop less on every ASCII text (most texts reaching here)
        if "name" in text or "holder" in text or "kana" in text or "shimei" in text:
            spans = [s for s in map(self._after_key_label, _KEY_LABEL.finditer(text)) if s is not None]
        if _latin_candidates is not None:  # every Latin candidate holds a capital: no capital check first
            candidates = _latin_candidates(text)
            if candidates:
                spans.extend(self._latin_decided(text, candidates))
        elif _has_latin_capital(text):
            spans.extend(self._latin(text))
        return spans

    def _find_all(self, text: str) -> list[Span]:
        """Every pattern, whatever the text's script."""
        spans: list[Span] = []
        for match in _HONORIFIC.finditer(text):
            span = self._before_honorific(text, match.start(), match.group())
            if span:
                spans.append(span)
        for match in _when(_WITH_READING_ANYWHERE, text, ")"):
            if _HONORIFIC.match(text, match.end() + (text[match.end() : match.end() + 1] == " ")):
                spans.append(self._person(*match.span("reading"), 0.85, text, None))
        for match in _when(_AFTER_CONTACT, text, "("):
            name = match.group("name")
            if name[-1] in "様殿氏":
                continue  # （原田結菜様）: the honorific rule finds it
            if (surname_at(name) or "\u30a1" <= name[0] <= "\u30fa") and name not in _KATA_NOT_NAMES:
                spans.append(self._person(*match.span("name"), 0.75, text, None))
        for match in _when(_SIGNATURE, text, "より"):
            name = _strip_suffix_words(match.group("name"))  # 高橋氏より: the honorific rule has it
            if surname_at(name) and name == match.group("name"):
                spans.append(self._person(*match.span("name"), 0.75, text, None))
        for match in _when(_SELF_NAMING, text, "申し"):
            span = self._before_honorific(text, match.start(), None)
            if span:
                spans.append(span)
        labels = [*_JA_LABEL.finditer(text)]
        if any(word in text for word in _KEY_WORDS):
            labels += _KEY_LABEL.finditer(text)
        for match in labels:
            span = self._after_ja_label(text, match.end())
            if span and (not match.groupdict().get("greeting") or _self_introduced(text, span)):
                spans.append(span)
        if _has_latin_capital(text):
            spans.extend(self._latin(text))
        if not text.isascii():
            spans.extend(self._ja_full_names(text))
        return spans

    def _after_key_label(self, match: re.Match[str]) -> Span | None:
        """find's label rule for a key label (name=, holder: ...), which greets nobody."""
        return self._after_ja_label(match.string, match.end())

    def _ja_full_names(self, text: str) -> list[Span]:
        """Full names with no cue at all (鈴木一郎から電話, VIP order for 山田花子): a dictionary surname then a pool
        given name, spanning a whole kanji run (a name written in kanji and kana, 佐藤くみ子, ends where the
        kana does, or at a particle or an honorific)."""
        spans = []
        for match in _name_start().finditer(text):  # a kanji run's start, past a word like 本日 or 担当
            run_start = match.start()
            starts = [run_start] + [run_start + len(w) for w in _prefix_words_at(text, run_start)]
            spans.extend(self._ja_full_name_from(text, starts))
        return spans

    def _ja_full_name_from(self, text: str, starts: list[int]) -> list[Span]:
        """The full name starting at the first of `starts` where one does (a run may begin with 本日, 担当 ...)."""
        found = _ja_full_name(text, starts)
        if found is None:
            return []
        start, end = found
        return [self._person(start, end, 0.7, text, _honorific_at(text, end))]

    # -- Japanese ---------------------------------------------------------------------------------------------
    def _before_honorific(self, text: str, pos: int, honorific: str | None) -> Span | None:
        end = pos - 1 if pos > 0 and text[pos - 1] == " " else pos
        window_start = max(0, end - 30)
        window = text[window_start:end]
        if window.endswith(")"):
            reading = _WITH_READING.search(window)
            if reading is None:
                return None
            start = window_start + reading.start(1)
            # (the reading itself is found by _WITH_READING_ANYWHERE in find())
            return self._person(start, start + len(reading.group(1)), 0.85, text, honorific)
        latin = _LATIN_TAIL.search(window)
        if latin and _latin_ok(latin.group().split(" "), need_dictionary=False):
            return self._person(window_start + latin.start(), end, 0.85, text, honorific)
        kata = _KATA_TAIL.search(window)
        if kata:
            start = window_start + kata.start()
            tokens = re.split("[ ・]", kata.group())
            if len(tokens) == 2 and (tokens[0] in _KATA_NOT_NAMES or _COMPANY_MARK.search(text, 0, start)):
                start = end - len(tokens[1])
                tokens = tokens[1:]
            if all(_kata_ok(t) for t in tokens):
                return self._person(start, end, 0.8, text, honorific)
            return None
        kanji = _KANJI_TAIL.search(window)
        if kanji:
            begin = window_start + kanji.start()
            trimmed = _trim_kanji_run(kanji.group(), after_digit=begin > 0 and text[begin - 1].isdigit())
            if trimmed is not None:
                offset, length = trimmed
                start = window_start + kanji.start() + offset
                return self._person(start, start + length, 0.85, text, honorific)
        return None

    def _after_ja_label(self, text: str, pos: int) -> Span | None:
        label = _JA_LABEL.match(text, pos)
        if label and label.end() > pos:
            return None  # another label ("普通 1234567 名義 ヤマダ"): the name is after that one
        latin = _LATIN_HEAD.match(text, pos)
        if latin:
            tokens = latin.group().split(" ")
            if _latin_ok(tokens, need_dictionary=True):
                return self._person(pos, latin.end(), 0.8, text, _honorific_at(text, latin.end()))
            return None
        kata = _KATA_HEAD.match(text, pos)
        if kata:
            tokens = re.split("[ ・]", kata.group())
            if all(_kata_ok(t) for t in tokens):
                return self._person(pos, kata.end(), 0.8, text, _honorific_at(text, kata.end()))
            return None
        kanji = _KANJI_HEAD.match(text, pos)
        if not kanji:
            return None
        name = _strip_suffix_words(kanji.group())
        if not name or name[0] == " ":
            return None
        end = pos + len(name)
        surname = surname_at(name)
        # Up to 7 characters: a four-character surname and a three-character given name (勅使河原由美子).
        if not surname and (len(name.replace(" ", "")) > 7 or any(part in name for part in _NOT_NAME_PARTS)):
            return None
        if not surname and len(name) < 2:
            return None
        if name in _NOT_NAMES or name.split(" ")[0] in _NOT_NAMES:
            return None
        return self._person(pos, end, 0.85 if surname else 0.75, text, _honorific_at(text, end))

    def _person(self, start: int, end: int, score: float, text: str, honorific: str | None) -> Span:
        return self.span(Kind.PERSON, start, end, score, _person_value(text[start:end]), honorific)

    # -- Latin script -------------------------------------------------------------------------------------------
    def _latin(self, text: str) -> list[Span]:
        """`_latin_all`'s spans, from the C scan's candidates when built (tests/anonymize/pii/test_person_latin.py
        and test_detector_fast_paths.py hold the two equal)."""
        if _latin_candidates is None:
            if _SPACE_CAPITAL.search(text) is None:  # of the Latin patterns only _EN_SAN's can match
                spans: list[Span] = []
                self._latin_san(text, spans)
                return spans
            return self._latin_all(text)
        return self._latin_decided(text, _latin_candidates(text))

    def _latin_decided(self, text: str, candidates: list[tuple[int, int, int, int]]) -> list[Span]:
        """The spans of `latin_candidates_reference(text)`'s candidates, each decided as `_latin_all` decides its
        match, in its order."""
        spans: list[Span] = []
        pair_from = 0  # scan()'s position: a pair found consumes its characters, a rejected one its first
        for code, start, end, extra in candidates:
            if code == _PAIR:
                if start >= pair_from:
                    if _dictionary_pair(text, start, end):
                        spans.append(self._person(start, end, 0.7, text, None))
                        pair_from = end
                    else:
                        pair_from = start + 1
            elif code == _LABEL:
                tokens = _trim_latin(text[start:end].split(" "))
                if tokens and _latin_ok(tokens, need_dictionary=True):
                    spans.append(self._person(start, start + len(" ".join(tokens)), 0.75, text, None))
            elif code == _TITLE:
                if _latin_ok(text[start:end].split(" "), need_dictionary=False):
                    # the title as _EN_TITLE's match, stripped: its characters up to the space before the head
                    spans.append(self._person(start, end, 0.85, text, text[extra : start - 1]))
            elif text[start:end].casefold() not in _LATIN_NOT_NAMES:  # _SAN
                spans.append(self._person(start, end, 0.8, text, text[end:extra]))
        return spans

    def _latin_all(self, text: str) -> list[Span]:
        """Every Latin pattern, by the regexes (the definition `_latin` is held to)."""
        spans: list[Span] = []
        for match in _when(_EN_TITLE, text, "Mr", "Ms", "Mi", "Mx", "Dr", "Prof"):
            head = _LATIN_HEAD.match(text, match.end())
            if head and _latin_ok(head.group().split(" "), need_dictionary=False):
                spans.append(self._person(head.start(), head.end(), 0.85, text, match.group().strip()))
        for match in _EN_LABEL.finditer(text):
            head = _LATIN_HEAD.match(text, match.end())
            if head:
                tokens = _trim_latin(head.group().split(" "))
                if tokens and _latin_ok(tokens, need_dictionary=True):
                    end = head.start() + len(" ".join(tokens))
                    spans.append(self._person(head.start(), end, 0.75, text, None))
        self._latin_san(text, spans)
        for match in scan(_EN_PAIR, text, _dictionary_pair_match):
            spans.append(self._person(*match.span(), 0.7, text, None))
        return spans

    def _latin_san(self, text: str, spans: list[Span]) -> None:
        """Taro-san, Tanaka sama ...: appended to `spans`."""
        for match in _when(_EN_SAN, text, "san", "sama", "sensei", "kun"):
            if match.group("name").casefold() not in _LATIN_NOT_NAMES:
                spans.append(self._person(*match.span("name"), 0.8, text, match.group("h")))


_HOUSE_NUMBER = re.compile(r"\d[\dA-Za-z\-/]*,? \Z")
_KANA_AFTER = re.compile(f"[{HIRAGANA}]")
# After a name in kana, what may follow: an honorific, a particle, punctuation.
_AFTER_KANA_NAME = (
    "さん",
    "さま",
    "様",
    "くん",
    "ちゃん",
    "が",
    "は",
    "の",
    "に",
    "を",
    "と",
    "も",
    "へ",
    "から",
    "より",
    "です",
)


@lru_cache(maxsize=1 << 14)
def _person_value(name: str) -> str:
    """canonical.value of a name found (a pure function): notes name the same staff and customers again and again,
    and a label and a first+last pair often find the same name in one text."""
    return canonical.value(Kind.PERSON, name)


@cache
def _name_start() -> re.Pattern[str]:
    """Where a kanji run starts with a dictionary surname's first character, or with a word before one (本日田中):
    the only places a full name with no cue can start."""
    initials = "".join(sorted(re.escape(c) for c in ja_surname_prefixes()))
    prefixes = "|".join(re.escape(w) for w in _PREFIX_WORDS)
    return re.compile(f"(?<![{KANJI}{KATAKANA}])(?:{prefixes})?[{initials}]")


def _name_ends(text: str, end: int, given: str) -> bool:
    """Does a given name end at `end`: not inside a longer kanji word (山田太郎丸), nor in the middle of kana?"""
    after = text[end : end + 1]
    if not after:
        return True
    if re.match(f"[{KANJI}{KATAKANA}]", after):
        return False
    if _KANA_AFTER.match(after) and _KANA_AFTER.match(given[-1]):
        return text.startswith(_AFTER_KANA_NAME, end)
    return True


def ja_full_name_reference(text: str, starts: list[int]) -> tuple[int, int] | None:
    """Where the first full name with no cue is, from the first of `starts` where one starts: a dictionary surname
    (longest first), an optional space, then the first pool given name (longest first) that ends there
    (`_name_ends`). The definition of anonymize/csrc/person_ja.c (tests/anonymize/pii/test_person_ja.py)."""
    for start in starts:
        for surname in surnames_at(text, start):
            middle = start + len(surname)
            gap = 1 if text[middle : middle + 1] in (" ", "\u3000") else 0
            given = next((g for g in given_at(text, middle + gap) if _name_ends(text, middle + gap + len(g), g)), None)
            if given is not None:
                return start, middle + gap + len(given)
    return None


def _ja_full_name_native(text: str, starts: list[int]) -> tuple[int, int] | None:
    return NATIVE.person_ja_full_name(  # type: ignore[no-any-return,union-attr]
        text, starts, ja_surname_prefixes(), ja_given_prefixes(), _AFTER_KANA_NAME
    )


# The C loops when built: Python made a tuple of the surnames (and given names) a text spells at each start, a
# startswith call per dictionary entry with the right first character.
_ja_full_name: Callable[[str, list[int]], tuple[int, int] | None] = (
    _ja_full_name_native if getattr(NATIVE, "person_ja_full_name", None) is not None else ja_full_name_reference
)


def _self_introduced(text: str, span: Span) -> bool:
    """After a greeting, a name is one only as "<name>です" / "<name>と申します" — and not a word like 本日."""
    return text.startswith(_SELF_INTRO_END, span.end) and text[span.start : span.end] not in _PREFIX_WORDS


def _when(pattern: re.Pattern[str], text: str, *needles: str) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)`, skipped when none of the literal `needles` it can't match without is in the text
    (a substring test costs far less than a regex scan)."""
    for needle in needles:  # (a loop, not any() over a generator: this runs several times per text)
        if needle in text:
            return pattern.finditer(text)
    return iter(())


def _dictionary_pair(text: str, start: int, end: int) -> bool:
    """ "Emily Martin" at text[start:end]: a first name then a last name, both in the dictionaries, not both everyday
    words ("Grace Hill"). (Scanned so that a rejected "Per Emily" still lets "Emily Martin" be tried.)"""
    first, last = text[start:end].casefold().split(" ")
    if first in COMMON_WORDS and last in COMMON_WORDS:
        return False
    if _HOUSE_NUMBER.search(text, 0, start):
        return False  # "75400 Timothy Street": a street named after somebody, in an address
    return first in latin_first_names() and last in latin_last_names() and not {first, last} & _LATIN_NOT_NAMES


def _dictionary_pair_match(match: re.Match[str]) -> bool:
    return _dictionary_pair(match.string, match.start(), match.end())


# The codes of latin_candidates_reference's (and person_latin.c's) candidates.
_TITLE, _LABEL, _SAN, _PAIR = 0, 1, 2, 3


def latin_candidates_reference(text: str) -> list[tuple[int, int, int, int]]:
    """What `_latin_all`'s regexes match, for its loops to decide, as (code, start, end, extra) in its order:
    (_TITLE, head start, head end, title start) for an _EN_TITLE match with a _LATIN_HEAD after it; (_LABEL, head
    start, head end, 0) likewise for _EN_LABEL; (_SAN, name start, name end, match end) for _EN_SAN; (_PAIR, start,
    end, 0) for every position where _EN_PAIR matches (scan() picks among them). Without a capital after whitespace
    only _EN_SAN can match. The definition of anonymize/csrc/person_latin.c (tests/anonymize/pii/test_person_latin.py
    holds the two equal)."""
    found: list[tuple[int, int, int, int]] = []
    spaced = _SPACE_CAPITAL.search(text) is not None
    if spaced:
        for match in _EN_TITLE.finditer(text):
            if head := _LATIN_HEAD.match(text, match.end()):
                found.append((_TITLE, head.start(), head.end(), match.start()))
        for match in _EN_LABEL.finditer(text):
            if head := _LATIN_HEAD.match(text, match.end()):
                found.append((_LABEL, head.start(), head.end(), 0))
    for match in _EN_SAN.finditer(text):
        found.append((_SAN, match.start(), match.end("name"), match.end()))
    if spaced:
        pos = 0
        while (match := _EN_PAIR.search(text, pos)) is not None:
            found.append((_PAIR, match.start(), match.end(), 0))
            pos = match.start() + 1
    return found


# The C scan when built: the regexes tried their lookbehinds and alternatives at every character of a text with a
# capital, and made a match object per candidate.
_latin_candidates: Callable[[str], list[tuple[int, int, int, int]]] | None = getattr(NATIVE, "person_latin", None)


def _has_latin_capital(text: str) -> bool:
    return _CAPITAL.search(text) is not None


def _honorific_at(text: str, pos: int) -> str | None:
    match = _HONORIFIC.match(text, pos + 1 if text[pos : pos + 1] == " " else pos)
    return match.group() if match else None


def _kata_ok(token: str) -> bool:
    return len(token) >= 2 and token not in _KATA_NOT_NAMES and not token.startswith("ー")


def _latin_ok(tokens: list[str], need_dictionary: bool) -> bool:
    folded = [t.casefold() for t in tokens]
    if any(t in _LATIN_NOT_NAMES for t in folded):
        return False
    return not need_dictionary or any(latin_name_token(t) for t in tokens)


def _trim_latin(tokens: list[str]) -> list[str]:
    """Drop trailing capitalized words that aren't names ("Requested by John Smith Tokyo" -> John Smith)."""
    while len(tokens) > 1 and not latin_name_token(tokens[-1]):
        tokens = tokens[:-1]
    return tokens


# _PREFIX_WORDS by first character and _SUFFIX_WORDS by last, each in its list's order: a word can only match where
# the text has its first (last) character, and the loops over the whole lists were most of a Japanese note's
# startswith/endswith calls (~300k for 2,300 reviews).
_PREFIX_BY_FIRST: dict[str, tuple[str, ...]] = {
    w[0]: tuple(v for v in _PREFIX_WORDS if v[0] == w[0]) for w in _PREFIX_WORDS
}
_SUFFIX_BY_LAST: dict[str, tuple[str, ...]] = {
    w[-1]: tuple(v for v in _SUFFIX_WORDS if v[-1] == w[-1]) for w in _SUFFIX_WORDS
}


def _prefix_words_at(text: str, pos: int) -> list[str]:
    """The words of _PREFIX_WORDS that `text` spells from `pos`, in the list's order."""
    return [w for w in _PREFIX_BY_FIRST.get(text[pos : pos + 1], ()) if text.startswith(w, pos)]


def _strip_suffix_words(run: str) -> str:
    changed = True
    while changed:
        changed = False
        for word in _SUFFIX_BY_LAST.get(run[-1:], ()):
            if run.endswith(word) and len(run) > len(word):
                run = run[: -len(word)].rstrip()
                changed = True
                break
    return run


def _word_then_name(first: str, second: str) -> bool:
    """In a spaced kanji pair "A B" before an honorific, is A a word rather than a surname?"""
    return (
        first in _PREFIX_WORDS
        or first in _NOT_NAMES
        or first[-1] in "様殿氏"
        or (surname_at(second) is not None and surname_at(first) is None)
    )


def _trim_kanji_run(run: str, after_digit: bool = False) -> tuple[int, int] | None:
    """Where the name is inside the kanji run before an honorific: (offset, length), or None for no name.
    `after_digit`: the run follows a digit, so it may start with a unit (431号室 久遠様, 2名様)."""
    offset = 0
    head = run.split(" ")[0]
    if after_digit:
        unit = next((u for u in _UNITS if head.startswith(u)), None)
        if unit is not None:
            if unit == head:  # the whole first part is the unit: the name is the next part, if any
                return (len(head) + 1, len(run) - len(head) - 1) if " " in run else None
            offset = len(unit)
    stripped = True
    while stripped:
        stripped = False
        for word in _PREFIX_BY_FIRST.get(head[offset : offset + 1], ()):
            if head.startswith(word, offset) and len(head) - offset > len(word):
                offset += len(word)
                stripped = True
                break
    if not surname_at(run, offset):
        for pos in range(offset + 1, len(head) - 1):
            found = surname_at(run, pos)
            if found and len(found) >= 2:
                offset = pos
                break
    parts = run[offset:].split(" ")
    if len(parts) == 2 and _word_then_name(parts[0], parts[1]):
        offset = len(run) - len(parts[1])  # "予約 鈴木", "客様 蜂谷": a word, then the name
    name = run[offset:]
    compact = name.replace(" ", "")
    if len(compact) > (7 if " " in name else 6):  # 勅使河原 由美子: a long surname and given name, spaced
        return None
    if name in _NOT_NAMES or name.split(" ")[0] in _NOT_NAMES:
        return None
    if name[-1] in _TITLE_ENDINGS and name not in ja_surnames():
        return None
    if len(compact) == 1 and compact not in ja_surnames():
        return None
    return offset, len(name)
