"""The MISP reader and expander, without Flask or a database."""

from __future__ import annotations

import json

import pytest

from federation.warninglists.misp import Limits, WarninglistInvalid, expand, parse
from federation.warninglists.service import DEFAULT_LISTS


def phones(*values: str) -> dict:
    return {"name": "p", "type": "string", "matching_attributes": ["phone-number"], "list": list(values)}


def test_string_values_are_normalised_by_the_identifier_spec():
    expansion = expand(parse(phones("138 0013 8000", "+86 139-1234-5678")), Limits())
    canonical = {("phone", "+8613800138000"), ("phone", "+8613912345678")}
    # and the forms a member hashing by hand may use instead: national digits, with the country code
    by_hand = {
        ("phone", "13800138000"),
        ("phone", "8613800138000"),
        ("phone", "13912345678"),
        ("phone", "8613912345678"),
    }
    assert expansion.values == canonical | by_hand
    assert not expansion.skipped and not expansion.as_written


def test_a_landline_is_also_hashed_with_its_trunk_prefix():
    expansion = expand(parse(phones("+86 10 6552 9988")), Limits())
    assert {v for _, v in expansion.values} == {"+861065529988", "1065529988", "01065529988", "861065529988"}


def test_short_service_numbers_are_hashed_as_written_and_other_junk_is_reported():
    expansion = expand(parse(phones("10086", "call us")), Limits())
    assert expansion.values == {("phone", "10086"), ("phone", "+8610086")}
    assert expansion.as_written == [0]
    assert expansion.skipped == [(1, "not a valid phone (phone.unparseable)")]


@pytest.mark.parametrize(
    ("attributes", "types"),
    [
        (["phone-number"], ("phone",)),
        (["email-src", "email-dst"], ("email",)),
        (["ip-src", "ip-dst"], ("ip",)),
        (["phone-number", "email", "comment"], ("email", "phone")),
    ],
)
def test_matching_attributes_map_to_identifier_types(attributes, types):
    document = {"name": "x", "type": "string", "matching_attributes": attributes, "list": ["a@b.cn"]}
    assert parse(document).types == types


def test_a_value_read_under_several_types_is_skipped_only_if_none_takes_it():
    document = {"name": "x", "matching_attributes": ["phone-number", "email"], "list": ["ops@example.com"]}
    expansion = expand(parse(document), Limits())
    assert expansion.values == {("email", "ops@example.com")} and not expansion.skipped


@pytest.mark.parametrize(
    ("network", "ip_count", "net_count", "skipped"),
    [
        ("203.0.113.0/24", 256, 1, 0),
        ("203.0.113.7/32", 1, 0, 0),  # narrower than a /24: its addresses only
        ("203.0.113.0/28", 16, 0, 0),
        ("192.168.0.0/16", 65_536, 256, 0),
        ("10.0.0.0/8", 0, 65_536, 0),  # too many addresses: only its /24s
        ("0.0.0.0/0", 0, 0, 1),  # too many of both: reported, not hashed
        ("2001:db8::/64", 0, 1, 0),
        ("2001:db8::/48", 0, 65_536, 0),
        ("2001:db8::/32", 0, 0, 1),
        ("2001:db8::1/128", 1, 0, 0),
        ("2001:db8::/96", 0, 0, 1),
    ],
)
def test_networks_expand_within_the_limits(network, ip_count, net_count, skipped):
    expansion = expand(parse({"name": "n", "type": "cidr", "list": [network]}), Limits())
    by_type = [t for t, _ in expansion.values]
    assert (by_type.count("ip"), by_type.count("ip_net"), len(expansion.skipped)) == (ip_count, net_count, skipped)


def test_network_values_use_the_canonical_forms_of_the_spec():
    values = expand(parse({"name": "n", "type": "cidr", "list": ["2001:DB8::/63"]}), Limits()).values
    assert values == {("ip_net", "2001:db8::/64"), ("ip_net", "2001:db8:0:1::/64")}
    values = expand(parse({"name": "n", "type": "cidr", "list": ["::ffff:198.51.100.0/126"]}), Limits()).values
    assert values == {("ip", f"198.51.100.{i}") for i in range(4)}  # IPv4-mapped: the IPv4 addresses


def test_hostname_lists_become_role_addresses():
    document = {"name": "h", "type": "hostname", "list": ["例子.中国"], "federation_local_parts": ["Admin"]}
    assert expand(parse(document), Limits()).values == {("email", "admin@xn--fsqu00a.xn--fiqs8s")}


def test_the_action_extension_and_its_defaults():
    assert (parse(phones("1")).action, parse(phones("1")).weight) == ("refuse", 0.0)
    down = parse({**phones("1"), "federation_action": "downweight"})
    assert (down.action, down.weight) == ("downweight", 0.2)
    assert parse({**phones("1"), "federation_action": "downweight", "federation_weight": 0.5}).weight == 0.5


@pytest.mark.parametrize(
    ("document", "pointer"),
    [
        ([], "/"),
        ({"name": "", "list": ["1"]}, "/name"),
        ({"name": "x", "type": "regex", "list": ["1"]}, "/type"),
        ({"name": "x", "type": "ip", "list": ["1"]}, "/type"),
        ({"name": "x", "type": "cidr", "list": "10.0.0.0/8"}, "/list"),
        ({"name": "x", "type": "cidr", "list": [1]}, "/list"),
        ({"name": "x", "type": "cidr", "list": ["1.2.3.4"], "version": "2"}, "/version"),
        ({"name": "x", "type": "cidr", "list": ["1.2.3.4"], "federation_weight": True}, "/federation_weight"),
        ({"name": "x", "type": "hostname", "list": ["a.cn"], "federation_local_parts": []}, "/federation_local_parts"),
        ({"name": "x", "matching_attributes": ["url"], "list": ["a"]}, "/matching_attributes"),
    ],
)
def test_unusable_documents_name_every_problem(document, pointer):
    with pytest.raises(WarninglistInvalid) as raised:
        parse(document)
    assert pointer in [p for p, _ in raised.value.errors]


def test_a_list_past_the_value_limit_is_refused():
    with pytest.raises(WarninglistInvalid, match="more than 100 values"):
        expand(parse({"name": "n", "type": "cidr", "list": ["192.168.0.0/24"]}), Limits(max_values=100))


@pytest.mark.parametrize("path", sorted(DEFAULT_LISTS.glob("*.json")), ids=lambda p: p.stem)
def test_the_shipped_lists_parse_and_hash(path):
    warninglist = parse(json.loads(path.read_text("utf-8")))
    expansion = expand(warninglist, Limits())
    assert warninglist.action == "refuse" and expansion.values
    assert all(index == 8 for index, _ in expansion.skipped)  # only 2001:db8::/32, documented as too large


def test_the_shipped_lists_hold_what_the_issue_names():
    values = set()
    for path in DEFAULT_LISTS.glob("*.json"):
        values |= expand(parse(json.loads(path.read_text("utf-8"))), Limits()).values
    for expected in [
        ("phone", "+8613800138000"),
        ("phone", "10086"),
        ("phone", "+8695588"),
        ("email", "postmaster@qq.com"),
        ("ip_net", "100.64.0.0/24"),
        ("ip_net", "100.127.255.0/24"),
        ("ip_net", "10.255.255.0/24"),
        ("ip", "192.168.1.1"),
        ("ip_net", "192.0.2.0/24"),
        ("ip", "203.0.113.255"),
    ]:
        assert expected in values
