"""token: keyed replacement of opaque identifiers (API tokens, hashes, reference codes, UUIDs, bytea) with a
fake of the same length, alphabet and shape: hex stays hex, base64 stays base64; `tok_`/`sk_test_` prefixes,
separators and a password hash's $algorithm$cost$ header stay where they are. Same token -> same fake (so
references between tables still join)."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel

from anonymize.keys import Keyring
from anonymize.transformers.base import ColumnInfo, StrictParams, Transformer, register

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
class Token(Transformer):
    name = "token"
    accepts = frozenset({"text", "uuid", "bytea"})
    Params = TokenParams
    identifying = True
    default_domain = "token"

    def __init__(self, params: BaseModel, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        assert isinstance(params, TokenParams)
        self.p = params
        self._family = column.family
        self._cached = lru_cache(maxsize=self.cache_size)(self._fake)

    def _stream(self, value: str, length: int) -> bytes:
        seed = self.keyring.digest(self.domain, value)
        return hashlib.shake_256(seed).digest(max(length, 1))

    def _fake(self, value: str) -> str:
        if self._family == "uuid" or (len(value) == 36 and value.count("-") == 4 and _is_uuid(value)):
            # UUIDs by value, so a uuid column and a text column holding the same id map alike.
            fake = str(uuid.UUID(bytes=self._stream(str(uuid.UUID(value)), 16), version=4))
            return fake.upper() if value.isupper() else fake
        if self._family == "bytea":
            size = (len(value) - 2) // 2 if value.startswith("\\x") else len(value.encode())
            return "\\x" + self._stream(value, size).hex()
        prefix = (_CRYPT_PREFIX.match(value) or _PREFIX.match(value)) if self.p.keep_prefix else None
        head = prefix.group(0) if prefix else ""
        body = value[len(head) :]
        stream = self._stream(value, len(body))
        chars = set(body) - set(self.p.keep_chars)
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

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        return self._cached(value)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
