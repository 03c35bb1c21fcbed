"""`rules init`: draft a rules file from a schema, deciding a transform per column from its name, its type and (with
the scan's samples) its values together.

A draft is a starting point for review, not a decision: every guess is checked the way a run checks rules
(a guess the column can't take falls back, with a comment saying so), what stays unsure is flagged for review,
and everything else is an explicit `keep` the reviewer can see and change.

- Names are read whatever their spelling: "Full Name", firstName, address1, addr2, street_2, 名前, 氏名, 住所, 電話
  (column_words). Families personal whatever the exact name: address lines, logins and handles, photos and
  scans in bytea, coordinates, passwords/secrets/tokens/hashes, birth dates, government ids, free text.
- Values decide with the name: a column named `user` holding e-mail addresses is an email column, a `name` column
  of full names is a person's even in a shop's table, a bytea of PNGs is a photo, a `location` of points a position.
  A value kind the scan is sure of (e-mail, phone, card, secret ...) beats a name that says otherwise.
- Pieces of a replaced value follow it (table by table): a card's last4, expiry and BIN (columns or JSON keys)
  are ruled `card_part`, the card `keyed_last4` (the fake's last four are the piece's fake); coordinates beside a
  replaced address or person move with a keyed per-row offset (`coordinates`, entity_column: the row's id); a
  kana reading is keyed like the name it reads, so it stays the reading of the name's fake.
- JSON columns are drafted with a rule per sampled path (`$.shipping.address.line1: {transform: address, ...}`)
  from the key names and values of the scan's samples, with `other_strings` through the PII detector for the rest.
- Arrays take the transform of their elements (anonymize/transformers/arrays.py); a composite value holding
  personal fields is nulled (no transform reaches inside one), or kept with a REVIEW comment when NOT NULL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from anonymize.column_shapes import words_of
from anonymize.columns import ColumnInfo
from anonymize.errors import AnonymizeError
from anonymize.id_paths import with_id_keep_paths
from anonymize.keys import Keyring
from anonymize.locales import ColumnLocales, locale_for
from anonymize.rules import ColumnRule
from anonymize.transformers.arrays import element_column
from anonymize.transformers.declared import column_transforms, keyed_transforms
from anonymize.transformers.factory import build_transformer
from anonymize.transformers.geo import axis_of

_ID = re.compile(r"^(id|.*_id|uuid|.*_uuid)$")
_PERSON_TABLES = re.compile(
    r"(customer|user|member|staff|employee|person|people|contact|account_holder|cardholder|patient|student|guest|"
    r"buyer|seller|driver|applicant|candidate|subscriber|recipient|author|owner|顧客|会員|社員|従業員)"
)
_COMPANY_TABLES = re.compile(r"(merchant|compan|corporat|store|shop|vendor|supplier|partner|organi[sz]ation|tenant)")
FREE_TEXT = {"transform": "free_text", "params": {"detector": "presidio"}}


class Found(Protocol):
    """A scan's suggestion for a column (anonymize.scan.Suggestion)."""

    transform: str
    params: dict[str, Any]
    why: str


@dataclass(frozen=True)
class Guess:
    transform: str
    params: Mapping[str, Any]
    why: str  # shown as a comment next to the rule


# ---------------------------------------------------------------- reading a name

# Japanese column names -> the English words the rules below read (longest first: 電話番号 before 電話).
_JAPANESE_TERMS = sorted(
    {
        "お名前": "full_name", "氏名": "full_name", "名前": "name", "姓名": "full_name", "名字": "last_name",
        "苗字": "last_name", "姓": "last_name", "フリガナ": "name_kana", "ふりがな": "name_kana", "カナ": "kana",
        "住所": "address", "番地": "address", "郵便番号": "postal_code", "電話番号": "phone", "電話": "phone",
        "携帯": "mobile", "ＦＡＸ": "fax", "メールアドレス": "email", "メール": "email", "生年月日": "birth_date",
        "誕生日": "birthday", "備考": "notes", "メモ": "memo", "コメント": "comment", "内容": "body",
        "本文": "body", "パスワード": "password", "暗証番号": "pin", "ユーザー名": "username",
        "ログイン": "login", "ニックネーム": "nickname", "写真": "photo", "画像": "image", "顔写真": "photo",
        "緯度": "latitude", "経度": "longitude", "位置": "location", "口座番号": "account_number",
        "カード番号": "card_number", "マイナンバー": "my_number", "個人番号": "my_number",
        "法人番号": "corporate_number", "担当者": "contact_name", "代表者": "representative",
    }.items(),
    key=lambda item: -len(item[0]),
)  # fmt: skip


