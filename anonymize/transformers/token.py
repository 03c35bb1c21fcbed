"""token: keyed replacement of opaque identifiers (API tokens, hashes, reference codes, UUIDs, bytea) with a
fake of the same length, alphabet and shape: hex stays hex, base64 stays base64; `tok_`/`sk_test_` prefixes,
separators and a password hash's $algorithm$cost$ header stay where they are. Same token -> same fake (so
references between tables still join)."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable

from anonymize.keys import Keyring
from anonymize.speedups import NATIVE
from anonymize.transformers.base import ColumnInfo, MemoizedTransformer, StrictParams, TextKind, TransformCall, register
from anonymize.transformers.keyed import native_max_length

_PREFIX = re.compile(r"^(?:[A-Za-z]{1,8}_){1,2}")
_CRYPT_PREFIX = re.compile(
    r"^\$[0-9a-z]{1,10}\$(?:(?:\d{1,2}|rounds=\d+|[a-z]=\d+(?:,[a-z]=\d+)*)\$)*"
)  # $2b$12$, $6$, $argon2id$v=19$m=...
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
_DIGITS = "0123456789"
_HEX = set("0123456789abcdef")
_HEX_UPPER = set("0123456789ABCDEF")


class TokenParams(StrictParams):
    keep_prefix: bool = True  # keep a leading `tok_` / `sk_test_` style prefix
    keep_chars: str = "-_.:/+=~$ "  # separators kept in place


@register
class Token(MemoizedTransformer[TokenParams]):
    name = "token"
    text_kinds = (TextKind("token"),)
    accepts = frozenset({"text", "uuid", "bytea"})
    identifying = True
    default_domain = "token"

    def __init__(self, params: TokenParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        self._family = column.family
        self._digest = keyring.digester(self.domain)
        self._keep = frozenset(params.keep_chars)
        self._masks = _AsciiMasks(params.keep_chars)

    def native_transform(self) -> TransformCall | None:
        if NATIVE is None or self._family != "text":  # UUIDs and bytea by value: Python
            return None
        kept = "".join(c for c in self.params.keep_chars if c.isascii()).encode()
        return NATIVE.TokenFake(
            self._digest,
            hashlib.shake_256,
            kept,
            self.transform,
            native_max_length(self.max_length),
            crypt=self.params.keep_prefix,  # bcrypt/sha-crypt hashes ($2b$12$...) keep their header, in C too
        )

    def _stream(self, value: str, length: int) -> bytes:
        return hashlib.shake_256(self._digest(value)).digest(max(length, 1))

    def _fake(self, value: str, key: str) -> str:
        if self._family == "uuid" or (len(value) == 36 and value.count("-") == 4 and _is_uuid(value)):
            # UUIDs by value, so a uuid column and a text column holding the same id map alike.
            fake = str(uuid.UUID(bytes=self._stream(str(uuid.UUID(value)), 16), version=4))
            return fake.upper() if value.isupper() else fake
        if self._family == "bytea":
            size = (len(value) - 2) // 2 if value.startswith("\\x") else len(value.encode())
            return "\\x" + self._stream(value, size).hex()
        prefix = (_CRYPT_PREFIX.match(value) or _PREFIX.match(value)) if self.params.keep_prefix else None
        head = prefix.group(0) if prefix else ""
        body = value[len(head) :]
        stream = self._stream(value, len(body))
        if body.isascii():  # nearly every token: replaced in C over whole byte strings
            return head + self._masks.replace(body, stream)
        chars = set(body) - self._keep
        if chars and chars <= _HEX:
            alphabets = {c: "0123456789abcdef" for c in chars}
        elif chars and chars <= _HEX_UPPER:
            alphabets = {c: "0123456789ABCDEF" for c in chars}
        else:
            alphabets = {c: _DIGITS if c.isdigit() else _UPPER if c.isupper() else _LOWER for c in chars}
        out = []
        for char, byte in zip(body, stream, strict=False):
            alphabet = alphabets.get(char)
            out.append(char if alphabet is None else alphabet[byte % len(alphabet)])
        return head + "".join(out)


def _byte_table(alphabet: str) -> bytes:
    """Stream byte b -> alphabet[b % len(alphabet)], as a bytes.translate table."""
    return bytes(ord(alphabet[b % len(alphabet)]) for b in range(256))


def _mask_table(selected: Iterable[int]) -> bytes:
    """Byte -> 0xFF if selected else 0x00, as a bytes.translate table."""
    chosen = set(selected)
    return bytes(0xFF if b in chosen else 0 for b in range(256))


_TO_HEX, _TO_HEX_UPPER = _byte_table("0123456789abcdef"), _byte_table("0123456789ABCDEF")
_TO_DIGIT, _TO_UPPER, _TO_LOWER = _byte_table(_DIGITS), _byte_table(_UPPER), _byte_table(_LOWER)
_HEX_BYTES, _HEX_UPPER_BYTES = "".join(sorted(_HEX)).encode(), "".join(sorted(_HEX_UPPER)).encode()


class _AsciiMasks:
    """_fake's per-character replacement for an ASCII body, done on whole byte strings in C: each character class
    (kept separator, digit, upper, other) gets its candidate bytes (the stream through that class's alphabet)
    where a mask of the body selects them; masks are combined as integers. Same output as the loop."""

    __slots__ = ("digit", "kept", "kept_bytes", "lower", "not_kept", "upper")

    def __init__(self, keep_chars: str) -> None:
        kept = {ord(c) for c in keep_chars if c.isascii()}
        self.kept_bytes = bytes(sorted(kept))
        self.kept = _mask_table(kept)
        self.not_kept = _mask_table(b for b in range(256) if b not in kept)
        digits, uppers = set(b"0123456789") - kept, set(_UPPER.encode()) - kept
        self.digit, self.upper = _mask_table(digits), _mask_table(uppers)
        self.lower = _mask_table(b for b in range(128) if b not in kept and b not in digits and b not in uppers)

    def replace(self, body: str, stream: bytes) -> str:
        raw = body.encode("ascii")
        size = len(raw)
        if not size:
            return ""
        stream = stream[:size]
        replaced = raw.translate(None, self.kept_bytes)  # the characters to replace, separators removed
        has_kept = len(replaced) != size
        if replaced and not replaced.translate(None, _HEX_BYTES):
            fake = stream.translate(_TO_HEX)
        elif replaced and not replaced.translate(None, _HEX_UPPER_BYTES):
            fake = stream.translate(_TO_HEX_UPPER)
        else:
            number = (
                int.from_bytes(stream.translate(_TO_DIGIT), "big") & int.from_bytes(raw.translate(self.digit), "big")
                | int.from_bytes(stream.translate(_TO_UPPER), "big") & int.from_bytes(raw.translate(self.upper), "big")
                | int.from_bytes(stream.translate(_TO_LOWER), "big") & int.from_bytes(raw.translate(self.lower), "big")
            )
            if has_kept:
                number |= int.from_bytes(raw, "big") & int.from_bytes(raw.translate(self.kept), "big")
            return number.to_bytes(size, "big").decode("ascii")
        if has_kept:
            number = int.from_bytes(fake, "big") & int.from_bytes(raw.translate(self.not_kept), "big")
            number |= int.from_bytes(raw, "big") & int.from_bytes(raw.translate(self.kept), "big")
            return number.to_bytes(size, "big").decode("ascii")
        return fake.decode("ascii")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
