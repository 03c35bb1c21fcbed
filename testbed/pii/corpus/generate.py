"""Build the PII detection corpus: Japanese and English order notes, support messages, audit log lines and
webhook JSON payloads with planted personal data, and texts full of things that only look like it.

Deterministic (one seeded random.Random, word lists written here rather than drawn from Faker, whose data may
change between versions). Writes, next to this file:
- planted.jsonl: {"id", "category", "text", "planted": [{kind, start, end}], "lookalikes": [{what, start, end}]}
  for plain texts; webhook items also carry "json": true and planted/lookalike offsets per string leaf
  ({"path", "start", "end"}), since detection runs on each leaf;
- lookalikes.jsonl: texts that hold no personal data at all, with their look-alike regions.

Run: .venv/bin/python testbed/pii/corpus/generate.py
"""

from __future__ import annotations

import json
import random
import re
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

from anonymize.transformers.digits import luhn_check_digit
from anonymize.transformers.identifiers import corporate_check_digit, my_number_check_digit

HERE = Path(__file__).parent
SEED = 20261125
N_PLANTED_TEXTS = 700
N_JSON_TEXTS = 120
N_LOOKALIKE_TEXTS = 400


# -- word lists ------------------------------------------------------------------------------------------------
def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Common surnames (also in the detector's dictionary) and rarer ones that are not: names must be found by their
# context, not only by the dictionary.
COMMON_SURNAMES = _words(
    "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水 山崎 "
    "森 池田 橋本 阿部 石川 前田 藤田 小川 岡田 長谷川 村上 近藤 石井 坂本 遠藤 青木 藤井 西村 福田 太田 三浦 "
    "藤原 松田 岡本 中川 原田"
)
RARE_SURNAMES = _words(
    "勅使河原 東海林 小鳥遊 御手洗 長宗我部 百目鬼 西園寺 綾小路 二階堂 唐沢 神宮寺 薬師寺 九条 我妻 宍戸 鬼塚 "
    "芹沢 氷室 鷹野 犬飼 猪狩 鶴田 亀山 鯨岡 鰐淵 蜂谷 雲雀 日下部 五百蔵 千々岩 左近 右京 如月 皐月 霧島 天野 "
    "葛城 久遠 桐生"
)
GIVEN_NAMES = _words(
    "太郎 花子 一郎 健太 翔太 大輔 陽菜 結衣 美咲 直樹 裕子 恵子 和也 拓真 蒼 凛 陽翔 湊 樹 結菜 葵 莉子 大和 "
    "悠真 明美 由美子 隆 誠 浩二 智子 真由美 颯 紬 芽依 翼 聡 修 淳 学 晃"
)
KANA_SURNAMES = _words(
    "ヤマダ タナカ スズキ サトウ タカハシ イトウ ワタナベ ナカムラ コバヤシ カトウ ヨシダ イノウエ キムラ シミズ モリ"
)
KANA_GIVEN = _words(
    "タロウ ハナコ イチロウ ケンタ ショウタ ダイスケ ヒナ ユイ ミサキ ナオキ ユウコ ケイコ カズヤ アオイ リン"
)
ROMAJI_SURNAMES = _words(
    "Yamada Tanaka Suzuki Sato Takahashi Ito Watanabe Nakamura Kobayashi Kato Yoshida Inoue Kimura"
)
ROMAJI_GIVEN = _words("Taro Hanako Ichiro Kenta Shota Daisuke Hina Yui Misaki Naoki Yuko Keiko Kazuya")
EN_FIRST = _words(
    "John Mary James Patricia Robert Jennifer Michael Linda David Elizabeth William Susan Emily Daniel Sarah"
)
EN_LAST = _words("Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin Jackson")

PREFECTURES = _words(
    "北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 東京都 神奈川県 "
    "新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 滋賀県 京都府 大阪府 兵庫県 奈良県 "
    "和歌山県 鳥取県 島根県 岡山県 広島県 山口県 徳島県 香川県 愛媛県 高知県 福岡県 佐賀県 長崎県 熊本県 "
    "大分県 宮崎県 鹿児島県 沖縄県"
)
CITIES = _words(
    "渋谷区 新宿区 港区 世田谷区 千代田区 中央区 品川区 目黒区 横浜市港北区 横浜市青葉区 川崎市中原区 "
    "さいたま市大宮区 千葉市美浜区 名古屋市中区 大阪市北区 大阪市中央区 京都市左京区 神戸市中央区 福岡市博多区 "
    "札幌市中央区 仙台市青葉区 広島市中区 八王子市 町田市 船橋市 柏市 浦安市 つくば市 西多摩郡日の出町 藤沢市 "
    "鎌倉市 豊中市 西宮市 那覇市"
)
TOWNS = _words(
    "神宮前 恵比寿 道玄坂 西新宿 歌舞伎町 六本木 麻布十番 三軒茶屋 丸の内 日本橋 銀座 大井 自由が丘 日吉 "
    "美しが丘 小杉町 桜木町 幕張 栄 錦 梅田 曽根崎 難波 心斎橋 下鴨 三宮 天神 博多駅前 大通西 一番町 紙屋町 "
    "本町 松が谷 勝どき"
)
BUILDINGS = [
    "メゾン青山",
    "パークハイツ",
    "シティコート",
    "グランドメゾン",
    "サンライズビル",
    "コーポ桜",
    "ABCビル",
    "アーバンレジデンス",
]
MAIL_DOMAINS = _words(
    "gmail.com yahoo.co.jp docomo.ne.jp ezweb.ne.jp softbank.ne.jp icloud.com outlook.jp hotmail.com "
    "tanaka-shoji.co.jp smartpos-merchant.jp example-cafe.com mail.hokkaido-foods.co.jp"
)
AREA_CODES = ("03", "06", "011", "022", "045", "052", "075", "078", "082", "092", "098", "0466", "0742", "0120")

# -- small helpers ---------------------------------------------------------------------------------------------
_FULLWIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def fullwidth(text: str) -> str:
    return text.translate(_FULLWIDTH)


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + digits(rng, length - len(prefix) - 1)
    return body + luhn_check_digit(body)


def my_number(rng: random.Random) -> str:
    body = digits(rng, 11)
    return body + my_number_check_digit(body)


def corporate_number(rng: random.Random) -> str:
    body = digits(rng, 12)
    return corporate_check_digit(body) + body


# -- planted value generators: each returns the text to plant ------------------------------------------------
def g_jsurname(rng: random.Random) -> str:
    return rng.choice(COMMON_SURNAMES if rng.random() < 0.6 else RARE_SURNAMES)


def g_csurname(rng: random.Random) -> str:
    """A common surname: where only the dictionary can tell a name (田中より, 03-1234-5678（田中）)."""
    return rng.choice(COMMON_SURNAMES)


def g_jfull(rng: random.Random) -> str:
    sep = " " if rng.random() < 0.5 else ""
    return g_jsurname(rng) + sep + rng.choice(GIVEN_NAMES)


def g_jname(rng: random.Random) -> str:
    return g_jsurname(rng) if rng.random() < 0.5 else g_jfull(rng)


def g_kana(rng: random.Random) -> str:
    name = rng.choice(KANA_SURNAMES) + rng.choice((" ", "　", "")) + rng.choice(KANA_GIVEN)
    if rng.random() < 0.15:  # half-width katakana, as old POS receipts and bank files write it
        name = "".join(_HALFWIDTH_KANA.get(ch, ch) for ch in name)
    return name


def _halfwidth_table() -> dict[str, str]:
    table = {unicodedata.normalize("NFKC", chr(cp)): chr(cp) for cp in range(0xFF66, 0xFF9E)}
    for voiced, base in zip("ガギグゲゴザジズゼゾダヂヅデドバビブベボ", "ｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾊﾋﾌﾍﾎ", strict=True):
        table[voiced] = base + "ﾞ"
    return table


_HALFWIDTH_KANA = _halfwidth_table()


def g_ename(rng: random.Random) -> str:
    return rng.choice(EN_FIRST) + " " + rng.choice(EN_LAST)


def g_elast(rng: random.Random) -> str:
    return rng.choice(EN_LAST + ROMAJI_SURNAMES)


def g_rname(rng: random.Random) -> str:
    return rng.choice(ROMAJI_GIVEN) + " " + rng.choice(ROMAJI_SURNAMES)


def _national_phone(rng: random.Random) -> list[str]:
    """Groups of a Japanese number."""
    roll = rng.random()
    if roll < 0.55:
        return [rng.choice(("090", "080", "070", "050")), digits(rng, 4), digits(rng, 4)]
    area = rng.choice(AREA_CODES)
    if area == "0120":
        return [area, digits(rng, 3), digits(rng, 3)]
    local = 10 - len(area) - 4
    return [area, str(rng.randint(1, 9)) + digits(rng, local - 1), digits(rng, 4)]


def g_phone(rng: random.Random) -> str:
    groups = _national_phone(rng)
    roll = rng.random()
    if roll < 0.45:
        text = "-".join(groups)
    elif roll < 0.55:
        text = fullwidth("-".join(groups))
    elif roll < 0.62:
        text = "ー".join(fullwidth(g) for g in groups)  # prolonged sound mark typed as a hyphen
    elif roll < 0.70:
        text = " ".join(groups)
    elif roll < 0.76 and len(groups[0]) <= 4:
        text = f"({groups[0]}){groups[1]}-{groups[2]}"
    elif roll < 0.80:
        text = f"{groups[0]}({groups[1]}){groups[2]}"
    elif roll < 0.90 and groups[0] != "0120":
        text = rng.choice(("+81 ", "+81-")) + groups[0][1:] + "-" + groups[1] + "-" + groups[2]
    elif groups[0] in ("090", "080", "070", "050"):
        text = "".join(groups)
    else:
        text = ".".join(groups)
    return text


def g_foreign_phone(rng: random.Random) -> str:
    return rng.choice(
        (
            f"+1 415-555-{rng.randint(100, 199):04d}",
            f"+44 20 7946 {digits(rng, 4)}",
            f"+82 2-{rng.randint(2000, 9999)}-{digits(rng, 4)}",
        )
    )


def g_landline_bare(rng: random.Random) -> str:
    area = rng.choice(("03", "06"))
    return area + str(rng.randint(1, 9)) + digits(rng, 7)


def g_postal(rng: random.Random) -> str:
    code = f"{rng.randint(100, 999)}-{digits(rng, 4)}"
    roll = rng.random()
    return fullwidth(code) if roll < 0.2 else code.replace("-", "") if roll < 0.3 else code


def g_address(rng: random.Random) -> str:
    head = rng.choice(PREFECTURES) + rng.choice(CITIES) + rng.choice(TOWNS)
    roll = rng.random()
    a, b, c = rng.randint(1, 9), rng.randint(1, 30), rng.randint(1, 40)
    if roll < 0.35:
        block = f"{a}丁目{b}番{c}号"
    elif roll < 0.7:
        block = f"{a}-{b}-{c}"
    elif roll < 0.85:
        block = f"{a}丁目{b}-{c}"
    else:
        block = fullwidth(f"{a}-{b}-{c}")
    building = ""
    if rng.random() < 0.4:
        building = rng.choice(("", " ")) + rng.choice(
            (f"{rng.choice(BUILDINGS)}{rng.randint(101, 1205)}", f"{rng.choice(BUILDINGS)} {rng.randint(2, 12)}F",
             f"{rng.choice(BUILDINGS)}{rng.randint(101, 905)}号室")
        )  # fmt: skip
    return head + block + building


def g_city_address(rng: random.Random) -> str:
    """Without the prefecture, as people write when the city is obvious."""
    return rng.choice(CITIES) + rng.choice(TOWNS) + f"{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 40)}"


def g_email(rng: random.Random) -> str:
    local = rng.choice(
        (
            f"{rng.choice(ROMAJI_GIVEN).lower()}.{rng.choice(ROMAJI_SURNAMES).lower()}",
            f"{rng.choice(ROMAJI_SURNAMES).lower()}{rng.randint(1, 999)}",
            f"{rng.choice(EN_FIRST).lower()}_{rng.choice(EN_LAST).lower()}",
            f"{rng.choice(ROMAJI_GIVEN).lower()}-{digits(rng, 4)}",
        )
    )
    address = f"{local}@{rng.choice(MAIL_DOMAINS)}"
    return address.upper() if rng.random() < 0.05 else address


def g_ip4(rng: random.Random) -> str:
    first = rng.choice((10, 172, 192, 203, 126, 153, 118, 60))
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def g_ip6(rng: random.Random) -> str:
    groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(4)]
    return rng.choice((f"2001:db8:{groups[0]}::{groups[1]}", f"2400:4050:{':'.join(groups)}:{groups[0]}:{groups[1]}",
                       f"fe80::{groups[2]}:{groups[3]}"))  # fmt: skip