def column_words(name: str) -> str:
    """A column's (or JSON key's) name as lowercase English words joined by `_`: "Full Name" -> full_name,
    addressLine1 -> address_line1, 顧客名前 -> 顧客_name, 氏名 -> full_name."""
    text = name
    for term, english in _JAPANESE_TERMS:
        if term in text:
            text = text.replace(term, f" {english} ")
    return words_of(text)


def _family_of(column: ColumnInfo) -> str:
    element = element_column(column)
    return element.family if element is not None else column.family


# (name pattern on column_words, type families, transform, params, why). First match wins.
_RULES: list[tuple[str, frozenset[str], str, dict[str, Any], str]] = [
    (r"(^|_)e_?mail(s|_address(es)?)?(_|$)|(^|_)mail(_address)?$", frozenset({"text"}), "email", {}, "email address"),
    (
        r"(^|_)(last_?4|last_?four|card_last_?4|pan_last_?4|last4_digits)$",
        frozenset({"text", "integer"}),
        "card_part",
        {"part": "last4"},
        "last four digits of a card",
    ),
    (
        r"(^|_)(phone|tel|telephone|mobile|fax|cell|cellphone|msisdn)(_?\d|s)?(_|$)|(^|_)phone_?number",
        frozenset({"text"}),
        "phone",
        {},
        "phone number",
    ),
    (
        r"(^|_)(card_?(number|no|num|pan)|pan|credit_card|cc_number)$",
        frozenset({"text"}),
        "card_pan",
        {},
        "card number",
    ),
    (r"my_?number|individual_number|kojin_bango", frozenset({"text", "integer"}), "my_number", {}, "My Number"),
    (
        r"corporat(e|ion)_number|houjin_bango|hojin_bango",
        frozenset({"text", "integer"}),
        "corporate_number",
        {},
        "corporate number",
    ),
    (r"(bank_)?account_(number|no)$|(^|_)iban$", frozenset({"text", "integer"}), "bank_account", {}, "bank account"),
    (
        r"(^|_)(ssn|social_security(_number|_no)?|national_(id|insurance)(_number|_no)?|nino|passport(_number|_no)?|"
        r"driver_?s?_licen[cs]e(_number|_no)?|licen[cs]e_number|tax_(id|number)|tin|nric|aadhaar|"
        r"resident_registration(_number)?|government_id|gov_id)(_|$)",
        frozenset({"text", "integer"}),
        "token",
        {},
        "government id",
    ),
    (
        r"(^|_)(ip|ip_address|ip_addr|remote_addr|client_ip|last_ip)(_|$)",
        frozenset({"inet", "text"}),
        "ip",
        {},
        "IP address",
    ),
    (
        r"(^|_)(postal_code|postalcode|zip_?code|postcode|post_code|zip)$",
        frozenset({"text"}),
        "address",
        {"part": "postal_code"},
        "postal code",
    ),
    (
        r"(^|_)(address|addr|street|street_address|address_line|addressline)_?[2-9]$|(^|_)(street|line)_?[2-9]$"
        r"|(^|_)(apartment|apt|suite|building|flat)(_name|_number|_no)?$",
        frozenset({"text"}),
        "address",
        {"part": "building"},
        "address line",
    ),
    (
        r"(^|_)(address|addr|street|street_address|address_line|addressline|street_line)(_?1)?$|(^|_)line_?1$"
        r"|(^|_)(address|addr)_(line|street|text|1st_line|first_line)(_?1)?$",
        frozenset({"text"}),
        "address",
        {"part": "street"},
        "street address",
    ),
    (
        r"(^|_)(token|secret|api_key|apikey|secret_key|private_key|access_key|signing_key|password|passwd|pwd|"
        r"pass_hash|password_hash|password_digest|encrypted_password|crypted_password|pin|pin_hash|otp|otp_secret|"
        r"salt|fingerprint|refresh_token|access_token|session_token|auth_token|recovery_code|totp_secret)(_|$)",
        frozenset({"text", "uuid", "bytea"}),
        "token",
        {},
        "secret or token",
    ),
    (
        r"(^|_)(user_?name|login|login_name|handle|nick_?name|screen_name|account_name|display_handle|user)$",
        frozenset({"text"}),
        "username",
        {},
        "login made of a person's name",
    ),
    (
        r"(first|given|fore|middle)_?name(_kana)?$|^name_?first$",
        frozenset({"text"}),
        "person_name",
        {"part": "given"},
        "given name",
    ),
    (
        r"(last|family|sur|maiden)_?name(_kana)?$|^name_?last$",
        frozenset({"text"}),
        "person_name",
        {"part": "family"},
        "family name",
    ),
    (
        r"(^|_)(birth|birthday|birth_date|birthdate|dob|date_of_birth|born|born_on)(_|$)",
        frozenset({"date", "timestamp", "text"}),
        "date_shift",
        {"range_days": 180},
        "birth date",
    ),
    (
        r"(^|_)(note|notes|memo|memos|comment|comments|remarks|remark|description|message|messages|body|bio|"
        r"biography|about|about_me|instructions|delivery_instructions|feedback|review|review_text|content|details|"
        r"text|gift_message|reason_text|summary|free_text)$",
        frozenset({"text"}),
        "free_text",
        {},
        "free text may hold personal data",
    ),
]
_PERSON_NAME = re.compile(
    r"(^|_)(name|full_name|fullname|contact_name|holder_name|holder|representative|display_name|owner_name|owner|"
    r"customer_name|recipient_name|recipient|sender_name|buyer_name|payer_name|payee_name|beneficiary(_name)?|"
    r"cardholder(_name)?|account_holder(_name)?|signatory|guardian(_name)?|emergency_contact(_name)?|"
    r"manager_name|employee_name|staff_name|member_name|user_full_name|patient_name|driver_name|author_name|"
    r"requested_by|approved_by|signed_by|attn|attention)(_kana)?$"
)
_PERSON_ROLE = re.compile(
    r"contact|representative|holder|owner|customer|recipient|sender|buyer|payer|payee|beneficiary|signatory|guardian|manager|"
    r"employee|staff|member|patient|driver|author|full_name|fullname|requested_by|approved_by|signed_by"
)
_PHOTO = re.compile(
    r"(^|_)(photo|photos|avatar|picture|pic|image|img|portrait|selfie|headshot|face|signature|scan|scanned|"
    r"document|doc|attachment|id_card|passport_scan|license_scan|licence_scan|file|blob|thumbnail|mugshot)(_|$)"
)
_NOT_PERSONAL_FILE = re.compile(r"(^|_)(logo|icon|banner|favicon|sprite|product|item|sku|brand|category)(_|$)")
_FILE_TWIN = re.compile(r"(^|_)(photo|avatar|picture|pic|image|img|portrait|selfie|signature|scan|document|attachment)")
_FILE_TWIN_END = re.compile(r"(_url|_uri|_path|_key|_file|_filename|_name|_link|_location)$")
_GEO_TYPES = re.compile(r"^(point|geometry|geography)(\(|$)|\.(geometry|geography)(\(|$)")
_GEO_NAME = re.compile(
    r"(^|_)(location|loc|geo|geom|geometry|geography|coords|coordinates|position|latlng|lat_lng|point|gps)(_|$)"
)
_KANA = re.compile(r"(^|_)(kana|furigana|reading|yomi)$|_kana(_|$)")
_CARD_EXPIRY = re.compile(
    r"(^|_)(exp|expiry|expiration|expires|card_exp|card_expiry|card_expiration)_?(month|mon|mm)$"
    r"|(^|_)(exp|expiry|expiration|expires|card_exp|card_expiry|card_expiration)_?(year|yr|yy|yyyy)$"
    r"|(^|_)(exp|expiry|expiration|card_exp|card_expiry)(_date)?$"
    r"|(^|_)(bin|iin|card_bin|card_iin)$"
)
_NEEDS_ADDRESS = re.compile(r"^(line_?\d|apartment|apt|suite|building|flat)")  # an address part only beside one
_ADDRESS_CONTEXT = re.compile(r"(^|_)(city|town|postal_code|postcode|zip|zip_code|country|state|region|province)$")
_ADDRESS_TRANSFORMS = frozenset({"address", "person_name", "phone", "email"})
# PII kinds a JSON leaf is drafted as its kind's transform for, when most of its sampled values are wholly one.
_JSON_VALUE_KINDS = frozenset({"EMAIL", "PHONE", "CARD", "IP"})
# A value kind the scan is sure of (most sampled values are wholly it) beats a name that says otherwise.
_VALUE_KINDS = frozenset({"email", "phone", "card_pan", "ip", "my_number", "corporate_number", "bank_account"})


