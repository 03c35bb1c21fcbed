"""email: a fake on a reserved domain (example.com, *.test, *.invalid), so no fake can reach a real mailbox.

Same normalized email -> same fake, in every column sharing the domain. The local part reads like a person
(given.family from the name pool) and carries a keyed tag: with the name it holds ~63 bits, so distinct emails
collide with probability ~n^2/2^64 (1e-7 for a million).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, field_validator

from anonymize import normalize
from anonymize.keys import Keyring
from anonymize.names import pool
from anonymize.transformers.base import ColumnInfo, StrictParams, Transformer, register
from anonymize.transformers.keyed import fit, tag

RESERVED_DOMAINS = frozenset({"example.com", "example.net", "example.org"})
RESERVED_TLDS = frozenset({"test", "invalid", "example", "localhost"})  # RFC 2606 / RFC 6761
SHORT_DOMAIN = "x.test"
TAG_LENGTH = 8


def is_reserved_domain(domain: str) -> bool:
    domain = domain.lower().rstrip(".")
    return (
        domain in RESERVED_DOMAINS
        or any(domain.endswith("." + reserved) for reserved in RESERVED_DOMAINS)
        or domain.rsplit(".", 1)[-1] in RESERVED_TLDS
    )


class EmailParams(StrictParams):
    mail_domain: str = "example.com"

    @field_validator("mail_domain")
    @classmethod
    def _reserved(cls, value: str) -> str:
        if not is_reserved_domain(value):
            raise ValueError("must be a reserved domain (example.com/.net/.org, or under .test, .invalid, .example)")
        return value.lower()


@register
class Email(Transformer):
    name = "email"
    accepts = frozenset({"text"})
    Params = EmailParams
    identifying = True
    default_domain = "email"

    def __init__(self, params: BaseModel, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        assert isinstance(params, EmailParams)
        self.mail_domain = params.mail_domain
        self._given = pool.given_names()
        self._family = pool.surnames()
        self._cached = lru_cache(maxsize=self.cache_size)(self._fake)

    def _fake(self, value: str) -> str:
        digest = self.keyring.digest(self.domain, normalize.email(value))
        index = int.from_bytes(digest[:8], "big") % (len(self._given) * len(self._family))
        family, given = divmod(index, len(self._given))
        key = tag(digest[8:16], TAG_LENGTH)
        given_part, family_part = self._given[given].romaji, self._family[family].romaji
        # Shorter forms before truncation, for varchar(n) columns; the tag always survives.
        for candidate in (
            f"{given_part}.{family_part}.{key}@{self.mail_domain}",
            f"{family_part}.{key}@{self.mail_domain}",
            f"{key}@{self.mail_domain}",
            f"{key}@{SHORT_DOMAIN}",
        ):
            if self.max_length is None or len(candidate) <= self.max_length:
                return candidate
        return fit(f"{key}@{SHORT_DOMAIN}", self.max_length)

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        return self._cached(value) if value.strip() else value
