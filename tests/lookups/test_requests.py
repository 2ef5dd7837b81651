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


def grouped(*pairs, **changes) -> dict:
    return {"type": "phone", "hashes": [{"key_id": k, "hash": h} for k, h in pairs], **changes}


def test_an_identifier_under_several_salts_is_one_item():
    request = parse_lookup(
        {"purpose": "account_review", "identifiers": [grouped(("k2", HASH), ("k1", "cd" * 32), subject="c"), item()]}
    )
    first, second = request.items
    assert (first.hashes, first.subject, first.grouped) == ((("k2", HASH), ("k1", "cd" * 32)), "c", True)
    assert (second.hashes, second.grouped) == ((("k1", HASH),), False)


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        (grouped(), ["/identifiers/0/hashes"]),
        (grouped(*[(f"k{i}", HASH) for i in range(5)]), ["/identifiers/0/hashes"]),
        (grouped(("k1", HASH), ("k1", HASH)), ["/identifiers/0/hashes/1/key_id"]),
        (grouped(("k1", "x")), ["/identifiers/0/hashes/0/hash"]),
        (grouped(("", HASH)), ["/identifiers/0/hashes/0/key_id"]),
        ({**grouped(("k1", HASH)), "hash": HASH}, ["/identifiers/0/hash"]),
        ({"type": "phone", "hashes": ["x"]}, ["/identifiers/0/hashes/0"]),
        (grouped(("k1", HASH), type="passport"), ["/identifiers/0/type"]),
    ],
)
def test_errors_in_the_several_salts_shape_point_into_it(identifier, expected):
    assert pointers({"purpose": "account_review", "identifiers": [identifier]}) == expected