def _name_guess(table: str, name: str, family: str) -> Guess | None:
    """What a column's name and type family alone say (None: nothing)."""
    for pattern, families, transform, params, why in _RULES:
        if family in families and re.search(pattern, name):
            if transform == "person_name" and _KANA.search(name):
                params = {**params, "script": "katakana"}
            return Guess(transform, params, why)
    if family == "text" and _PERSON_NAME.search(name):
        kana = {"script": "katakana"} if _KANA.search(name) else {}
        bare = words_of(table.rsplit(".", 1)[-1])
        if _COMPANY_TABLES.search(bare) and not _PERSON_ROLE.search(name):
            return Guess("company_name", kana, "company name (review: is it a person?)")
        if _PERSON_TABLES.search(bare) or _PERSON_ROLE.search(name):
            return Guess("person_name", kana, "person name")
    return None


def locates_a_person(column: ColumnInfo) -> bool:
    """Does the column's name say it holds where or who somebody is (an address, a name, a phone, an e-mail)?
    (Coordinates in the same table then point at that person: anonymize.scan reads this too.)"""
    guessed = _name_guess(column.table, column_words(column.name), _family_of(column))
    return guessed is not None and guessed.transform in _ADDRESS_TRANSFORMS


# ---------------------------------------------------------------- a table's context


