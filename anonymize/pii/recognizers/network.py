"""Emails and IP addresses.

Emails are validated against the public-suffix list, pinned to the snapshot bundled with tldextract: its
default extractor downloads the list at first use, which here would stall or fail (no network) and in
production would make results depend on the day's list.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from anonymize.pii import canonical
from anonymize.pii.gate import Clue
from anonymize.pii.recognizers.base import Recognizer
from anonymize.pii.spans import Kind, Span

if TYPE_CHECKING:
    from tldextract import TLDExtract

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_%+\-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-]|\.[A-Za-z0-9])"
)
_IPV4 = re.compile(
    r"(?<![0-9.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![0-9]|\.\d)"
)
_IPV6 = re.compile(
    r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![0-9A-Fa-f:])"
)
_VERSION_CUE = re.compile(r"(?:[Vv]|[Vv]er\.?|[Vv]ersion|バージョン|ファームウェア|[Ff]irmware|[Bb]uild)\s?$")


@cache
def offline_tld_extractor() -> TLDExtract:
    """tldextract reading only its bundled public-suffix snapshot: no download, no cache directory."""
    import tldextract  # lazy: only texts with an '@' need it

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


@lru_cache(maxsize=65536)
def domain_ok(domain: str) -> bool:
    """Does `domain` end in a public suffix and have a registrable label before it?"""
    parts = offline_tld_extractor()(domain)
    return bool(parts.suffix and parts.domain)


class EmailRecognizer(Recognizer):
    name = "email"
    kinds = frozenset({Kind.EMAIL})
    needs = frozenset({"at"})
    clues = (Clue(literals=("@",)),)

    def find(self, text: str) -> list[Span]:
        spans = []
        for match in _EMAIL.finditer(text):
            address = match.group()
            if domain_ok(address.rsplit("@", 1)[1].lower()):
                spans.append(self.span(Kind.EMAIL, *match.span(), 0.95, canonical.value(Kind.EMAIL, address)))
        return spans


class IpRecognizer(Recognizer):
    name = "ip"
    kinds = frozenset({Kind.IP})
    needs = frozenset({"digit"})
    gate = re.compile("[.:]")
    # IPv4: four numbers joined by dots; IPv6: a "::" or seven colons (and, as `applies` asks, a digit).
    clues = (
        Clue(counts=((".", 3),), digits=4, seps="."),
        Clue(literals=("::",), digits=1),
        Clue(counts=((":", 7),), digits=1),
    )

    def find(self, text: str) -> list[Span]:
        spans = []
        if "." in text:
            for match in _IPV4.finditer(text):
                if _VERSION_CUE.search(text, max(0, match.start() - 12), match.start()):
                    continue
                address = ipaddress.IPv4Address(match.group())
                if not (address.is_unspecified or address.is_loopback):
                    spans.append(self.span(Kind.IP, *match.span(), 0.85, str(address)))
        if "::" in text or text.count(":") >= 7:
            for match in _IPV6.finditer(text):
                candidate = match.group()
                if "::" not in candidate and candidate.count(":") < 7:
                    continue  # times (12:00:00) and MAC addresses
                try:
                    address6 = ipaddress.IPv6Address(candidate)
                except ValueError:
                    continue
                if not (address6.is_unspecified or address6.is_loopback):
                    spans.append(self.span(Kind.IP, *match.span(), 0.85, str(address6)))
        return spans
