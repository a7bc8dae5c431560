"""The client behind trusted reverse proxies: X-Forwarded-For and X-Forwarded-Proto count only when the socket
peer is one of CORE_TRUSTED_PROXIES (addresses or CIDR networks; none by default), otherwise the peer is the
client. Plain functions of the peer and the header values.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_ADDRESS = 64  # a malformed forwarded entry is kept as a key, cut to this length


def parse_networks(raw: str | Iterable[str]) -> tuple[Network, ...]:
    """Networks of a comma- or space-separated list (or of a sequence); ValueError names a bad entry."""
    items = raw.replace(",", " ").split() if isinstance(raw, str) else [str(item).strip() for item in raw]
    networks = []
    for item in filter(None, items):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"CORE_TRUSTED_PROXIES: {item!r} is not an address or a network") from None
    return tuple(networks)


def is_trusted(host: str | None, trusted: Sequence[Network]) -> bool:
    if not host or not trusted:
        return False
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return any(address in network for network in trusted)


def _hops(forwarded_for: Iterable[str]) -> list[str]:
    return [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[Network]) -> str:
    """The peer, unless it is a trusted proxy: then the right-most address of X-Forwarded-For that is not a
    trusted proxy (each proxy appends the peer it saw, so entries left of it may be forged)."""
    address = peer or "unknown"
    if not is_trusted(address, trusted):
        return address
    for hop in reversed(_hops(forwarded_for)):
        address = hop[:MAX_ADDRESS]
        if not is_trusted(address, trusted):
            return address
    return address


def scheme(peer: str | None, url_scheme: str, forwarded_proto: str | None, trusted: Sequence[Network]) -> str:
    """X-Forwarded-Proto (http or https) from a trusted proxy, otherwise the connection's own scheme."""
    proto = (forwarded_proto or "").split(",")[-1].strip().lower()
    return proto if proto in ("http", "https") and is_trusted(peer, trusted) else url_scheme
