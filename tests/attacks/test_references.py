"""Lookup references that carry a person's identifier (issue 13 point 2; docs/security.md "Purpose and reference").

Promise: the reference is "the member's own complaint or order id ... refused with 422 when it reads as a
personal identifier: a phone number ..., a national id (17 digits and a valid check character) or an IP
address"; it is stored in ``lookup_records.reference`` and the audit spool, and "nothing the server keeps
at rest holds a raw identifier".
"""

from __future__ import annotations

import pytest

from tests.entries.factories import hashed


@pytest.mark.parametrize(
    "reference",
    ["ID11010519491231002X", "NID-11010519491231002X", "IP-203.0.113.9", "ip:203.0.113.9"],
)
def test_a_reference_embedding_a_national_id_or_address_is_refused(client, app, auth, make_member, reference):
    """Broken (low): a national id or an IP address behind a short prefix passes the check (200), so the
    raw identifier is written to ``lookup_records.reference`` and the audit spool. (Phone numbers behind
    letters are let through on purpose, as the docs decide; national ids and addresses are not
    ambiguous with order numbers.)"""
    headers = auth.headers(make_member("risk-c", roles=["query"]))
    body = {"purpose": "complaint_intake", "reference": reference, "identifiers": hashed(app, "phone", "13912345678")}
    response = client.post("/v1/lookups", json=body, headers=headers)
    assert response.status_code == 422, (reference, response.status_code)