def g_card(rng: random.Random) -> str:
    brand = rng.random()
    if brand < 0.35:
        number = luhn_complete("4" + digits(rng, 5), 16, rng)
    elif brand < 0.6:
        number = luhn_complete(str(rng.randint(51, 55)) + digits(rng, 4), 16, rng)
    elif brand < 0.8:
        number = luhn_complete(str(rng.randint(3528, 3589)), 16, rng)
    elif brand < 0.92:
        number = luhn_complete(rng.choice(("34", "37")), 15, rng)
        return rng.choice((f"{number[:4]} {number[4:10]} {number[10:]}", number))
    else:
        number = luhn_complete("36", 14, rng)
        return f"{number[:4]} {number[4:10]} {number[10:]}"
    groups = [number[i : i + 4] for i in range(0, 16, 4)]
    roll = rng.random()
    if roll < 0.45:
        return " ".join(groups)
    if roll < 0.75:
        return "-".join(groups)
    if roll < 0.9:
        return number
    return fullwidth("-".join(groups))


def g_mynumber(rng: random.Random) -> str:
    number = my_number(rng)
    return rng.choice((number, f"{number[:4]} {number[4:8]} {number[8:]}", f"{number[:4]}-{number[4:8]}-{number[8:]}"))


def g_corp(rng: random.Random) -> str:
    return corporate_number(rng)


