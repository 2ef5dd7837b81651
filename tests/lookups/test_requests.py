"""The hand-written lookup parser: same errors a schema would give, in one pass."""

from __future__ import annotations

import pytest

from federation.errors import ValidationFailed
from federation.lookups.requests import parse_lookup

HASH = "ab" * 32


def item(**changes) -> dict:
    return {"type": "phone", "hash": HASH, "key_id": "k1", **changes}


def pointers(body) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        parse_lookup(body)
    return [error["pointer"] for error in caught.value.errors]


def test_a_valid_request():
    request = parse_lookup({"purpose": "complaint_intake", "identifiers": [item(subject="complainant"), item()]})
    assert request.purpose == "complaint_intake"
    assert [(i.type, i.subject) for i in request.items] == [("phone", "complainant"), ("phone", None)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], ["/"]),
        ({"identifiers": [item()]}, ["/purpose"]),
        ({"purpose": "curiosity", "identifiers": [item()]}, ["/purpose"]),
        ({"purpose": "account_review", "identifiers": []}, ["/identifiers"]),
        ({"purpose": "account_review", "identifiers": [item()] * 1001}, ["/identifiers"]),
        ({"purpose": "account_review", "identifiers": [item(type="passport")]}, ["/identifiers/0/type"]),
        ({"purpose": "account_review", "identifiers": [item(), item(hash=HASH.upper())]}, ["/identifiers/1/hash"]),
        ({"purpose": "account_review", "identifiers": [item(key_id="")]}, ["/identifiers/0/key_id"]),
        ({"purpose": "account_review", "identifiers": [item(subject="x" * 65)]}, ["/identifiers/0/subject"]),
        ({"purpose": "account_review", "identifiers": [item(subject=["a", "b"])]}, ["/identifiers/0/subject"]),
        ({"purpose": "account_review", "identifiers": [item(hash=12)]}, ["/identifiers/0/hash"]),
        ({"purpose": "account_review", "identifiers": [item(raw="13800138000")]}, ["/identifiers/0/raw"]),
        ({"purpose": "account_review", "identifiers": ["text"]}, ["/identifiers/0"]),
        ({"purpose": "account_review", "identifiers": [item()], "member": "x"}, ["/member"]),
    ],
)
def test_errors_point_at_the_field(body, expected):
    assert pointers(body) == expected


def test_errors_are_capped_at_one_hundred():
    assert len(pointers({"purpose": "order_screening", "identifiers": [item(hash="x")] * 1000})) == 100
