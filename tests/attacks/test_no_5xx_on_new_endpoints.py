"""Bad input to every endpoint issue 13 added never answers 5xx (issue 13 endpoints; docs/security.md)."""

from __future__ import annotations

import pytest

from tests.api.test_lookups import list_entry
from tests.entries.factories import hashed

BODIES = [
    None,
    [],
    "x",
    0,
    1.5,
    True,
    {},
    {"reason": None},
    {"reason": 7},
    {"reason": ["x"]},
    {"reason": "x" * 5000},
    {"reason": "\u0000\ud800"},
    {"until": "not-a-date", "reason": "r"},
    {"until": "9999-12-31T23:59:59Z", "reason": "r"},
    {"until": "2026-13-45T99:00:00", "reason": "r"},
    {"until": 10**30, "reason": "r"},
    {"base": "NaN", "reason": "r"},
    {"base": 1e309, "reason": "r"},
    {"override": -0.0, "reason": "r"},
    {"override": "Infinity", "reason": "r"},
    {"base": 10**400, "reason": "r"},
    {"declared_daily_lookups": 10**30, "reason": "r"},
    {"daily_lookup_quota": -1},
    {"daily_lookup_quota": 1.5},
    {"daily_lookup_quota": "12"},
    {"declared_daily_lookups": True},
    {
        "case_ref": "c",
        "identifiers": [{"type": "phone", "hashes": [{"key_id": "x", "hash": "ab" * 32}]}],
        "reason": "identity_theft",
        "evidence": ["00" * 32],
    },
    {
        "case_ref": "c",
        "identifiers": [{"type": "ip_net", "hash": "ab" * 32, "key_id": "k"}],
        "reason": "other",
        "evidence": [],
    },
    {"case_ref": "c" * 1000, "identifiers": "x", "reason": "other", "evidence": "y"},
    {"case_ref": "c", "identifiers": [None, 1, "x", []], "reason": "zzz", "evidence": [None]},
    {"case_ref": "c", "identifiers": [{"type": "phone", "hashes": None}], "reason": "other", "evidence": [{"a": 1}]},
    {"name": "x", "type": "cidr", "list": ["0.0.0.0/0"], "matching_attributes": ["ip-src"]},
    {"name": "x", "type": "cidr", "list": ["::/0", "256.1.1.1/8", "1.2.3.4/33", "fe80::/129", "1.2.3.4/-1"]},
    {"name": "x", "type": "string", "list": [None, 1, {}, [], "a" * 100000], "matching_attributes": ["phone-number"]},
    {"name": "x", "type": "string", "list": ["13800138000"], "matching_attributes": "phone-number"},
    {"name": "x", "type": "string", "list": ["13800138000"], "matching_attributes": [None, 1]},
    {"name": "x", "type": "hostname", "list": ["qq.com"], "federation_local_parts": [None, "", "a@b", "\u0000"]},
    {
        "name": "x",
        "type": "string",
        "list": ["13800138000"],
        "matching_attributes": ["phone-number"],
        "federation_action": "downweight",
        "federation_weight": "NaN",
    },
    {
        "name": "x",
        "type": "string",
        "list": ["13800138000"],
        "matching_attributes": ["phone-number"],
        "federation_action": "downweight",
        "federation_weight": 1e400,
    },
    {
        "name": "x",
        "type": "string",
        "list": ["13800138000"],
        "matching_attributes": ["phone-number"],
        "version": 10**40,
    },
    {"name": "", "type": "string", "list": [], "matching_attributes": []},
    {"name": "x", "type": "cidr", "list": ["::ffff:0:0/96", "64:ff9b::/96", "2002::/16"], "matching_attributes": []},
]

PATHS = [
    ("POST", "/v1/members/root/trust"),
    ("POST", "/v1/members/nobody/trust"),
    ("POST", "/v1/members/root/probation"),
    ("POST", "/v1/members/nobody/probation"),
    ("POST", "/v1/members/risk-c/lookup-budget"),
    ("POST", "/v1/members/nobody/lookup-budget"),
    ("POST", "/v1/entries/ENOPE/confirm"),
    ("POST", "/v1/protective-registrations"),
    ("POST", "/v1/protective-registrations/PNOPE/withdraw"),
    ("POST", "/v1/review/protective-registrations/PNOPE/withdraw"),
    ("POST", "/v1/review/protective-registrations/PNOPE/confirm"),
    ("POST", "/v1/appeals/ANOPE/protective-registration"),
    ("POST", "/v1/warninglists"),
    ("POST", "/v1/alerts/ANOPE:acknowledge"),
    ("POST", "/v1/alerts/ANOPE:resolve"),
]

GETS = [
    "/v1/alerts?state=bogus",
    "/v1/alerts?state=",
    "/v1/alerts?state=open&state=resolved",
    "/v1/alerts/%00",
    "/v1/alerts/" + "A" * 5000,
    "/v1/warninglists/99999999999999999999999999",
    "/v1/warninglists/-1",
    "/v1/warninglists/0",
    "/v1/warninglists/abc",
    "/v1/members/%00",
    "/v1/protective-registrations?limit=-1",
    "/v1/review/protective-registrations?cursor=%ff%fe",
    "/v1/review/protective-registrations?limit=999999999999",
    "/v1/members/me?x=1",
    "/v1/lookups/stats?days=999999999999",
    "/v1/lookups/stats?days=-1",
]