@dataclass
class TableContext:
    """What the draft knows of a column's table while it decides the column: its columns, the scan's samples, the
    transforms its other columns get (pieces follow their value), and the source-wide facts."""

    table: str
    columns: dict[str, ColumnInfo]
    found: Mapping[str, Found] = field(default_factory=dict)
    profiles: Mapping[str, Any] = field(default_factory=dict)  # 'schema.table.column' -> anonymize.scan.Profile
    chosen: dict[str, Guess] = field(default_factory=dict)  # column -> its decision before pieces follow
    card_last4_anywhere: bool = False  # a last4 is stored somewhere in the source: cards get keyed_last4

    @property
    def entity(self) -> str | None:
        """The row's id column (integer or uuid, unique): what keys per-row offsets."""
        column = self.columns.get("id")
        return "id" if column is not None and column.family in ("integer", "uuid", "text") else None

    def locates(self) -> bool:
        """Is an address, a person, a phone or an e-mail of this table replaced?"""
        return any(g.transform in _ADDRESS_TRANSFORMS for g in self.chosen.values())


def guess(table: str, column: ColumnInfo, context: TableContext | None = None) -> Guess:
    """The transform a column most likely needs, from its name, its table's name, its type and, with `context`,
    its sampled values and the table's other columns."""
    name = column_words(column.name)
    family = _family_of(column)
    profile = context.profiles.get(column.qualified) if context is not None else None
    found = context.found.get(column.qualified) if context is not None else None
    if column.generated:
        return Guess("keep", {}, "generated column")
    if _ID.match(name) and family in ("integer", "uuid"):
        return Guess("keep", {}, "")
    chosen = _name_guess(table, name, family)
    if context is not None and chosen is not None and chosen.transform == "card_part":
        chosen = _card_piece(chosen, context)
    if chosen is None and family in ("integer", "text") and _CARD_EXPIRY.search(name) and context is not None:
        chosen = _card_piece(Guess("card_part", {"part": _expiry_part(name)}, "card expiry"), context)
    piece = chosen is not None and chosen.transform == "card_part" and chosen.params.get("part") != "last4"
    if piece and (context is None or not _has_card(context)):
        chosen = None  # an expiry or a BIN alone is no card's piece
    line = chosen is not None and chosen.transform == "address" and _NEEDS_ADDRESS.search(name) is not None
    if line and context is not None and not any(_ADDRESS_CONTEXT.search(column_words(c)) for c in context.columns):
        chosen = None  # "line2" of something else than an address
    login = chosen is not None and chosen.transform == "username" and profile is not None and profile.sampled
    if login and profile.verdict is None and not profile.person_like and not found:
        chosen = Guess("keep", {}, "REVIEW: named like a login, but no sampled value holds a person's name")
    photo = family == "bytea" and (_PHOTO.search(name) or _verdict(profile) == "PHOTO")
    if photo and not _NOT_PERSONAL_FILE.search(name):
        return _nulled(column, "photo or scanned document of a person")
    twin = family == "text" and _FILE_TWIN.search(name) and _FILE_TWIN_END.search(name) and profile is not None
    if twin and (profile.person_like or _verdict(profile) == "USERNAME"):
        return Guess("token", {}, "file name or URL of a person's photo or document, holding names")
    if _is_coordinates(column, name, family, profile):
        return _coordinates(column, context)
    named = chosen is None and family == "text" and name.endswith("name") and profile is not None
    if named and profile.sampled and profile.person_like >= 0.6 * profile.sampled:
        chosen = Guess("person_name", {}, f"person name ({profile.person_like}/{profile.sampled} sampled are)")
    overruled = found is not None and found.transform in _VALUE_KINDS
    if overruled and (chosen is None or chosen.transform != found.transform):
        weaker = chosen is None or chosen.transform in ("username", "free_text", "person_name", "address")
        if weaker or found.transform in ("email", "card_pan"):
            return Guess(found.transform, found.params, found.why)
    if chosen is not None:
        return chosen
    if family == "json":
        return Guess("keep", {}, "REVIEW: JSON may hold personal data; use `json` with paths")
    if family == "other" and found is not None and found.transform in ("null", "keep"):
        why = "a composite value holding personal fields (no transform reaches inside one)"
        if column.nullable:
            return Guess("null", {}, why)
        return Guess("keep", {}, f"REVIEW: {why}; NOT NULL, so not nulled: rule it (devkit scan flags it)")
    return Guess("keep", {}, "")


