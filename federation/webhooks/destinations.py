"""Where a webhook may point: public addresses only, checked when registered and again when sent.

A member's webhook URL is a request our server makes on the member's behalf:
pointed at ``127.0.0.1``, ``10.x``, ``169.254.169.254`` (cloud metadata) or
an IPv6 form of them, it would reach what only the server can reach (SSRF).
So every address a host name resolves to must be public, and the delivery
connects to the very address that was checked: a second DNS lookup by the
HTTP library could answer differently (DNS rebinding). The TLS certificate
is still verified against the host name.

Failures are reported as a short category (``timeout``, ``tls_error``, ...):
the delivery log is shown to the member and must not echo our internals.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3
from urllib3.exceptions import (
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as Urllib3Timeout

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: NAT64 (RFC 6052) embeds an IPv4 address in its last 32 bits.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeDestination(Exception):
    """The URL cannot be delivered to; ``category`` is what the delivery log records."""

    def __init__(self, category: str, detail: str = "") -> None:
        super().__init__(detail or category)
        self.category = category


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast: not loopback, private, CGNAT, link-local (metadata), multicast,
    unspecified or reserved, in IPv4 or any IPv6 form that carries an IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


Resolver = Callable[..., list[tuple[Any, ...]]]


def resolve(host: str, port: int, *, allow_private: bool, getaddrinfo: Resolver = socket.getaddrinfo) -> IPAddress:
    """The one address to connect to; every address the name has must be public (unless allowed)."""
    try:
        infos = getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeDestination("dns_error", "The host name does not resolve.") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise UnsafeDestination("dns_error", "The host name does not resolve.")
    if not allow_private and not all(is_public(address) for address in addresses):
        raise UnsafeDestination("unsafe_address", "The host name resolves to a non-public address.")
    return addresses[0]


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str

    @classmethod
    def of(cls, url: str) -> Target:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UnsafeDestination("invalid_url")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise UnsafeDestination("invalid_url") from None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.scheme, parts.hostname, port, path)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class Transport:
    """Sends one signed delivery; ``allow_private`` only for tests and local development."""

    allow_private: bool = False
    timeout: float = 5.0
    getaddrinfo: Resolver = field(default=socket.getaddrinfo)

    def check(self, url: str) -> IPAddress | None:
        """At registration. With the address rule lifted nothing is looked up (fuzzing sends random names)."""
        target = Target.of(url)
        if self.allow_private:
            return None
        return resolve(target.host, target.port, allow_private=False, getaddrinfo=self.getaddrinfo)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """The response status; :class:`UnsafeDestination` with a category for every failure."""
        target = Target.of(url)
        address = resolve(target.host, target.port, allow_private=self.allow_private, getaddrinfo=self.getaddrinfo)
        pool = _pool(target, address, self.timeout)
        try:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers={**headers, "Host": target.host_header},
                redirect=False,
                retries=False,
                assert_same_host=False,
            )
            return response.status
        except Exception as exc:  # noqa: BLE001 - every failure becomes a category, never its text
            raise UnsafeDestination(failure_category(exc)) from None
        finally:
            pool.close()


def _pool(target: Target, address: IPAddress, timeout: float) -> urllib3.HTTPConnectionPool:
    """A pool that connects to ``address`` while speaking to (and verifying TLS for) the host name."""
    limits = urllib3.Timeout(connect=timeout, read=timeout)
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            str(address),
            target.port,
            timeout=limits,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(str(address), target.port, timeout=limits, maxsize=1)


def failure_category(exc: BaseException) -> str:
    if isinstance(exc, MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    if isinstance(exc, NewConnectionError):  # before timeouts: urllib3 derives it from ConnectTimeoutError
        cause = exc.__cause__ or exc.__context__
        return "connection_refused" if isinstance(cause, ConnectionRefusedError) else "connection_error"
    if isinstance(exc, Urllib3Timeout | TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(exc, SSLError):
        return "tls_error"
    if isinstance(exc, ProtocolError):
        return "protocol_error"
    if isinstance(exc, HTTPError | OSError):
        return "connection_error"
    return "error"


def webhook_transport(config: Any) -> Transport:
    """The transport the settings ask for (``FEDERATION_WEBHOOK_ALLOW_PRIVATE``: tests only)."""
    return Transport(allow_private=bool(config.get("WEBHOOK_ALLOW_PRIVATE", False)))