def g_invoice(rng: random.Random) -> str:
    return "T" + corporate_number(rng)


def g_branch(rng: random.Random) -> str:
    return digits(rng, 3)


def g_account(rng: random.Random) -> str:
    return str(rng.randint(1, 9)) + digits(rng, 6)


PLANTED: dict[str, tuple[str, Callable[[random.Random], str]]] = {
    "jname": ("PERSON", g_jname),
    "jsurname": ("PERSON", g_jsurname),
    "csurname": ("PERSON", g_csurname),
    "jfull": ("PERSON", g_jfull),
    "kana": ("PERSON", g_kana),
    "ename": ("PERSON", g_ename),
    "elast": ("PERSON", g_elast),
    "rname": ("PERSON", g_rname),
    "phone": ("PHONE", g_phone),
    "fphone": ("PHONE", g_foreign_phone),
    "landline_bare": ("PHONE", g_landline_bare),
    "postal": ("POSTAL_CODE", g_postal),
    "address": ("ADDRESS", g_address),
    "city_address": ("ADDRESS", g_city_address),
    "email": ("EMAIL", g_email),
    "ip4": ("IP", g_ip4),
    "ip6": ("IP", g_ip6),
    "card": ("CARD", g_card),
    "mynumber": ("MY_NUMBER", g_mynumber),
    "corp": ("CORPORATE_NUMBER", g_corp),
    "invoice": ("INVOICE_NUMBER", g_invoice),
    "branch": ("BANK_BRANCH", g_branch),
    "account": ("BANK_ACCOUNT", g_account),
}