def _verdict(profile: Any) -> str | None:
    return profile.verdict.shape if profile is not None and profile.verdict is not None else None


def _nulled(column: ColumnInfo, why: str) -> Guess:
    if column.nullable:
        return Guess("null", {}, why)
    return Guess("constant", {"value": _empty_of(column)}, f"{why}; NOT NULL: an empty value (REVIEW)")


def _empty_of(column: ColumnInfo) -> str:
    family = column.family
    if family == "bytea":
        return "\\x"
    if element_column(column) is not None:
        return "{}"
    return ""


def _is_coordinates(column: ColumnInfo, name: str, family: str, profile: Any) -> bool:
    if family in ("numeric", "text") and axis_of(name) is not None:
        return family == "numeric" or _verdict(profile) == "COORDINATES"
    if family == "other" and _GEO_TYPES.search((column.base_type or column.pg_type).strip().lower()):
        return True
    return family == "other" and _GEO_NAME.search(name) is not None and _verdict(profile) == "COORDINATES"


def _coordinates(column: ColumnInfo, context: TableContext | None) -> Guess:
    if context is None or not context.locates():
        return Guess("keep", {}, "coordinates, with no address or person replaced in this table (REVIEW)")
    params: dict[str, Any] = {"km": 5}
    if context.entity:
        params["entity_column"] = context.entity
    if column.family == "other" and "geo" in (column.base_type or column.pg_type):
        return _nulled(column, "position of an address this table replaces (a geometry: nulled)")
    return Guess("coordinates", params, "position of an address or person this table replaces: moved 1-5 km")


def _expiry_part(name: str) -> str:
    if re.search(r"(month|mon|mm)$", name):
        return "exp_month"
    if re.search(r"(year|yr|yy|yyyy)$", name):
        return "exp_year"
    if re.search(r"(^|_)(bin|iin|card_bin|card_iin)$", name):
        return "bin"
    return "expiry"


def _has_card(context: TableContext) -> bool:
    return any(g.transform == "card_pan" for g in context.chosen.values()) or any(
        re.search(r"(^|_)(last_?4|last_?four|card_last_?4)$", column_words(c)) for c in context.columns
    )


def _card_piece(chosen: Guess, context: TableContext) -> Guess:
    """A card's piece keyed on the card's column (or its last4), so its expiry moves as the card's other copies."""
    card = next((c for c, g in context.chosen.items() if g.transform == "card_pan"), None)
    card = card or next((c for c in context.columns if re.search(r"last_?4|last_?four", column_words(c))), None)
    params = dict(chosen.params)
    if params.get("part") in ("exp_month", "exp_year", "expiry") and card is not None:
        params["key_column"] = card
    return Guess("card_part", params, f"{chosen.why}: follows the card's fake")


