"""company_name: fake company (or shop) names, Japanese (株式会社サクラ商事) or Latin (Sakura Trading Co., Ltd.).

The legal form (株式会社/有限会社/合同会社/(株)/Co., Ltd./Inc. ...) and its position are mirrored from the
input, and a shop's branch (…渋谷店) gets a fake branch. The fake is a pool index chosen by the source key (the
value, or `key_column`), like person_name; a unique column needs key_column: integer ids map to distinct kanji
spellings (readings and Latin names may be homophones).
"""

from __future__ import annotations

import re
from typing import Literal

from anonymize import normalize
from anonymize.keys import Keyring
from anonymize.names import pool
from anonymize.transformers.base import (
    ColumnInfo,
    Keyed,
    KeyedParams,
    MemoizedTransformer,
    TextKind,
    register,
)
from anonymize.transformers.keyed import KeyedIndex, fit, name_key

_JA_FORMS = (
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "一般社団法人",
    "医療法人",
    "(株)",
    "(有)",
    "(同)",
)
_LATIN_FORMS = ("Co., Ltd.", "Co.,Ltd.", "Co. Ltd.", "Inc.", "K.K.", "LLC", "Corporation", "Corp.", "Ltd.", "G.K.")
_KANA_FORMS = ("カブシキガイシャ", "ユウゲンガイシャ", "ゴウドウガイシャ", "カ)", "(カ", "ユ)", "(ユ", "ド)", "(ド")
_KANA_OF_FORM = {"株式会社": "カブシキガイシャ", "有限会社": "ユウゲンガイシャ", "合同会社": "ゴウドウガイシャ"}
_BRANCH = re.compile(r"([\s\u3000]?)[^\s\u3000]{1,12}店$")


class CompanyParams(KeyedParams):
    style: Literal["auto", "ja", "latin"] = "auto"  # auto: Latin for ASCII input, else Japanese
    script: Literal["kanji", "katakana"] = "kanji"  # Japanese style: as written, or the reading (legal_name_kana)
    legal_form: Literal["auto", "prefix", "suffix", "none"] = "auto"  # auto: mirror the input


@register
class CompanyName(Keyed[CompanyParams], MemoizedTransformer[CompanyParams]):
    name = "company_name"
    text_kinds = (TextKind("company"),)
    unique_fakes = "names"
    accepts = frozenset({"text"})
    default_domain = "company_name"
    realistic_fakes = True
    keeps_blank = True

    def __init__(self, params: CompanyParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        self.parts = pool.company_parts()
        self.towns = pool.places().towns
        size = len(self.parts.stems) * len(self.parts.industries) * len(self.parts.regions)
        self._index_of = KeyedIndex.shared(keyring, self.domain, size)
        self._lookup = self._index_of.lookup
        self._branch_digest = keyring.digester(self.domain + "\0branch")

    def _fake(self, value: str, key: str) -> str:
        index = self._lookup(name_key(key))
        index, industry_i = divmod(index, len(self.parts.industries))
        region_i, stem_i = divmod(index, len(self.parts.stems))
        stem, industry, region = (
            self.parts.stems[stem_i],
            self.parts.industries[industry_i],
            self.parts.regions[region_i],
        )
        text = value.strip() if value.isascii() else normalize.nfkc(value)  # NFKC leaves ASCII as it is
        latin = self.params.style == "latin" or (self.params.style == "auto" and text.isascii())
        if latin:
            core = f"{region.romaji.title() + ' ' if region else ''}{stem.romaji.title()} {industry.english}"
            form = _first_in(_LATIN_FORMS, text) if "." in text or "L" in text or "Corporation" in text else None
            if self.params.legal_form == "none" or (self.params.legal_form == "auto" and form is None):
                fake = core
            elif self.params.legal_form == "prefix":
                fake = f"{form or 'K.K.'} {core}"
            else:
                fake = f"{core} {form or 'Co., Ltd.'}"
        elif self.params.script == "katakana":
            core = f"{region.katakana if region else ''}{stem.katakana}{industry.katakana}"
            form = _first_in(_KANA_FORMS, text) if "ガイシャ" in text or "(" in text or ")" in text else None
            position = self.params.legal_form
            if position == "auto":
                position = "none" if form is None else "prefix" if text.startswith(form) else "suffix"
            form = form or "カブシキガイシャ"
            fake = core if position == "none" else form + core if position == "prefix" else core + form
            branch = _BRANCH.search(text) if text.endswith("店") else None
            if branch:
                fake = f"{fake}{branch.group(0)}"  # a store's kana branch suffix (ホンテン) is no one's name
        else:
            core = f"{region.text if region else ''}{stem.text}{industry.text}"
            form = _first_in(_JA_FORMS, text) if "会社" in text or "法人" in text or "(" in text else None
            position = self.params.legal_form
            if position == "auto":
                position = "none" if form is None else "prefix" if text.startswith(form) else "suffix"
            fake = (
                core
                if position == "none"
                else (form or "株式会社") + core
                if position == "prefix"
                else core + (form or "株式会社")
            )
            branch = _BRANCH.search(text) if text.endswith("店") else None
            if branch and text.endswith("本店"):
                fake = f"{fake}{branch.group(1)}本店"
            elif branch and not text.endswith("商店"):
                town = self.towns[int.from_bytes(self._branch_digest(text)[:8], "big") % len(self.towns)]
                fake = f"{fake}{branch.group(1)}{town}店"
        if self.max_length is not None and len(fake) > self.max_length:
            fake = (stem.romaji.title() if latin else stem.text) if len(core) > self.max_length else core
        return fit(fake, self.max_length)


def _first_in(forms: tuple[str, ...], text: str) -> str | None:
    """The first of `forms` (in their order) that `text` contains. Callers skip it when no form can be there: each
    Japanese form holds 会社, 法人 or "(", each kana one ガイシャ or a parenthesis, each Latin one ".", "L" (LLC)
    or is "Corporation"."""
    for form in forms:
        if form in text:
            return form
    return None