# -- look-alike generators --------------------------------------------------------------------------------------
def l_order(rng: random.Random) -> str:
    return rng.choice(
        (
            f"ORD-{rng.randint(2024, 2026)}-{digits(rng, 6)}",
            f"#{rng.randint(10000, 999999)}",
            f"{rng.randint(2024, 2026)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}-{digits(rng, 6)}",
            f"SO{digits(rng, 10)}",
            f"A{digits(rng, 3)}-{digits(rng, 4)}-{digits(rng, 4)}",
        )
    )


def l_order_digits(rng: random.Random) -> str:
    """A bare digit string after its label: as long as a phone or a My Number."""
    return rng.choice((f"0{rng.choice('5789')}0{digits(rng, 8)}", digits(rng, 12), digits(rng, 13), digits(rng, 16)))


def l_amount(rng: random.Random) -> str:
    value = f"{rng.randint(1, 999)},{digits(rng, 3)}" if rng.random() < 0.7 else str(rng.randint(100, 99999))
    return rng.choice(
        (f"¥{value}", f"{value}円", f"￥{value}", f"{value} JPY", f"${rng.randint(1, 999)}.{digits(rng, 2)}")
    )


def l_ts(rng: random.Random) -> str:
    y, mo, d = rng.randint(2024, 2026), rng.randint(1, 12), rng.randint(1, 28)
    h, mi, s = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    return rng.choice(
        (
            f"{y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}",
            f"{y}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}+09:00",
            f"{y}/{mo:02d}/{d:02d} {h:02d}:{mi:02d}",
            f"{y}年{mo}月{d}日",
            f"{y}{mo:02d}{d:02d}{h:02d}{mi:02d}{s:02d}",
            f"{h:02d}:{mi:02d}",
        )
    )