def _follow(column: ColumnInfo, chosen: Guess, context: TableContext) -> Guess:
    """Pieces that follow a replaced value: a card keyed_last4 when last4s are stored; a reading keyed like the
    name it reads."""
    if chosen.transform == "card_pan" and context.card_last4_anywhere and "keyed_last4" not in chosen.params:
        return Guess("card_pan", {**chosen.params, "keyed_last4": True}, f"{chosen.why} (its last4 elsewhere follows)")
    name = column_words(column.name)
    if chosen.transform in ("person_name", "company_name") and _KANA.search(name) and "key_column" not in chosen.params:
        read = _read_name(name, context)
        if read is not None:
            key = context.chosen[read].params.get("key_column") or read
            if context.columns[read].unique and context.entity:
                key = context.entity  # the name is keyed on the id (unique): its reading too
            return Guess(chosen.transform, {**chosen.params, "key_column": key}, f"{chosen.why}: the reading of {read}")
    return chosen


def _read_name(kana: str, context: TableContext) -> str | None:
    """The column a reading column reads: name_kana -> name, first_name_kana -> first_name, フリガナ -> 氏名."""
    base = re.sub(r"_?(kana|furigana|reading|yomi)$", "", kana)
    candidates = [c for c, g in context.chosen.items() if g.transform in ("person_name", "company_name")]
    candidates = [c for c in candidates if not _KANA.search(column_words(c))]
    for column in candidates:
        if column_words(column) == base:
            return column
    full = [c for c in candidates if context.chosen[c].params.get("part", "full") == "full"]
    return full[0] if len(full) == 1 and base in ("name", "full_name", "") else None


# ---------------------------------------------------------------- JSON columns: a rule per path


_PERSON_PARENTS = re.compile(
    r"contact|customer|holder|billing|shipping|recipient|buyer|payer|payee|sender|owner|user|member|evidence|"
    r"cardholder|person|guest|patient|driver|employee|staff|account_holder|beneficiary|signatory|from|to"
)
_NOT_PERSON_PARENTS = re.compile(r"product|item|sku|store|shop|merchant|company|plan|category|brand|app|device|file")


def json_rule(column: ColumnInfo, profile: Any, context: TableContext | None = None) -> Guess | None:
    """A `json` rule with a path rule for every sampled path whose key name and values are personal (and
    other_strings through the PII detector for the rest), or None when nothing sampled is."""
    from anonymize.scan import card_pieces

    paths: dict[str, Any] = {}
    pieces = card_pieces(profile.paths)
    has_card = bool(pieces)
    coordinates = []
    for path, shape in sorted(profile.paths.items()):
        if path in pieces:
            part = pieces[path]
            params: dict[str, Any] = {"part": part}
            last4 = _sibling(path, pieces, "last4")
            if part in ("exp_month", "exp_year", "expiry") and last4 is not None:
                params["key_column"] = "@." + last4
            paths[path] = {"transform": "card_part", "params": params}
            continue
        rule = _path_rule(shape, has_card)
        if rule == "coordinates":
            coordinates.append(path)
        elif rule is not None:
            paths[path] = rule
    if coordinates and any(_rule_transform(r) in _ADDRESS_TRANSFORMS for r in paths.values()):
        for path in coordinates:
            params = {"km": 5}
            if context is not None and context.entity:
                params["entity_column"] = context.entity
            paths[path] = {"transform": "coordinates", "params": params}
    personal = any(shape.kinds for shape in profile.paths.values())
    if not paths and not personal:
        return None
    why = f"personal JSON keys: {len(paths)} path(s) ruled from their names and sampled values, other strings detected"
    return Guess("json", {"paths": paths, "other_strings": FREE_TEXT}, why)


def _rule_transform(rule: Any) -> str:
    return rule if isinstance(rule, str) else rule["transform"]


def _sibling(path: str, pieces: Mapping[str, str], part: str) -> str | None:
    parent = path[: path.rfind(".")]
    for other, other_part in pieces.items():
        if other_part == part and other[: other.rfind(".")] == parent:
            return other[other.rfind(".") + 1 :]
    return None