@pytest.fixture
def everyone(client, auth, make_member):
    roles = ["submit", "query", "review", "admin"]
    return auth.headers(make_member("root", roles=roles)), make_member("risk-c", roles=["query"])


def test_bad_bodies_to_issue_13_endpoints_are_never_5xx(client, everyone):
    headers, _ = everyone
    failures = []
    for method, path in PATHS:
        for body in BODIES:
            response = client.open(path, method=method, json=body, headers=headers)
            if response.status_code >= 500:
                failures.append((path, body if len(repr(body)) < 200 else repr(body)[:200], response.status_code))
        for raw in (b"{", b"\xff\xfe", b'{"reason": "x"}' * 2, b"[" * 5000 + b"]" * 5000):
            response = client.open(path, method=method, data=raw, content_type="application/json", headers=headers)
            if response.status_code >= 500:
                failures.append((path, raw[:40], response.status_code))
    for path in GETS:
        response = client.get(path, headers=headers)
        if response.status_code >= 500:
            failures.append((path, None, response.status_code))
    assert failures == []


@pytest.mark.parametrize(
    "purpose, reference",
    [
        ("complaint_intake", None),
        ("complaint_intake", ""),
        ("complaint_intake", 12345),
        ("complaint_intake", ["a"]),
        ("complaint_intake", "a" * 65),
        ("complaint_intake", "\u0000abc"),
        ("complaint_intake", "١٢٣٤٥٦٧٨٩٠١"),
        ("complaint_intake", "13800138000"),
        ("complaint_intake", "1.2.3.4"),
        ("complaint_intake", "::1"),
        ("complaint_intake", "11010519491231002X"),
        ("complaint_intake", "ＡＢＣ１２３"),
        ("complaint_intake", "a\nb"),
        (None, "R-1"),
        ("account_review", "R-1"),
        ("COMPLAINT_INTAKE", "R-1"),
        (["complaint_intake"], "R-1"),
        ({"x": 1}, "R-1"),
        ("order_screening", "2001:db8:0:0:0:0:0:1"),
        ("order_screening", "0" * 64),
    ],
)
def test_odd_purposes_and_references_are_422_never_5xx(client, app, everyone, purpose, reference):
    headers, _ = everyone
    body = {"purpose": purpose, "reference": reference, "identifiers": hashed(app, "phone", "13912345678")}
    response = client.post("/v1/lookups", json=body, headers=headers)
    assert response.status_code in (200, 422), response.get_json()
    if reference in ("13800138000", "1.2.3.4", "11010519491231002X", "2001:db8:0:0:0:0:0:1", "١٢٣٤٥٦٧٨٩٠١"):
        assert response.status_code == 422, (reference, response.get_json())


GROUPED = [
    {"type": "phone", "hashes": []},
    {"type": "phone", "hashes": [None]},
    {"type": "phone", "hashes": [{"key_id": None, "hash": None}, {"key_id": None, "hash": None}]},
    {"type": ["phone"], "hashes": [{"key_id": "k", "hash": "ab" * 32}]},
    {"type": {"a": 1}, "hash": "ab" * 32, "key_id": "k"},
    {"type": "phone", "hashes": [{"key_id": ["k"], "hash": "ab" * 32}, {"key_id": ["k"], "hash": "ab" * 32}]},
    {"type": "phone", "hashes": [{"key_id": {"k": 1}, "hash": "AB" * 32}]},
    {"type": "phone", "hashes": "ab" * 32},
    {"type": "phone", "hash": "ab" * 32, "hashes": [{"key_id": "k", "hash": "ab" * 32}]},
    {"type": "phone", "hashes": [{"key_id": "k", "hash": "ab" * 32}] * 5},
    {"type": "phone", "hash": "ab" * 32, "key_id": "k", "subject": ["s"]},
    {"type": "phone", "hashes": [{"key_id": "k", "hash": "ab" * 32}], "subject": {"s": 1}},
]


def test_odd_identifier_shapes_are_never_5xx(client, app, everyone):
    headers, _ = everyone
    key_id = app.extensions["federation.identifiers"].current_key_id
    ref = list_entry(client, app, headers, "own-1")
    failures = []
    for item in GROUPED:
        item = {k: (v.replace("k", key_id) if isinstance(v, str) and k == "key_id" else v) for k, v in item.items()}
        bodies = {
            "/v1/lookups": {"purpose": "complaint_intake", "reference": "R-1", "identifiers": [item]},
            "/v1/entries:rekey": {"entries": [{"ref": ref, "identifiers": [item]}]},
            "/v1/protective-registrations": {
                "case_ref": "c1",
                "identifiers": [item],
                "reason": "other",
                "evidence": ["a" * 64],
            },
        }
        for path, body in bodies.items():
            response = client.post(path, json=body, headers=headers)
            if response.status_code >= 500:
                failures.append((path, item, response.status_code))
    assert failures == []
