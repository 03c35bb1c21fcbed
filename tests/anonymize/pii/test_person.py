"""Personal names by context: honorifics, labels, readings, Latin-script names — and roles that are not names."""

from __future__ import annotations

import pytest

from anonymize.pii import Kind, PiiDetector

DETECTOR = PiiDetector()


def names(text: str) -> list[tuple[str, str | None]]:
    return [(text[s.start : s.end], s.honorific) for s in DETECTOR.detect(text) if s.kind is Kind.PERSON]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("田中様 折り返し希望", [("田中", "様")]),
        ("山田太郎様より入電", [("山田太郎", "様")]),
        ("山田 太郎 様", [("山田 太郎", "様")]),
        ("佐々木さんに確認", [("佐々木", "さん")]),
        ("鈴木殿", [("鈴木", "殿")]),
        ("高橋氏より", [("高橋", "氏")]),
        ("林様", [("林", "様")]),  # one-character surname from the dictionary
        ("勅使河原様", [("勅使河原", "様")]),  # not in the dictionary: the honorific is enough
        ("本日田中様より連絡", [("田中", "様")]),  # words before the name are not the name
        ("担当田中様", [("田中", "様")]),
        ("予約 鈴木さん 2名", [("鈴木", "さん")]),
        ("3号室 田中様", [("田中", "様")]),
        ("090-1234-5678山田様", [("山田", "様")]),
        ("ヤマダ タロウ様", [("ヤマダ タロウ", "様")]),
        ("ジョン・スミス様", [("ジョン・スミス", "様")]),
        ("ﾔﾏﾀﾞ ﾀﾛｳ様", [("ﾔﾏﾀﾞ ﾀﾛｳ", "様")]),
        ("Smith様", [("Smith", "様")]),
        ("田中太郎（タナカタロウ）様", [("田中太郎", "様"), ("タナカタロウ", None)]),
        ("たけしくんの誕生日", []),  # hiragana names are not attempted
        ("健太くんの誕生日", [("健太", "くん")]),
    ],
)
def test_names_before_honorifics(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("担当：佐藤", ["佐藤"]),
        ("担当は佐藤です", ["佐藤"]),
        ("担当の小林がお電話しました", ["小林"]),
        ("氏名 山田 太郎", ["山田 太郎"]),
        ("お名前：五百蔵翔太　メール", ["五百蔵翔太"]),
        ("ご注文者様：鈴木 一郎　ご連絡先", ["鈴木 一郎"]),
        ("口座名義 ヤマダ タロウ", ["ヤマダ タロウ"]),
        ("普通 1234567 ヤマダタロウ", ["ヤマダタロウ"]),
        ("受取人：Smith John", ["Smith John"]),
        ('customer.create name="長谷川恵子" email', ["長谷川恵子"]),
        ("holder=サトウ ケイコ", ["サトウ ケイコ"]),
        ("お世話になっております。久遠直樹です。", ["久遠直樹"]),
        ("いつもありがとうございます。鈴木です。明日発送します。", ["鈴木"]),
        ("お疲れ様です。二階堂です。", ["二階堂"]),
        ("メール a@example.com（原田結菜様）", ["原田結菜"]),
        ("山田と申します", ["山田"]),
        ("090-1234-5678（山田）", ["山田"]),
        ("ありがとうございました。田中より", ["田中"]),
        ("担当山田対応済", ["山田"]),
    ],
)
def test_names_after_labels(text: str, expected: list[str]) -> None:
    assert [n for n, _ in names(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dear Ms. Suzuki,", [("Suzuki", "Ms.")]),
        ("Mr. John Tanaka called", [("John Tanaka", "Mr.")]),
        ("Requested by John Smith at noon", [("John Smith", None)]),
        ("Customer Emily Clark called", [("Emily Clark", None)]),
        ("Tanaka-san will visit", [("Tanaka", "-san")]),
        ("From: Taro Yamada <x>", [("Taro Yamada", None)]),
        ("Cardholder: TARO YAMADA", [("TARO YAMADA", None)]),
        ("refund for Mary Johnson today", [("Mary Johnson", None)]),  # dictionary pair, no cue
        ("Per Emily Martin's request", [("Emily Martin", None)]),  # "Per Emily" is tried first and refused
    ],
)
def test_latin_script_names(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "お客様各位",
        "お客様から電話",
        "皆様のご来店",
        "皆さん",
        "担当者様",
        "ご担当者様",
        "店長さんへ",
        "オーナー様向け",
        "ユーザー様",
        "ドライバーさん",
        "会員様限定",
        "ご家族様もどうぞ",
        "仕様変更",
        "同様に",
        "様子を見る",
        "2名様",
        "営業部様",
        "03-1234-5678(代表)",
        "本社より通達。",
        "東京より発送",
        "Dear Customer,",
        "Hello Team",
        "Apple Pay / LINE Pay",
        "Sent from Tokyo by Visa",
        "氏名 不明",
        "担当 未定",
        "ありがとうございます。本日です。",
        "こんにちは。明日です。",
    ],
)
def test_not_names(text: str) -> None:
    assert names(text) == []


def test_person_value_is_the_name_without_spaces() -> None:
    [span] = [s for s in DETECTOR.detect("山田 太郎 様") if s.kind is Kind.PERSON]
    assert span.value == "山田太郎"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Great service from Emily Clark, will buy again.", ["Emily Clark"]),
        ("Thanks to Francesca Talbot for the quick reply about sizing.", ["Francesca Talbot"]),  # en_GB names
        ("The courier, Mark Brown, left it with my neighbour.", ["Mark Brown"]),  # two words that are names too
        ("VIP order for 鈴木一郎", ["鈴木一郎"]),
        ("鈴木一郎から電話あり", ["鈴木一郎"]),
        ("配送は山田 花子、時間通りでした。", ["山田 花子"]),
        ("問い合わせに佐藤くみ子さんがすぐ返信してくれました。", ["佐藤くみ子"]),  # kanji and kana
        ("本日高橋智也が来店、返品を受付。", ["高橋智也"]),  # a word before the name
    ],
)
def test_full_names_with_no_honorific_or_cue(text: str, expected: list[str]) -> None:
    assert [name for name, _ in names(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "75400 Timothy Street",  # a street named after somebody, in an address
        "36904 Jacqueline Brooks Apt. 323",
        "Great Service",
        "Thank You",
        "中村学園の件で連絡",  # a surname and a given name's character inside a longer word
        "本田技研工業",
        "東京都港区芝公園",
        "田中さくらんぼ農園",
        "Vintage Mug, ships in 2 days.",
    ],
)
def test_words_that_only_look_like_full_names(text: str) -> None:
    assert names(text) == []