def _path_rule(shape: Any, has_card: bool) -> Any:
    """The rule of one JSON path from its keys and sampled leaves, or None (left to other_strings / kept)."""
    if not shape.keys or not shape.sampled:
        return None
    key = column_words(shape.keys[-1])
    parent = column_words(shape.keys[-2]) if len(shape.keys) > 1 else ""
    strings = shape.types.get("str", 0) >= shape.sampled / 2
    if axis_of(key) is not None and shape.verdict is not None and shape.verdict.shape == "COORDINATES":
        return "coordinates"
    if _ID.match(key) or not strings:
        return None
    n = shape.sampled
    whole_kind, whole_n = max(shape.whole.items(), key=lambda item: item[1], default=(None, 0))
    value_rule = column_transforms().get(whole_kind) if whole_kind in _JSON_VALUE_KINDS else None
    if value_rule is not None and whole_n >= 0.6 * n:
        return {"transform": "card_pan", "params": {"keyed_last4": True}} if value_rule == "card_pan" else value_rule
    if shape.verdict is not None and not shape.verdict.table_context:
        verdict = shape.verdict
        return {"transform": verdict.transform, "params": dict(verdict.params)} if verdict.params else verdict.transform
    for name in (f"{parent}_{key}" if parent else key, key):
        guessed = _name_guess("json", name, "text")
        if guessed is None or guessed.transform in ("free_text", "card_part", "username", "company_name"):
            continue
        if guessed.transform == "person_name":
            people = shape.person_like + shape.whole.get("PERSON", 0)
            named_for_people = _PERSON_PARENTS.search(parent) or _PERSON_ROLE.search(key)
            if _NOT_PERSON_PARENTS.search(parent) or (people < 0.3 * n and not named_for_people):
                continue
        return {"transform": guessed.transform, "params": dict(guessed.params)} if guessed.params else guessed.transform
    people = shape.person_like + shape.whole.get("PERSON", 0)
    person_key = key in ("name", "contact", "holder", "recipient", "payer", "sender", "buyer")
    if person_key and people >= 0.5 * n and not _NOT_PERSON_PARENTS.search(parent):
        return "person_name"
    return None


# ---------------------------------------------------------------- the rules file


def draft_rules(
    schema: Mapping[str, list[ColumnInfo]],
    found: Mapping[str, Found] | None = None,
    *,
    profiles: Mapping[str, Any] | None = None,
    locales: Mapping[str, ColumnLocales] | None = None,
) -> str:
    """A complete rules file (YAML text) for `schema`, every guess checked against its column. `found`
    ('schema.table.column' -> rule, from `devkit scan`) overrides a guess that would let detected personal data
    through (keep, or JSON without other_strings); a free_text guess always uses the PII detector. `profiles`
    (from the same scan: what each sampled column held) let values decide with names: JSON paths, logins, names,
    photos, coordinates. `locales` ('schema.table.column' -> what its sampled values say of their locale, from the
    same scan) adds a `locale` param to the names, phones and addresses of a column that isn't Japanese
    (anonymize.locales.locale_for)."""
    keyring = Keyring(b"draft-check-key-not-for-data!!")
    lines = [
        "# Drafted by `devkit rules init`: review every rule before the first snapshot.",
        "# `keep` copies a column unchanged; everything else is replaced by a keyed fake.",
        "version: 1",
        "tables:",
    ]
    profiles = profiles or {}
    keyed = keyed_transforms()  # given key_column: id on a unique column
    last4_anywhere = _last4_anywhere(schema, profiles)
    for table in sorted(schema):
        lines.append(f"  {_yaml_key(table)}:")
        lines.append("    columns:")
        columns = schema[table]
        by_name = {c.name for c in columns}
        context = _context(table, columns, found or {}, profiles, last4_anywhere)
        for column in columns:
            if column.generated:
                continue  # recomputed on load; needs no rule
            chosen = guess(table, column, context)
            if chosen.transform == "free_text":
                chosen = Guess("free_text", {"detector": "presidio"}, chosen.why)
            scanned = (found or {}).get(column.qualified)
            if scanned is not None and (chosen.transform == "keep" or column.family == "json"):
                # JSON: the payload's own ids (sampled under id keys) are drafted keep paths (anonymize.id_paths)
                params = with_id_keep_paths(scanned.transform, scanned.params, getattr(scanned, "json_paths", {}))
                chosen = Guess(scanned.transform, params, scanned.why)
            chosen = _with_json_paths(column, chosen, context)
            chosen = _follow(column, chosen, context)
            params = dict(chosen.params)
            why = chosen.why
            if locale := locale_for(chosen.transform, params, (locales or {}).get(column.qualified)):
                params["locale"] = locale
            if chosen.transform in keyed and column.unique and "key_column" not in params:
                key = "id" if "id" in by_name else None
                if key:
                    params["key_column"] = key
            rule = ColumnRule(transform=chosen.transform, params=params)
            try:
                build_transformer(rule, column, keyring)
            except AnonymizeError as exc:
                fallback = "null" if column.nullable else "keep"
                why = f"REVIEW: guessed {chosen.transform} but {exc.message}; {fallback} drafted instead"
                rule = ColumnRule(transform=fallback)
            comment = f"  # {why}" if why else ""
            lines.append(f"      {_yaml_key(column.name)}: {_yaml_rule(rule)}{comment}")
    return "\n".join(lines) + "\n"


