"""Which addresses a webhook may reach, and what the delivery log says when a send fails."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from federation.webhooks.destinations import Transport, UnsafeDestination, is_public, resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",  # loopback
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",  # private
        "100.64.0.1",  # CGNAT
        "169.254.169.254",  # link-local: the cloud metadata service
        "0.0.0.0",  # unspecified  # noqa: S104
        "224.0.0.1",  # multicast
        "255.255.255.255",
        "240.0.0.1",  # reserved
        "198.18.0.1",  # benchmarking
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd00:ec2::254",  # AWS metadata over IPv6
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2001:db8::1",  # documentation
    ],
)
def test_non_public_addresses_are_refused(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.215.14"])
def test_public_addresses_pass(address):
    assert is_public(ipaddress.ip_address(address))


def fake_dns(*answers: str):
    def getaddrinfo(host, port, type=0):  # noqa: A002 - socket.getaddrinfo's keyword
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, type, 6, "", (a, port)) for a in answers]

    return getaddrinfo


def test_a_name_with_any_private_address_is_refused_even_beside_a_public_one():
    with pytest.raises(UnsafeDestination) as refused:
        resolve("hooks.example", 443, allow_private=False, getaddrinfo=fake_dns("93.184.215.14", "10.0.0.7"))
    assert refused.value.category == "unsafe_address"
    assert str(resolve("hooks.example", 443, allow_private=False, getaddrinfo=fake_dns("93.184.215.14"))) == (
        "93.184.215.14"
    )


def test_the_delivery_connects_to_the_address_that_was_checked(receiver):
    """DNS rebinding: the name is resolved once and that address is used, with the name as Host."""
    port = receiver.server.server_address[1]
    lookups = []

    def dns(host, port_, type=0):  # noqa: A002
        lookups.append(host)
        return fake_dns("127.0.0.1")(host, port_, type)

    transport = Transport(allow_private=True, getaddrinfo=dns)
    assert transport.post(f"http://hooks.example:{port}/in?x=1", b"{}", {"Content-Type": "application/json"}) == 200
    [(headers, body)] = receiver.received
    assert lookups == ["hooks.example"] and headers["Host"] == f"hooks.example:{port}" and body == b"{}"


def test_the_default_refuses_loopback_at_send_time(receiver):
    with pytest.raises(UnsafeDestination) as refused:
        Transport().post(receiver.url, b"{}", {})
    assert refused.value.category == "unsafe_address" and receiver.received == []


def test_failures_are_categories_without_internal_text(receiver):
    allowed = Transport(allow_private=True, timeout=0.5)
    port = receiver.server.server_address[1]
    with pytest.raises(UnsafeDestination) as tls:
        allowed.post(f"https://127.0.0.1:{port}/h", b"{}", {})  # plain HTTP answers a TLS hello
    assert tls.value.category == "tls_error"
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    try:
        with pytest.raises(UnsafeDestination) as slow:
            allowed.post(f"http://127.0.0.1:{silent.getsockname()[1]}/h", b"{}", {})
        assert slow.value.category == "timeout"
    finally:
        silent.close()
    receiver.server.shutdown()
    receiver.server.server_close()
    with pytest.raises(UnsafeDestination) as refused:
        allowed.post(receiver.url, b"{}", {})
    assert refused.value.category == "connection_refused" and str(refused.value) == "connection_refused"
    with pytest.raises(UnsafeDestination) as unknown:
        allowed.post("https://nowhere.invalid/h", b"{}", {})
    assert unknown.value.category == "dns_error"