def l_sku(rng: random.Random) -> str:
    return rng.choice(
        (
            f"SKU-{rng.choice(('AB', 'CF', 'XZ'))}-{digits(rng, 4)}",
            f"{rng.choice(('TS', 'MG', 'PK'))}{digits(rng, 5)}-{rng.choice(('S', 'M', 'L', 'XL'))}",
            f"49{digits(rng, 11)}",
        )
    )


def l_serial(rng: random.Random) -> str:
    return rng.choice(
        (
            f"TEST{digits(rng, 6)}",
            f"SN-{rng.choice(('7F3K', 'A9Q2', 'ZX81'))}-{digits(rng, 4)}",
            f"SMP-{rng.randint(2023, 2026)}-{digits(rng, 6)}",
            f"PAX-A920-{digits(rng, 8)}",
            f"{digits(rng, 15)}",
        )
    )


def l_uuid(rng: random.Random) -> str:
    h = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def l_version(rng: random.Random) -> str:
    return f"v{rng.randint(1, 5)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}.{rng.randint(0, 300)}"


def l_qty(rng: random.Random) -> str:
    return rng.choice(
        (f"{rng.randint(1, 24)}個", f"{rng.randint(1, 9)}点", f"{rng.randint(1, 99)}%", f"{rng.randint(1, 500)}件")
    )


LOOKALIKE: dict[str, Callable[[random.Random], str]] = {
    "order": l_order,
    "order_digits": l_order_digits,
    "amount": l_amount,
    "ts": l_ts,
    "sku": l_sku,
    "serial": l_serial,
    "uuid": l_uuid,
    "version": l_version,
    "qty": l_qty,
    "bank": lambda rng: rng.choice(
        ("三井住友銀行", "みずほ銀行", "三菱UFJ銀行", "ゆうちょ銀行", "楽天銀行", "PayPay銀行")
    ),
}

