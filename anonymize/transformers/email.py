"""email: a fake on a reserved domain (example.com, *.test, *.invalid), so no fake can reach a real mailbox.

Same normalized email -> same fake, in every column sharing the domain. The local part reads like a person
(given.family from the name pool) and carries a keyed tag: with the name it holds ~63 bits, so distinct emails
collide with probability ~n^2/2^64 (1e-7 for a million).
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import field_validator

from anonymize import normalize
from anonymize.keys import Keyring
from anonymize.names import pool
from anonymize.speedups import NATIVE
from anonymize.transformers.base import ColumnInfo, MemoizedTransformer, StrictParams, TextKind, TransformCall, register
from anonymize.transformers.keyed import BASE32_PAIRS, base32_of, fit

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


_SHARED_FAKES: dict[tuple[Keyring, str, str, int | None], dict[str, str]] = {}
# Emails repeat across tables (customers.email, then orders.customer_email cycling over every customer): one cache
# per (key, domain, mail domain, length) serves every column and free-text email alike, sized so a cycle of ~150k
# customers (bench/snapshot at scale 1) stays in it. ~200 bytes an entry (the source email, its fake, the dict
# slot): <= ~40 MB per process, emptied when full.
SHARED_CACHE_SIZE = 200_000
_SHARED_MARKERS = 8  # caches kept at once (a run needs one per email domain setting); a transformer keeps its own
_LOW40 = (1 << 40) - 1


@register
class Email(MemoizedTransformer[EmailParams]):
    name = "email"
    pii_kind = "EMAIL"
    text_kinds = (TextKind("email", entities=("EMAIL",)),)
    remembered = True
    accepts = frozenset({"text"})
    identifying = True
    default_domain = "email"
    cache_size = SHARED_CACHE_SIZE
    keeps_blank = True

    def __init__(self, params: EmailParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        self.mail_domain = params.mail_domain
        self._given = pool.given_names()
        self._family = pool.surnames()
        self._given_romaji = tuple(name.romaji for name in self._given)
        self._family_romaji = tuple(name.romaji for name in self._family)
        self._digest = keyring.digester(self.domain)
        marker = (keyring, self.domain, self.mail_domain, self.max_length)
        memo = _SHARED_FAKES.get(marker)
        if memo is None:
            if len(_SHARED_FAKES) >= _SHARED_MARKERS:  # a long-lived process running many keys: the oldest goes
                del _SHARED_FAKES[next(iter(_SHARED_FAKES))]
            memo = _SHARED_FAKES[marker] = {}
        self._memo = memo
        if self.max_length is None:
            self._fake = self._unbounded()  # type: ignore[method-assign]

    def native_transform(self) -> TransformCall | None:
        suffix = "@" + self.mail_domain
        if NATIVE is None or self.max_length is not None or not suffix.isascii():
            return None  # shorter forms for varchar(n), IDN mail domains: Python
        return NATIVE.EmailFake(self._digest, self._given_romaji, self._family_romaji, suffix, self.transform)

    def _unbounded(self) -> Callable[[str, str], str]:
        """_fake for a column without a length limit (nearly all), as one closure over locals: ~25% cheaper."""
        digest, given_names, family_names = self._digest, self._given_romaji, self._family_romaji
        given_count, space = len(given_names), len(given_names) * len(family_names)
        pairs, suffix, from_bytes, email = BASE32_PAIRS, "@" + self.mail_domain, int.from_bytes, normalize.email

        def fake(value: str, key: str) -> str:
            number = from_bytes(digest(value.strip().lower() if value.isascii() else email(value))[:16], "big")
            family, given = divmod((number >> 64) % space, given_count)
            t = number >> 24 & _LOW40  # the tag: base32_of(t, 8), two characters per lookup
            return (
                f"{given_names[given]}.{family_names[family]}."
                f"{pairs[t >> 30]}{pairs[t >> 20 & 1023]}{pairs[t >> 10 & 1023]}{pairs[t & 1023]}{suffix}"
            )

        return fake

    def _fake(self, value: str, key: str) -> str:
        # NFKC leaves ASCII as it is: only the rest needs normalize.email's unicodedata pass.
        normalized = value.strip().lower() if value.isascii() else normalize.email(value)
        number = int.from_bytes(self._digest(normalized)[:16], "big")
        given_count = len(self._given_romaji)
        # digest[:8] picks the person, the top 40 bits of digest[8:16] the tag (tag(digest[8:16], 8)).
        family, given = divmod((number >> 64) % (given_count * len(self._family_romaji)), given_count)
        tag = base32_of(number >> 24 & _LOW40, TAG_LENGTH)
        given_part, family_part = self._given_romaji[given], self._family_romaji[family]
        max_length = self.max_length
        if max_length is None:
            return f"{given_part}.{family_part}.{tag}@{self.mail_domain}"
        # Shorter forms before truncation, for varchar(n) columns; the tag always survives.
        for candidate in (
            f"{given_part}.{family_part}.{tag}@{self.mail_domain}",
            f"{family_part}.{tag}@{self.mail_domain}",
            f"{tag}@{self.mail_domain}",
            f"{tag}@{SHORT_DOMAIN}",
        ):
            if len(candidate) <= max_length:
                return candidate
        return fit(f"{tag}@{SHORT_DOMAIN}", max_length)