def _context(
    table: str,
    columns: list[ColumnInfo],
    found: Mapping[str, Found],
    profiles: Mapping[str, Any],
    last4_anywhere: bool,
) -> TableContext:
    """The table's context, with each column's decision by name and values (before pieces follow it)."""
    context = TableContext(table, {c.name: c for c in columns}, found, profiles, card_last4_anywhere=last4_anywhere)
    for column in columns:
        chosen = guess(table, column)
        scanned = found.get(column.qualified)
        if scanned is not None and chosen.transform == "keep":
            chosen = Guess(scanned.transform, scanned.params, scanned.why)
        context.chosen[column.name] = chosen
    for column in columns:  # once more, now that the table's other columns are known (pieces of a card ...)
        context.chosen[column.name] = guess(table, column, context)
    return context


def _with_json_paths(column: ColumnInfo, chosen: Guess, context: TableContext) -> Guess:
    """A JSON column: the paths its sampled keys and values call for, other_strings kept as the scan suggested."""
    if column.family != "json" or chosen.transform not in ("json", "keep"):
        return chosen
    profile = context.profiles.get(column.qualified)
    if profile is None or not getattr(profile, "paths", None):
        return chosen
    drafted = json_rule(column, profile, context)
    if drafted is None:
        return chosen
    paths = {**drafted.params["paths"], **dict(chosen.params.get("paths") or {})}
    params = {**dict(chosen.params), "paths": paths, "other_strings": chosen.params.get("other_strings") or FREE_TEXT}
    why = chosen.why if chosen.transform == "json" and chosen.why else drafted.why
    return Guess("json", params, f"{why}; {len(paths)} path(s) ruled by key name and value")


def _last4_anywhere(schema: Mapping[str, list[ColumnInfo]], profiles: Mapping[str, Any]) -> bool:
    """Does the source store a card's last four digits beside its card (a column, or a JSON key)?"""
    from anonymize.scan import card_pieces

    for columns in schema.values():
        if any(re.search(r"(^|_)(last_?4|last_?four|card_last_?4)$", column_words(c.name)) for c in columns):
            return True
    return any("last4" in card_pieces(getattr(p, "paths", {}) or {}).values() for p in profiles.values())


# Plain words YAML 1.1 reads as booleans or null: a column named `no` or `on` must be quoted to stay a name.
_YAML_WORDS = re.compile(r"(y|yes|n|no|true|false|on|off|null|~)", re.IGNORECASE)


def _yaml_key(name: str) -> str:
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name) and not _YAML_WORDS.fullmatch(name)
    return name if plain else '"' + name.replace('"', '\\"') + '"'


def _yaml_rule(rule: ColumnRule) -> str:
    if rule.transform == "null":
        return '"null"'
    if not rule.params:
        return rule.transform
    params = ", ".join(f"{key}: {_yaml_scalar(value)}" for key, value in rule.params.items())
    return f"{{transform: {rule.transform}, params: {{{params}}}}}"


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, Mapping):  # keys quoted as values are: a JSON path's "$.items[*].id" needs it
        return "{" + ", ".join(f"{_yaml_scalar(key)}: {_yaml_scalar(item)}" for key, item in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_yaml_scalar(item) for item in value) + "]"
    text = str(value)
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) and not _YAML_WORDS.fullmatch(text)
    return text if plain else '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
