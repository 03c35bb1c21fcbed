"""ip: IPv4 stays IPv4 and IPv6 stays IPv6, faked into space that is nobody's address.

- IPv4 fakes are in 240.0.0.0/4 (reserved, "class E", never routed): 240.0.0.0 + a keyed hash of the address
  mod 2^28. IPv6 fakes are in 2001:db8::/32 (documentation only): the low 96 bits from the keyed hash.
- One address, one fake, in every column, JSON payload and free text sharing the domain; distinct addresses may
  share an IPv4 fake (a 2^28 space), so a unique column needs `key_column` (the row's id): the 28 bits then come
  from a keyed permutation of the id, and distinct ids give distinct fakes. (An IPv6 address's 96 bits come from
  its own hash even then: ~n^2 / 2^97 collisions.)
- inet masks (10.1.2.3/24) are kept; a cidr network keeps its length, its faked bits are the network bits inside
  the reserved block, and its host bits stay zero (a valid cidr value). A network wider than the block (/0-/3
  for IPv4, /0-/31 for IPv6) becomes the block's own prefix at that length.
- `keep_prefix_v4` / `keep_prefix_v6` > 0 keep that many leading bits and permute the rest within the real space
  (distinct addresses, distinct fakes): the user's choice to keep real networks, knowing a fake may then be
  someone's real address.
"""

from __future__ import annotations

import ipaddress
import re

from pydantic import Field

from anonymize.errors import TransformError
from anonymize.keys import Keyring
from anonymize.speedups import NATIVE
from anonymize.transformers.base import (
    ColumnInfo,
    Keyed,
    KeyedParams,
    MemoizedTransformer,
    TextKind,
    TransformCall,
    register,
)
from anonymize.transformers.keyed import KeyedIndex, fit, native_max_length
from anonymize.transformers.permutation import Permutation

# (base, bits the fake varies) per IP version: 240.0.0.0/4 and 2001:db8::/32.
_RESERVED = {4: (0xF0000000, 28), 6: (0x20010DB8 << 96, 96)}
# Spaces up to this many bits are drawn by a keyed index of the key column (permutation: no collision); wider
# ones by a hash, which collides only by chance (~n^2 / 2^65 pairs at worst).
_INDEXED_BITS = 64


class IpParams(KeyedParams):  # key_column: the row's id, needed on unique columns
    # Leading bits kept, e.g. 16 keeps 10.1.x.x, the rest permuted in the real address space: the user's choice
    # to keep real networks, knowing a fake may then be someone's real address. 0: fakes in reserved space.
    keep_prefix_v4: int = Field(default=0, ge=0, le=32)
    keep_prefix_v6: int = Field(default=0, ge=0, le=128)


# Plain dotted IPv4 in canonical form (no leading zeros, each octet <= 255): the common case, parsed without the
# ipaddress module (~2 us a value).
_PLAIN_V4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
)


