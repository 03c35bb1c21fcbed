"""Property-based differential tests of the C speedups: hypothesis searches for a value on which a C fast path and
its pure-Python reference differ (unicode of every category, empty and long strings, the digit and separator
shapes each path branches on), where test_speedups.py replays fixed samples. CI runs a derandomized profile (the
same examples every run, bounded in number); DEVKIT_PROPERTY_EXAMPLES=5000 searches deeper locally. A failure
prints the smallest counterexample hypothesis shrank it to."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymize import leak_keys as reference
from anonymize.copy_text import decode_field, encode_field
from anonymize.keys import Keyring
from anonymize.locales import python_is_latin_text
from anonymize.rules import ColumnRule
from anonymize.speedups import NATIVE
from anonymize.transformers.base import Transformer
from anonymize.transformers.digits import fill_digits
from anonymize.transformers.keyed import python_indexer, python_name_key
from anonymize.transformers.permutation import Permutation
from tests.anonymize.test_native_interface import changing_slot
from tests.anonymize.test_speedups import KEY, SALT, _answers, _both, _python_apply

pytestmark = pytest.mark.skipif(NATIVE is None, reason="test_the_c_module_is_built fails the run instead")

# Deterministic in CI: the same examples in the same order every run, no example database, no deadline (the
# machine is shared and slow; a time limit would make the outcome depend on load).
EXAMPLES = int(os.environ.get("DEVKIT_PROPERTY_EXAMPLES", "150"))
DIFFERENTIAL = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# What the C paths branch on, drawn often (hypothesis' own text rarely hits full-width digits or the ideographic
# space): ASCII digits and separators, full-width and other scripts' digits, Unicode spaces, kana and kanji,
# characters case folding and NFKC rewrite, COPY escapes, astral characters.
SHAPES = (
    "0123456789" * 3
    + " -+().@_/:#,;\t\n\\"
    + "０１９－＋（）＠\u3000\u00a0\u2003\u200b\x1c\x1f"
    + "\u0661\u0967\u00b2\u2460\u1369"
    + "ßﬁİΣσςÉé"
    + "佐藤太郎さとうタロウｻﾄｳｶﾞ東京都丁目番号階棟ー々〇ヽ〒"
    + "aZxyAB\U0001f600"
)
shaped = st.text(alphabet=st.sampled_from(SHAPES), max_size=30)
values = st.one_of(
    shaped,
    st.text(max_size=30),  # any code point but surrogates
    st.text(alphabet=st.sampled_from(SHAPES), min_size=100, max_size=400),  # long: past buffers and block sizes
)
digits = st.text(alphabet="0123456789", min_size=1, max_size=20)


def _separated(parts: list[str], separator: str) -> str:
    return separator.join(parts)


digit_groups = st.builds(
    _separated, st.lists(digits, min_size=1, max_size=4), st.sampled_from(["-", " ", "", ")", ".", "－"])
)
row_keys = st.one_of(
    st.none(), st.sampled_from(["", "0", "42", "４２", "佐藤", "abc"]), st.integers(0, 10**12).map(str)
)


@functools.cache
def _pair(
    transform: str, params: tuple[tuple[str, str], ...] = (), pg_type: str = "text"
) -> tuple[Callable, Transformer]:
    """One C fake and its Python twin per configuration, kept across examples (building them costs more than the
    examples)."""
    return _both(ColumnRule(transform=transform, params=dict(params)), pg_type)


def _same_fakes(transform: str, value: str, key: str | None = None, **params: str) -> None:
    native, fresh = _pair(transform, tuple(sorted(params.items())))
    rows = [{"id": key}]
    assert _answers(native, [value], rows) == _answers(fresh.transform, [value], rows)


# ---------------------------------------------------------------- leak keys, name keys, scripts, digit fill


@DIFFERENTIAL
@given(
    value=st.one_of(values, digit_groups, st.builds(str.__add__, st.sampled_from(["+81 ", "0081-", "+"]), digit_groups))
)
def test_leak_keys(value: str) -> None:
    assert NATIVE.leak_key(value) == reference.leak_key(value)
    assert NATIVE.leak_keys(value) == reference.leak_keys(value)
    assert NATIVE.text_output_keys(value) == reference.output_keys(value)
    assert NATIVE.hashed_keys(value, SALT) == reference.hashed_keys(value, SALT)
    assert NATIVE.text_output_hashes(value, SALT) == reference.text_output_hashes(value, SALT)


@DIFFERENTIAL
@given(value=values)
def test_name_key_and_latin_text(value: str) -> None:
    assert NATIVE.name_key(value) == python_name_key(value)
    assert NATIVE.latin_text(value) == python_is_latin_text(value)


@DIFFERENTIAL
@given(template=shaped, data=st.data())
def test_digit_fill(template: str, data: st.DataObject) -> None:
    count = sum(c in "0123456789" for c in template)
    filler = data.draw(st.text(alphabet="0123456789", min_size=count, max_size=count))
    assert NATIVE.fill_digits(template, filler) == fill_digits(template, filler)


# ---------------------------------------------------------------- transformers' common cases


def _nanp(area: int, exchange: int, line: int, separator: str) -> str:
    return f"{area}{separator}{exchange}{separator}{line:04d}"


# North American and British spellings, the C fake's own since it writes them (with their near misses: N11 and
# 0/1-leading exchanges, 9-digit British numbers, +44 (0)...).
nanp = st.builds(
    _nanp,
    st.integers(100, 999),
    st.integers(100, 999),
    st.integers(0, 9999),
    st.sampled_from(["-", " ", "", ".", ") "]),
)
foreign_phones = st.builds(
    str.__add__,
    st.sampled_from(["", "+1 ", "+1-", "1-", "1 ", "(", "+44 ", "0044 ", "+44 (0)", "+44 0", "001-", "+", "00", " "]),
    st.one_of(nanp, digit_groups),
)


@DIFFERENTIAL
@given(value=st.one_of(values, digit_groups, foreign_phones), locale=st.sampled_from(["auto", "us", "ja"]))
def test_phone(value: str, locale: str) -> None:
    _same_fakes("phone", value, **({} if locale == "auto" else {"locale": locale}))


@DIFFERENTIAL
@given(
    local=st.one_of(shaped, st.text(alphabet="abcXYZ09._-+", max_size=40)),
    domain=st.sampled_from(["example.com", "Yahoo.co.jp", "例え.jp", "", "a@b"]),
    pad=st.sampled_from(["", " ", "\t"]),
)
def test_email(local: str, domain: str, pad: str) -> None:
    _same_fakes("email", f"{pad}{local}@{domain}{pad}")
    _same_fakes("email", local)


@DIFFERENTIAL
@given(
    value=st.one_of(digit_groups, values, st.builds(str.__add__, st.sampled_from(["4", "51", "34", "3528"]), digits))
)
def test_card(value: str) -> None:
    _same_fakes("card_pan", value)


@DIFFERENTIAL
@given(
    value=st.one_of(
        st.lists(st.integers(0, 999).map(str), min_size=1, max_size=6).map(".".join),
        st.text(alphabet="0123456789.１ /:", max_size=20),
        values,
    )
)
def test_ip(value: str) -> None:
    _same_fakes("ip", value)


@DIFFERENTIAL
@given(
    value=st.one_of(
        st.builds(
            "{:04d}-{:02d}-{:02d}{}".format,
            st.integers(0, 10000),
            st.integers(0, 13),
            st.integers(0, 32),
            st.sampled_from(["", " ", " BC", "T00:00:00", "１", " 12:34:56+09"]),
        ),
        values,
    ),
    key=row_keys,
)
def test_date_shift(value: str, key: str | None) -> None:
    _same_fakes("date_shift", value, key, entity_column="id")
    _same_fakes("date_shift", value)


@DIFFERENTIAL
@given(
    value=st.one_of(
        st.builds(
            "{}{}{}{}{}".format,
            st.sampled_from(["", " ", "\u3000"]),
            st.sampled_from(["佐藤", "鈴木", "サトウ", "さとう", "Smith", "ｻﾄｳ", ""]),
            st.sampled_from([" ", "\u3000", "", "  ", "・"]),
            st.sampled_from(["太郎", "花子", "タロウ", "John", "々", ""]),
            st.sampled_from(["", " ", "\u3000"]),
        ),
        values,
    ),
    key=row_keys,
    script=st.sampled_from(["kanji", "katakana", "hiragana"]),
)
def test_person_name(value: str, key: str | None, script: str) -> None:
    _same_fakes("person_name", value, key, key_column="id", script=script)
    _same_fakes("person_name", value, script=script)


# Latin-script names as the C fake splits them: words of ASCII letters with . ' - at spaces, titles, suffixes,
# particles and initials among them, romaji-looking words (Hepburn syllables, long vowels), odd neighbours.
LATIN_NAME_WORDS = ["John", "SMITH", "jane", "J.", "j", "Dr.", "mr", "Jr.", "iii", "PhD", "van", "de", "O'Brien"]
LATIN_NAME_WORDS += [
    "Anne-Marie",
    "K-",
    "O'",
    "Taro",
    "yamada",
    "Satou",
    "OHNO",
    "Kim",
    "Anna",
    "nn",
    "tt",
    "shi",
    ".",
    "-",
]
latin_names = st.builds(
    "{}{}{}".format,
    st.sampled_from(["", " ", "  "]),
    st.lists(st.sampled_from(LATIN_NAME_WORDS), max_size=5).map(" ".join),
    st.sampled_from(["", " ", ",", " Jr."]),
)


@DIFFERENTIAL
@given(
    value=st.one_of(latin_names, st.text(alphabet="aeiounmkstyhz .'-AEOUNMKS", max_size=24), values),
    part=st.sampled_from(["full", "family", "given"]),
    locale=st.sampled_from(["auto", "en"]),
    order=st.sampled_from(["auto", "family_first"]),
)
def test_person_name_latin(value: str, part: str, locale: str, order: str) -> None:
    _same_fakes("person_name", value, part=part, locale=locale, order=order)


# Western lines and postal codes as western.c tokenizes them: numbers, ordinals, name runs and street types, units,
# single letters, UK postcodes (with their near misses), separators and case.
WESTERN_ADDRESS_PIECES = ["12", "0", "007", "3rd", "21ST", "11th", "Baker", "Lake", "Shore", "Drive", "St", "st"]
WESTERN_ADDRESS_PIECES += ["Apt", "B", "x", "CA", "O'Neil", "SW1A 1AA", "ec1a1bb", "W1  2AB", "A1", "1AA", "-", "#"]
western_addresses = st.lists(st.sampled_from(WESTERN_ADDRESS_PIECES), max_size=6).flatmap(
    lambda pieces: st.sampled_from([" ", "", ", ", "  "]).map(lambda separator: separator.join(pieces))
)


@DIFFERENTIAL
@given(
    value=st.one_of(
        st.integers(0, 10**7 - 1).map("{:07d}".format),
        st.builds("{:03d}-{:04d}".format, st.integers(0, 999), st.integers(0, 9999)),
        st.builds(str.__add__, st.sampled_from(["〒", " ", ""]), digit_groups),
        western_addresses,
        values,
    ),
    key=row_keys,
    part=st.sampled_from(["postal_code", "street", "building"]),
)
def test_address(value: str, key: str | None, part: str) -> None:
    _same_fakes("address", value, key, key_column="id", part=part)
    _same_fakes("address", value, part=part)


@DIFFERENTIAL
@given(
    value=st.one_of(st.text(alphabet="abcdefABCXYZ0189-_.:/+=~$ #", max_size=60), values),
    keep=st.sampled_from([{}, {"keep_chars": "-"}]),
)
def test_token(value: str, keep: dict[str, str]) -> None:
    _same_fakes("token", value, **keep)


# ---------------------------------------------------------------- keyed digest, permutation, indexer


@functools.cache
def _keyring(key: bytes) -> Keyring:
    return Keyring(key)


@DIFFERENTIAL
@given(
    key=st.binary(min_size=16, max_size=130),
    domain=st.text(max_size=150).filter(lambda d: "\0" not in d),
    value=st.one_of(values, st.text(alphabet="y", min_size=100, max_size=300)),
)
def test_keyed_digest(key: bytes, domain: str, value: str) -> None:
    keyring = _keyring(key)
    digest = keyring.digester(domain)
    assert isinstance(digest, NATIVE.KeyedDigest)
    assert digest(value) == keyring.digest(domain, value)


@functools.cache
def _permutation(size: int) -> Permutation:
    return Permutation(KEY.subkey(f"properties\0{size}"), size)


@DIFFERENTIAL
@given(size=st.one_of(st.integers(2, 10**4), st.sampled_from([10**8, 12_000_000, 2**32])), data=st.data())
def test_feistel(size: int, data: st.DataObject) -> None:
    permutation = _permutation(size)
    assert isinstance(permutation.apply, NATIVE.Feistel)
    x = data.draw(st.integers(0, size - 1))
    assert permutation.apply(x) == _python_apply(permutation, x)


@functools.cache
def _indexers(size: int) -> tuple[Callable[[str], int], Callable[[str], int]]:
    digest = KEY.digester(f"properties-index\0{size}")
    permute = _permutation(size).apply
    return NATIVE.Indexer(digest, permute, size), python_indexer(digest, permute, size)


@DIFFERENTIAL
@given(size=st.sampled_from([2, 7, 12_000_000, 10**9]), key=st.one_of(digits, st.integers(0, 2**70).map(str), values))
def test_indexer(size: int, key: str) -> None:
    ours, python = _indexers(size)
    assert ours(key) == python(key)


# ---------------------------------------------------------------- COPY TEXT decode/encode (copy_text.c)

# Raw COPY fields: escapes of every kind (octal and hex that spell UTF-8 bytes, or not; a lone trailing
# backslash), next to plain text.
raw_fields = st.lists(
    st.one_of(
        st.text(alphabet=st.sampled_from("ab\\ Nn.tx7é佐🍣"), max_size=3),
        st.sampled_from(
            ["\\t", "\\n", "\\\\", "\\N", "\\x", "\\xe4\\xbd\\x90", "\\344\\275\\220", "\\0", "\\777", "\\q"]
        ),
    ),
    max_size=6,
).map("".join)


def _through_c(field: bytes) -> tuple:
    """copy_text.c's decode, then its encode (a transform that changes every value makes the loop write it)."""
    lines = [b"0\t" + field]
    spec = changing_slot(1, lambda value, row: value + "!")
    try:
        NATIVE.transform_lines(lines, 2, (spec,), {}, None, None, None, None, 1, [0, 0])
    except (UnicodeDecodeError, ValueError) as exc:
        return ("error", type(exc).__name__)
    return ("ok", lines[0])


def _through_python(field: bytes) -> tuple:
    try:
        value = decode_field(field)
    except (UnicodeDecodeError, ValueError) as exc:
        return ("error", type(exc).__name__)
    return ("ok", field if value is None else b"0\t" + encode_field(value + "!"))


@DIFFERENTIAL
@given(field=st.one_of(raw_fields, st.text(max_size=20)).map(str.encode))
def test_copy_text_decode_and_encode(field: bytes) -> None:
    if b"\t" in field or b"\n" in field:  # a field never holds them raw: COPY escapes them
        field = field.replace(b"\t", b"\\t").replace(b"\n", b"\\n")
    c, python = _through_c(field), _through_python(field)
    if python[0] == "ok" and field == b"\\N":
        python = ("ok", b"0\t\\N")  # NULL: no call, the line as it was
    assert c == python
