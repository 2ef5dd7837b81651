"""Getting a warninglisted value listed (issue 13 point 3, docs/warninglists.md)."""

from __future__ import annotations

import pytest

from tests.api.test_warninglists import TEST_NUMBERS, by_hand, import_list, served_salt
from tests.entries.factories import entry_payload


@pytest.fixture
def members(make_member, auth) -> dict[str, dict[str, str]]:
    return {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [("ops", ["admin"]), ("shop-a", ["submit", "query"])]
    }


@pytest.mark.parametrize("written", ["13800138000", "8613800138000"])
def test_the_test_number_hashed_by_hand_as_commonly_written_is_refused(client, app, members, written):
    """Broken (low): a refuse list holds a value "however it was hashed", and the list already hashes the
    invalid hotlines "as written, both as 10086 and as +8610086: the strings a member hashing by hand ...
    would hash". The valid test number 13800138000 is hashed only in its canonical form (+8613800138000):
    hashed by hand as the number is commonly written, it is accepted (201) and matches other members who
    hash it the same way."""
    import_list(client, members["ops"], TEST_NUMBERS)
    salt_hex, key_id = served_salt(client, members["shop-a"])
    payload = entry_payload(app, "w1", phone="13912345600")
    payload["identifiers"][0] = by_hand("phone", written, salt_hex, key_id)
    response = client.post("/v1/entries", json=payload, headers=members["shop-a"])
    assert response.status_code == 422, (written, response.status_code)
