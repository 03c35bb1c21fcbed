"""ip: IPv4 stays IPv4 and IPv6 stays IPv6; the host bits (below an optional kept prefix) go through a keyed
permutation, so distinct addresses stay distinct. inet masks (/24) and cidr networks keep their length."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, Field

from anonymize.errors import TransformError
from anonymize.keys import Keyring
from anonymize.transformers.base import ColumnInfo, StrictParams, Transformer, register
from anonymize.transformers.keyed import fit
from anonymize.transformers.permutation import Permutation


class IpParams(StrictParams):
    keep_prefix_v4: int = Field(default=0, ge=0, le=32)  # leading bits kept, e.g. 16 keeps 10.1.x.x
    keep_prefix_v6: int = Field(default=0, ge=0, le=128)


@register
class Ip(Transformer):
    name = "ip"
    accepts = frozenset({"inet", "text"})
    Params = IpParams
    identifying = True
    default_domain = "ip"

    def __init__(self, params: BaseModel, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        assert isinstance(params, IpParams)
        self.p = params
        self._permutations: dict[tuple[int, int], Permutation] = {}
        self._cached = lru_cache(maxsize=self.cache_size)(self._fake)

    def _permutation(self, version: int, bits: int) -> Permutation:
        permutation = self._permutations.get((version, bits))
        if permutation is None:
            subkey = self.keyring.subkey(f"ip\0{self.domain}\0{version}\0{bits}")
            permutation = self._permutations[(version, bits)] = Permutation(subkey, 1 << bits)
        return permutation

    def fake_address(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address, network_bits: int | None = None):
        total = address.max_prefixlen
        keep = self.p.keep_prefix_v4 if address.version == 4 else self.p.keep_prefix_v6
        # For a cidr network only the network bits vary; host bits stay zero.
        varying_end = total if network_bits is None else network_bits
        width = varying_end - keep
        if width <= 0:
            return address
        number = int(address)
        shift = total - varying_end
        middle = (number >> shift) & ((1 << width) - 1)
        fake_middle = self._permutation(address.version, width)(middle)
        fake = (number & ~(((1 << width) - 1) << shift)) | (fake_middle << shift)
        return type(address)(fake)

    def _fake(self, value: str) -> str:
        text = value.strip()
        parts = text.split(".")
        if len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and (p == "0" or p[0] != "0") for p in parts):
            # Plain IPv4, the common case, without the ipaddress module's parsing cost.
            octets = [int(p) for p in parts]
            if all(o <= 255 for o in octets):
                number = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
                keep = self.p.keep_prefix_v4
                if keep < 32:
                    width = 32 - keep
                    mask = (1 << width) - 1
                    number = (number & ~mask) | self._permutation(4, width)(number & mask)
                fake = f"{number >> 24}.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"
                return fit(fake, self.max_length)
        try:
            if "/" in text:
                interface = ipaddress.ip_interface(text)
                if self.column.pg_type.startswith("cidr"):
                    network = interface.network
                    fake = self.fake_address(network.network_address, network.prefixlen)
                    return f"{fake}/{network.prefixlen}"
                return f"{self.fake_address(interface.ip)}/{interface.network.prefixlen}"
            return fit(str(self.fake_address(ipaddress.ip_address(text))), self.max_length)
        except ValueError:
            raise TransformError(
                f"{self.column.qualified}: a value is not an IP address", "rule the column token or free_text"
            ) from None

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        return self._cached(value)