@register
class Ip(Keyed[IpParams], MemoizedTransformer[IpParams]):
    name = "ip"
    pii_kind = "IP"
    text_kinds = (TextKind("ip", entities=("IP",)),)
    unique_fakes = "addresses"  # hashed IPv4 fakes collide by chance (a 2^28 space); a permutation of ids never

    def repeats(self, params: IpParams) -> bool:
        return params.keep_prefix_v4 == 0

    accepts = frozenset({"inet", "text"})
    identifying = True
    default_domain = "ip"

    def __init__(self, params: IpParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        self._cidr = (column.base_type or column.pg_type).startswith("cidr")
        self._permutations: dict[tuple[int, int], Permutation] = {}
        self._digest = keyring.digester(self.domain)

    def native_transform(self) -> TransformCall | None:
        if NATIVE is None or self._key_column is not None or self.params.keep_prefix_v4:
            return None
        return NATIVE.Ipv4Fake(self._digest, self.transform, native_max_length(self.max_length))

    def _permutation(self, version: int, bits: int) -> Permutation:
        permutation = self._permutations.get((version, bits))
        if permutation is None:
            subkey = self.keyring.subkey(f"ip\0{self.domain}\0{version}\0{bits}")
            permutation = self._permutations[(version, bits)] = Permutation(subkey, 1 << bits)
        return permutation

    def _drawn(self, version: int, width: int, canonical: str, key: str | None) -> int:
        """`width` keyed bits: an index of the key column's value, or a hash of the canonical address."""
        if key is not None and width <= _INDEXED_BITS:
            return KeyedIndex.shared(self.keyring, f"{self.domain}\0ip{version}", 1 << width)(key)
        return int.from_bytes(self._digest(canonical)[:16], "big") & ((1 << width) - 1)

    def _reserved(self, version: int, canonical: str, key: str | None, network_bits: int | None = None) -> int:
        """The fake, as an integer, inside the version's reserved block; for a network only its network bits vary."""
        base, free = _RESERVED[version]
        total = 32 if version == 4 else 128
        end = total if network_bits is None else network_bits
        width = end - (total - free)
        if width <= 0:  # a network at least as wide as the block: the block's prefix at that length
            return base & ~((1 << (total - end)) - 1)
        return base | (self._drawn(version, width, canonical, key) << (total - end))

    def _kept_prefix(self, number: int, version: int, keep: int, varying_end: int) -> int:
        """The leading `keep` bits kept, the bits up to `varying_end` permuted (the real-space option)."""
        total = 32 if version == 4 else 128
        width = varying_end - keep
        if width <= 0:
            return number
        shift = total - varying_end
        middle = (number >> shift) & ((1 << width) - 1)
        fake_middle = self._permutation(version, width)(middle)
        return (number & ~(((1 << width) - 1) << shift)) | (fake_middle << shift)

    def fake_address(
        self,
        address: ipaddress.IPv4Address | ipaddress.IPv6Address,
        network_bits: int | None = None,
        key: str | None = None,
    ) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        version = address.version
        keep = self.params.keep_prefix_v4 if version == 4 else self.params.keep_prefix_v6
        if keep > 0:
            varying_end = address.max_prefixlen if network_bits is None else network_bits
            return type(address)(self._kept_prefix(int(address), version, keep, varying_end))
        # A /32 (/128) network is its address: keyed alike, so a host route and the address share a fake.
        whole = network_bits is None or network_bits == address.max_prefixlen
        canonical = str(address) if whole else f"{address}/{network_bits}"
        return type(address)(self._reserved(version, canonical, key, network_bits))

    def _fake(self, value: str, key: str) -> str:
        return self._fake_keyed(value, key if self._key_column is not None else None)

    def _fake_keyed(self, value: str, key: str | None) -> str:
        text = value.strip()
        if _PLAIN_V4.fullmatch(text):
            keep = self.params.keep_prefix_v4
            if keep > 0:
                a, b, c, d = (int(octet) for octet in text.split("."))
                number = self._kept_prefix((a << 24) | (b << 16) | (c << 8) | d, 4, keep, 32)
            elif key is None:  # the text is canonical (no leading zeros): it is what the hash keys on
                number = 0xF0000000 | (int.from_bytes(self._digest(text)[:16], "big") & 0x0FFFFFFF)
            else:
                number = self._reserved(4, text, key)
            return fit(f"{number >> 24}.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}", self.max_length)
        try:
            if "/" in text:
                interface = ipaddress.ip_interface(text)
                if self._cidr:
                    network = interface.network
                    fake = self.fake_address(network.network_address, network.prefixlen, key)
                    return f"{fake}/{network.prefixlen}"
                return f"{self.fake_address(interface.ip, key=key)}/{interface.network.prefixlen}"
            return fit(str(self.fake_address(ipaddress.ip_address(text), key=key)), self.max_length)
        except ValueError:
            raise TransformError(
                f"{self.column.qualified}: a value is not an IP address", "rule the column token or free_text"
            ) from None
