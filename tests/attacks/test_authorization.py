"""Who may reach issue 13's admin and reviewer endpoints (held: regression tests)."""

from __future__ import annotations

import pytest

from tests.api.test_lookups import list_entry

ADMIN_ONLY = [
    ("GET", "/v1/alerts", None),
    ("GET", "/v1/alerts/ALRT1", None),
    ("POST", "/v1/alerts/ALRT1:acknowledge", {"reason": "x"}),
    ("POST", "/v1/alerts/ALRT1:resolve", {"reason": "x"}),
    ("GET", "/v1/warninglists", None),
    ("POST", "/v1/warninglists", {"name": "x", "type": "string", "list": ["1"], "matching_attributes": ["phone"]}),
    ("GET", "/v1/warninglists/1", None),
    ("DELETE", "/v1/warninglists/1", None),
    ("POST", "/v1/warninglists/1/disable", None),
    ("POST", "/v1/members/victim/trust", {"override": 0, "reason": "x"}),
    ("POST", "/v1/members/victim/probation", {"until": None, "reason": "x"}),
    ("POST", "/v1/members/victim/lookup-budget", {"daily_lookup_quota": 0, "reason": "x"}),
    ("POST", "/v1/members/member/lookup-budget", {"daily_lookup_quota": 10**7, "reason": "x"}),
    ("POST", "/v1/members/member/probation", {"until": None, "reason": "x"}),
    ("POST", "/v1/members/member/trust", {"override": 1, "reason": "x"}),
    ("GET", "/v1/members/victim", None),
]


@pytest.fixture
def fed(client, auth, make_member):
    roles = {"member": ["submit", "query", "review"], "victim": ["submit", "query"], "root": ["admin"]}
    return {name: auth.headers(make_member(name, roles=r)) for name, r in roles.items()}


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
def test_a_member_with_every_other_scope_reaches_no_admin_endpoint(client, fed, method, path, body):
    response = client.open(path, method=method, json=body, headers=fed["member"])
    assert response.status_code in (403, 404), (path, response.status_code, response.get_json())
    anonymous = client.open(path, method=method, json=body)
    assert anonymous.status_code == 401, (path, anonymous.status_code)


def test_a_reviewer_cannot_confirm_its_own_members_listing_or_registration(client, app, fed):
    ref = list_entry(client, app, fed["member"], "own-1")
    assert client.post(f"/v1/entries/{ref}/confirm", json={"reason": "x"}, headers=fed["member"]).status_code == 403