# -- templates ---------------------------------------------------------------------------------------------------
ORDER_NOTES = [
    "{jname}様 {phone} 折り返し希望",
    "配達時間指定あり。{jname}様宛。TEL:{phone}",
    "ギフト包装希望、送り先: 〒{postal} {address} {jfull}様",
    "注文番号 {order} ({amount}) {jname}様より変更依頼。連絡先 {phone}",
    "{ts} 来店予約 {jsurname}さん 2名 {phone}",
    "お届け先：{address}　{jfull} 様　電話 {phone}",
    "領収書の宛名は{jfull}様でお願いします。{amount}",
    "不在のため再配達。{jsurname}様 携帯{phone} {ts}",
    "代引き {amount}、{address}、{kana}様",
    "住所: 〒{postal} {address}",
    "口座名義 {kana} 普通 {account} {jsurname}様より振込予定",
    "返金先: {bank} 渋谷支店({branch}) 普通 {account} 名義 {kana}",
    "支店番号 {branch} 口座番号 {account} 口座名義:{kana}",
    "カード {card} で決済済み ({amount})、{jname}様",
    "{jname}様から電話あり。{phone}に折り返し。注文{order}",
    "メール {email} に領収書送付済み、{jsurname}様",
    "担当：{jsurname}　お客様 {jfull}様 {phone}",
    "{jname}さんの注文 {sku} x {qty}、{ts}発送",
    "マイナンバー {mynumber} の提出あり（{jsurname}様）",
    "個人番号: {mynumber}",
    "法人番号 {corp} 登録番号 {invoice}",
    "適格請求書発行事業者 登録番号{invoice} 合計{amount}",
    "取引先 法人番号:{corp} 担当 {jsurname}様 {email}",
    "{jfull}殿 ご注文ありがとうございました。{order}",
    "{jsurname}氏より問い合わせ、TEL{landline_bare}",
    "店舗TEL {landline_bare} 担当{jsurname}",
    "{city_address}の{jsurname}様へ配送",
    "配送先：{city_address} {phone}",
    "ご依頼主: {jfull} {phone}",
    "受取人 {kana} 〒{postal} {address}",
    "{kana}様 {ts} 受け取り",
    "お名前：{jfull}　メール：{email}　電話：{phone}",
    "本日{jsurname}様より連絡あり。{phone}",
    "氏名 {jfull}、生年月日は未記入、{email}",
    "{jsurname}くんの誕生日ケーキ 予約 {ts} {phone}",
    "{rname}様 (外国籍) {email} {fphone}",
    "{elast}様よりメール {email}",
    "端末 {serial} の件で{jsurname}様から入電 {phone}",
    "{jsurname}ちゃんへのプレゼント、包装希望。{amount}",
    "購入者 {jfull} / {email} / {phone}",
    "【至急】{jfull}様（{phone}）より、配送先を{address}に変更したいとの連絡",
    "ご注文者様：{jfull}　ご連絡先：{email}",
    "{jfull}（{kana}）様 {ts}来店",
    "店舗控え {phone}（{csurname}）",
    "{jsurname}様より「{csurname}さんに伝えてください」とのこと",
    "{kana}様、先日はありがとうございました。{csurname}より",
    "担当の{jsurname}がお電話しました（{phone}）",
    "ご連絡先メールアドレス：{email}（{jfull}様）",
    "申込者：{jfull}（{kana}）様　携帯：{phone}",
]
SUPPORT_JA = [
    "お世話になっております。{jfull}です。注文{order}の件で、{phone}までご連絡ください。",
    "{jname}様\nお問い合わせありがとうございます。ご登録のメールアドレス{email}宛に再送しました。",
    "カード番号 {card} が使えないとのこと。{jsurname}様、{ts}",
    "{jsurname}様のアカウント({email})のパスワードをリセットしました。",
    "端末{serial}がオフライン。店長の{jsurname}さん({phone})に確認済み。",
    "加盟店 法人番号{corp}、代表者 {jfull}、所在地 {address}",
    "振込先確認：{bank} 店番{branch} 普通{account} {kana}",
    "{kana}様よりLINE Payの返金依頼 {amount}",
    "アクセス元IP {ip4} から{jsurname}様のログイン失敗が{qty}",
    "ご担当者様\n{jfull}様の請求書(登録番号{invoice})を再発行しました。",
    "いつもありがとうございます。{jsurname}です。{order}の件、明日発送予定です。",
]
SUPPORT_EN = [
    "Hi {ename}, your refund of {amount} for order {order} was processed.",
    "Customer {ename} called from {phone} about a double charge on card {card}.",
    "Dear Ms. {elast}, we sent the receipt to {email}.",
    "Mr. {elast} asked us to update the delivery address to {address}.",
    "Requested by {ename} ({email}) at {ts}",
    "Cardholder: {ename}, card ending {card}",
    "Please contact {rname} at {email} or {fphone}.",
    "{elast}-san will visit the store on {ts}; phone {phone}",
    "Login from {ip4} by {email} failed {qty}",
    "Terminal {serial} reported by {ename}; firmware {version}",
    "Ticket reassigned. Contact person: {ename}, {phone}",
    "Dr. {elast} paid {amount} with card {card}",
    "From: {rname} <{email}>",
    "Hi Team, please refund order {order} for Ms {elast}.",
    "Refund processed for {ename} ({email})",
    "Per {ename}'s request, refund {amount} to card {card}.",
]
AUDIT_LOGS = [
    "{ts} INFO auth.login user={email} ip={ip4} result=ok",
    "{ts} WARN auth.login user={email} ip={ip6} result=denied attempts=3",
    "{ts} INFO order.update order_id={order} by={email} field=phone new={phone}",
    "[{ts}] refund approved by {ename} order={order} amount={amount}",
    "{ts} DEBUG device {serial} heartbeat from {ip4} fw={version}",
    "{ts} INFO merchant.update corporate_number={corp} invoice={invoice} by={email}",
    "{ts} INFO payout bank_branch={branch} account={account} holder={kana}",
    "{ts} ERROR payment declined card={card} order={order} client_ip={ip4}",
    '{ts} INFO customer.create name="{jfull}" email={email} tel={phone}',
    "{ts} INFO session {uuid} opened from {ip6} for {email}",
]
WEBHOOK_SHAPES = ("payment", "customer", "nested")

