"""Postal codes and Japanese addresses."""

from __future__ import annotations

import pytest

from anonymize.pii import Kind, PiiDetector
from anonymize.pii.recognizers.address import PREFECTURES

DETECTOR = PiiDetector()


def found(text: str, kind: Kind) -> list[str]:
    return [text[s.start : s.end] for s in DETECTOR.detect(text) if s.kind is kind]


def test_the_47_prefectures() -> None:
    assert len(PREFECTURES) == len(set(PREFECTURES)) == 47
    for prefecture in PREFECTURES:
        address = f"{prefecture}テスト市本町1-2-3"
        assert found(f"住所 {address} まで", Kind.ADDRESS) == [address], prefecture


@pytest.mark.parametrize(
    ("text", "postal", "value"),
    [
        ("〒150-0001 東京都渋谷区神宮前1-2-3", "150-0001", "1500001"),
        ("〒１５０－０００１", "１５０－０００１", "1500001"),
        ("〒1500001", "1500001", "1500001"),
        ("郵便番号：530-0001", "530-0001", "5300001"),
        ("zip code 150-0001", "150-0001", "1500001"),
        ("150-0001 東京都渋谷区神宮前1-2-3", "150-0001", "1500001"),  # right before an address
    ],
)
def test_postal_codes(text: str, postal: str, value: str) -> None:
    spans = [s for s in DETECTOR.detect(text) if s.kind is Kind.POSTAL_CODE]
    assert [(text[s.start : s.end], s.value) for s in spans] == [(postal, value)]


@pytest.mark.parametrize("text", ["部品番号 150-0001", "123-4567", "内線 150-0001"])
def test_bare_postal_shapes_without_evidence(text: str) -> None:
    assert found(text, Kind.POSTAL_CODE) == []


@pytest.mark.parametrize(
    "address",
    [
        "東京都渋谷区神宮前1丁目2番3号",
        "東京都新宿区西新宿二丁目8番1号",
        "大阪府大阪市北区梅田3-1-1",
        "北海道札幌市中央区北1条西2丁目3-4",
        "神奈川県横浜市港北区日吉2丁目4-9",
        "埼玉県さいたま市大宮区桜木町1-7-5 ソニックシティビル12F",
        "京都府京都市左京区下鴨1-2-3 メゾン青山101号室",
        "福岡県福岡市博多区博多駅前2-1-1 シティコート431",
        "東京都西多摩郡日の出町平井1-2",
        "東京都千代田区一番町5-3",
    ],
)
def test_addresses_with_prefecture(address: str) -> None:
    assert found(f"お届け先：{address}　山田様", Kind.ADDRESS) == [address]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("住所:渋谷区神宮前1-2-3", "渋谷区神宮前1-2-3"),
        ("配送先：さいたま市大宮区桜木町1-7-5", "さいたま市大宮区桜木町1-7-5"),
        ("横浜市港北区日吉2-3-4へ配送", "横浜市港北区日吉2-3-4"),
    ],
)
def test_addresses_without_prefecture(text: str, address: str) -> None:
    assert found(text, Kind.ADDRESS) == [address]


def test_the_building_ends_before_a_phone() -> None:
    text = "東京都渋谷区神宮前1-2-3 ABCビル5F 電話03-1234-5678"
    assert found(text, Kind.ADDRESS) == ["東京都渋谷区神宮前1-2-3 ABCビル5F"]
    assert found(text, Kind.PHONE) == ["03-1234-5678"]


@pytest.mark.parametrize(
    "text",
    ["東京都の店舗で販売", "渋谷区の加盟店 12件", "東京都渋谷区", "市役所 1-2", "第3区画", "大阪府内 100店舗"],
)
def test_places_are_not_addresses(text: str) -> None:
    assert found(text, Kind.ADDRESS) == []
