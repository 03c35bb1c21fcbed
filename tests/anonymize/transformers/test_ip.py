"""ip: fakes in reserved space (240.0.0.0/4, 2001:db8::/32), masks and cidr lengths kept, one address one fake,
unique columns keyed on the row's id, and the kept-prefix option in real space."""

from __future__ import annotations

import ipaddress
import random

from anonymize.transformers.free_text import FreeText, FreeTextParams
from tests.anonymize.transform_kit import KEY, OTHER_KEY, build, column, run

CLASS_E = ipaddress.ip_network("240.0.0.0/4")
DOCUMENTATION = ipaddress.ip_network("2001:db8::/32")


def _v4(rng: random.Random) -> str:
    return str(ipaddress.IPv4Address(rng.getrandbits(32)))


def _v6(rng: random.Random) -> str:
    return str(ipaddress.IPv6Address(rng.getrandbits(128)))


def test_every_ipv4_fake_is_in_240_0_0_0_slash_4() -> None:
    rng = random.Random(1)
    ip = build("ip", pg_type="inet")
    for source in (_v4(rng) for _ in range(20_000)):
        assert ipaddress.IPv4Address(run(ip, source)) in CLASS_E, source


def test_every_ipv6_fake_is_in_2001_db8_slash_32() -> None:
    rng = random.Random(2)
    ip = build("ip")
    for source in (_v6(rng) for _ in range(20_000)):
        assert ipaddress.IPv6Address(run(ip, source)) in DOCUMENTATION, source


def test_one_address_one_fake() -> None:
    ip = build("ip", pg_type="inet")
    fake = run(ip, "192.168.10.20")
    assert fake != "192.168.10.20" and run(ip, " 192.168.10.20 ") == fake
    assert run(ip, "192.168.10.20/24") == f"{fake}/24"  # an inet mask is kept
    assert run(build("ip", name="source_ip", table="public.webhook_events"), "192.168.10.20") == fake
    assert run(build("ip", key=OTHER_KEY), "192.168.10.20") != fake
    v6 = run(ip, "2001:DB8:0:0::1")
    assert v6 == run(ip, "2001:db8::1") and ipaddress.IPv6Address(v6) in DOCUMENTATION
    text = FreeText(FreeTextParams(), column(), KEY)
    assert run(text, "login from 192.168.10.20 failed") == f"login from {fake} failed"


def test_cidr_networks_keep_their_length_and_zero_host_bits() -> None:
    cidr = build("ip", pg_type="cidr")
    for source in ("10.1.0.0/16", "192.168.10.0/24", "10.0.0.0/8", "172.16.0.0/12"):
        network = ipaddress.ip_network(run(cidr, source))  # strict: host bits set would raise
        assert network.prefixlen == ipaddress.ip_network(source).prefixlen and network.subnet_of(CLASS_E), source
    v6 = ipaddress.ip_network(run(cidr, "2400:4050::/48"))
    assert v6.prefixlen == 48 and v6.subnet_of(DOCUMENTATION)
    assert run(cidr, "10.1.2.3/32") == run(build("ip", pg_type="inet"), "10.1.2.3") + "/32"


def test_the_kept_prefix_option_stays_in_real_space_and_unique() -> None:
    ip = build("ip", {"keep_prefix_v4": 16}, "inet", unique=True)  # a permutation: no key_column needed
    fake = run(ip, "192.168.10.20")
    assert fake.startswith("192.168.") and ipaddress.ip_address(fake).version == 4 and fake != "192.168.10.20"
    assert run(ip, "10.1.2.3/24").startswith("10.1.") and run(ip, "10.1.2.3/24").endswith("/24")
    v6 = run(build("ip", {"keep_prefix_v6": 32}), "2001:db8::1")
    assert ipaddress.ip_address(v6) in DOCUMENTATION and v6 != "2001:db8::1"
    assert len({run(ip, str(ipaddress.IPv4Address(0x0A000000 + i))) for i in range(100_000)}) == 100_000


def test_keyed_on_the_id_distinct_rows_get_distinct_fakes() -> None:
    rng = random.Random(3)
    ip = build("ip", {"key_column": "id"}, "inet", unique=True)
    assert ip.row_columns == {"id"}
    fakes = [run(ip, _v4(rng), {"id": str(i)}) for i in range(1, 20_001)]
    assert len(set(fakes)) == 20_000 and all(ipaddress.IPv4Address(f) in CLASS_E for f in fakes)
    v6 = [run(ip, _v6(rng), {"id": str(i)}) for i in range(1, 20_001)]
    assert len(set(v6)) == 20_000 and all(ipaddress.IPv6Address(f) in DOCUMENTATION for f in v6)
    cidr = build("ip", {"key_column": "id"}, "cidr", unique=True)
    sources = [str(ipaddress.ip_network(f"{_v4(rng)}/24", strict=False)) for _ in range(20_000)]
    networks = [run(cidr, source, {"id": str(i)}) for i, source in enumerate(sources, 1)]
    assert len(set(networks)) == 20_000 and all(ipaddress.ip_network(n).subnet_of(CLASS_E) for n in networks)