LOOKALIKE_TEMPLATES = [
    "注文番号 {order} 合計 {amount} {ts}",
    "注文番号: {order_digits} 発送済み",
    "取引ID {order_digits} / 承認番号 {order}",
    "SKU {sku} 在庫 {qty} 入荷予定 {ts}",
    "端末 {serial} ファームウェア {version} 更新済み",
    "シリアル番号: {serial} 交換対応 {ts}",
    "order {order} total {amount} at {ts}",
    "Order No. {order_digits} shipped {ts}",
    "transaction id {order_digits} amount {amount}",
    "device {serial} rebooted at {ts} (firmware {version})",
    "request_id={uuid} latency=12ms at {ts}",
    "{ts} INFO batch settled {qty} total={amount} batch={order}",
    "お客様各位 {ts}より{amount}以上で送料無料",
    "皆様のご来店をお待ちしております。{ts}〜{ts}",
    "担当者様 ご確認ください。請求書番号 {order_digits}",
    "オーナー様向けの仕様変更 {version} を{ts}に配信",
    "店長さんへ: レジ締め {amount} 差異なし",
    "Dear Customer, your order {order} of {amount} is confirmed.",
    "Hello Team, settlement for {ts} is {amount}.",
    "PayPay / LINE Pay / Rakuten Pay 決済 {qty} 合計 {amount}",
    "JANコード {sku} の商品 {qty}",
    "追跡番号 {order_digits} でお問い合わせください",
    "会員番号 {order_digits} ポイント {qty} 付与",
    "同様の事象が {ts} にも発生 (端末 {serial})",
    "キャンペーン期間 {ts} 〜 {ts}、割引 {qty}",
    "在庫 {qty}、単価 {amount}、{sku}",
    "東京都渋谷区の店舗で{qty}販売 合計 {amount}",
    "バージョン {version} にアップデートしてください",
    "代表 03-0000-0000 は使われていません(代表)。ご家族様もどうぞ、会員様限定 {amount}",
    "本社より {ts} に通達。店舗TEL(代表)、東京より発送 {order}",
    "仕様変更のお知らせ：同様の不具合は {version} で修正。ユーザー様へ {ts}",
    "ログ {uuid} を確認 {ts}",
    "Refund {amount} for receipt {order} approved at {ts}",
]

_SLOT = re.compile(r"\{(\w+)\}")


def render(template: str, rng: random.Random) -> tuple[str, list[dict[str, object]], list[dict[str, object]]]:
    """Fill a template: planted values and look-alikes with their offsets."""
    out: list[str] = []
    planted: list[dict[str, object]] = []
    lookalikes: list[dict[str, object]] = []
    length = 0
    pos = 0
    for match in _SLOT.finditer(template):
        literal = template[pos : match.start()]
        out.append(literal)
        length += len(literal)
        slot = match.group(1)
        if slot in PLANTED:
            kind, make = PLANTED[slot]
            value = make(rng)
            planted.append({"kind": kind, "start": length, "end": length + len(value)})
        else:
            value = LOOKALIKE[slot](rng)
            lookalikes.append({"what": slot, "start": length, "end": length + len(value)})
        out.append(value)
        length += len(value)
        pos = match.end()
    out.append(template[pos:])
    return "".join(out), planted, lookalikes


