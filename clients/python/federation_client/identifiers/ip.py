"""IP addresses and the networks derived from them.

Addresses are written in :mod:`ipaddress`'s canonical text (IPv6 compressed,
lowercase); an IPv4-mapped IPv6 address is the IPv4 address it carries, since
dual-stack servers log the same client either way.

Only globally routable addresses are accepted. Private, loopback, CGNAT and
documentation ranges are shared by unrelated people on every platform
(``192.168.1.1`` is half the world's home router), so a listing on one of them
would match innocent strangers.

Each address also yields an ``ip_net`` identifier, its IPv4 /24 or IPv6 /64,
for weaker network-level matching: mobile carriers rotate addresses within a
network, complaint gangs work from one office network.
"""

from __future__ import annotations

import ipaddress

from ..errors import InvalidIdentifier
from ._text import fold

IPV4_NET_PREFIX = 24
IPV6_NET_PREFIX = 64

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse_address(type_: str, text: str) -> IPAddress:
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if "%" in text:
        raise InvalidIdentifier(type_, f"{type_}.zone", "scoped (zone id) addresses are link-local")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidIdentifier(type_, f"{type_}.syntax", "not an IPv4 or IPv6 address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address


def _require_global(type_: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> None:
    if not network.is_global:
        raise InvalidIdentifier(
            type_, f"{type_}.not_public", "private, loopback, shared or reserved addresses are not identifiers"
        )


def normalize_ip(raw: str) -> str:
    address = _parse_address("ip", fold("ip", raw))
    _require_global("ip", ipaddress.ip_network(address))
    return str(address)


def network_of(address_text: str) -> str:
    """The ``ip_net`` value (``/24`` or ``/64``) of a canonical address."""
    address = ipaddress.ip_address(address_text)
    prefix = IPV4_NET_PREFIX if address.version == 4 else IPV6_NET_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def normalize_ip_net(raw: str) -> str:
    """Accept an address or a network at least as narrow as the canonical prefix."""
    text = fold("ip_net", raw)
    address_text, _, prefix_text = text.partition("/")
    address = _parse_address("ip_net", address_text)
    if prefix_text:
        canonical = IPV4_NET_PREFIX if address.version == 4 else IPV6_NET_PREFIX
        mapped_offset = 96 if address.version == 4 and ":" in address_text else 0
        if not prefix_text.isdigit() or not canonical <= int(prefix_text) - mapped_offset <= address.max_prefixlen:
            raise InvalidIdentifier(
                "ip_net", "ip_net.prefix", "the network must be an IPv4 /24 or IPv6 /64 or narrower"
            )
    network = ipaddress.ip_network(network_of(str(address)))
    _require_global("ip_net", network)
    return str(network)