def webhook(rng: random.Random, shape: str) -> tuple[str, list[dict[str, object]], list[dict[str, object]]]:
    """A webhook payload as stored in a JSONB column, with a JSON string inside; offsets are per string leaf."""
    planted: list[dict[str, object]] = []
    lookalikes: list[dict[str, object]] = []

    def leaf(path: str, template: str) -> str:
        text, p, la = render(template, rng)
        planted.extend({**item, "path": path} for item in p)
        lookalikes.extend({**item, "path": path} for item in la)
        return text

    if shape == "payment":
        inner = {
            "card_holder": leaf("$.data.<json>.card_holder", "{ename}"),
            "card": leaf("$.data.<json>.card", "{card}"),
            "ip": leaf("$.data.<json>.ip", "{ip4}"),
        }
        payload = {
            "event": "payment.completed",
            "order_id": leaf("$.order_id", "{order}"),
            "amount": rng.randint(100, 99999),
            "created_at": leaf("$.created_at", "{ts}"),
            "data": json.dumps(inner, ensure_ascii=False),
        }
    elif shape == "customer":
        payload = {
            "event": "customer.updated",
            "customer": {
                "name": leaf("$.customer.name", "{jfull}"),
                "email": leaf("$.customer.email", "{email}"),
                "phone": leaf("$.customer.phone", "{phone}"),
                "address": leaf("$.customer.address", "{address}"),
            },
            "note": leaf("$.note", "{jsurname}様より住所変更の依頼 {ts}"),
            "device": leaf("$.device", "{serial}"),
        }
    else:
        inner = {
            "message": leaf("$.body.<json>.message", "{jname}様 {phone} 折り返し希望"),
            "contacts": [leaf("$.body.<json>.contacts[0]", "{email}"), leaf("$.body.<json>.contacts[1]", "{phone}")],
            "request_id": leaf("$.body.<json>.request_id", "{uuid}"),
        }
        payload = {
            "source": "line_pay",
            "body": json.dumps(inner, ensure_ascii=rng.random() < 0.5, separators=(",", ":")),
            "received_at": leaf("$.received_at", "{ts}"),
        }
    return json.dumps(payload, ensure_ascii=False), planted, lookalikes


def generate() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    rng = random.Random(SEED)
    planted_items: list[dict[str, object]] = []
    families = [
        ("order_note", ORDER_NOTES),
        ("support_ja", SUPPORT_JA),
        ("support_en", SUPPORT_EN),
        ("audit_log", AUDIT_LOGS),
    ]
    weights = [0.5, 0.2, 0.15, 0.15]
    for i in range(N_PLANTED_TEXTS):
        category, templates = rng.choices(families, weights)[0]
        # Every template is used at least once, the rest drawn at random.
        template = templates[i % len(templates)] if i < 120 else rng.choice(templates)
        text, planted, lookalikes = render(template, rng)
        planted_items.append(
            {"id": f"p{i:04d}", "category": category, "text": text, "planted": planted, "lookalikes": lookalikes}
        )
    for i in range(N_JSON_TEXTS):
        text, planted, lookalikes = webhook(rng, WEBHOOK_SHAPES[i % len(WEBHOOK_SHAPES)])
        planted_items.append(
            {"id": f"j{i:04d}", "category": "webhook", "json": True, "text": text, "planted": planted,
             "lookalikes": lookalikes}
        )  # fmt: skip
    lookalike_items = []
    for i in range(N_LOOKALIKE_TEXTS):
        template = LOOKALIKE_TEMPLATES[i % len(LOOKALIKE_TEMPLATES)]
        text, planted, lookalikes = render(template, rng)
        assert not planted
        lookalike_items.append({"id": f"l{i:04d}", "category": "lookalike", "text": text, "lookalikes": lookalikes})
    return planted_items, lookalike_items


def dump(items: list[dict[str, object]]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


def main() -> int:
    planted_items, lookalike_items = generate()
    (HERE / "planted.jsonl").write_text(dump(planted_items), encoding="utf-8")
    (HERE / "lookalikes.jsonl").write_text(dump(lookalike_items), encoding="utf-8")
    n_values = sum(len(item["planted"]) for item in planted_items)  # type: ignore[arg-type]
    print(f"{len(planted_items)} texts with {n_values} planted values, {len(lookalike_items)} look-alike texts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
