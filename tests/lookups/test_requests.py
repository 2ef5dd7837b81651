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
    request = parse_lookup(
        {"purpose": "complaint_intake", "reference": "CMP-1", "identifiers": [item(subject="complainant"), item()]}
    )
    assert request.purpose == "complaint_intake" and request.reference == "CMP-1"
    assert [(i.type, i.subject) for i in request.items] == [("phone", "complainant"), ("phone", None)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], ["/"]),
        ({"identifiers": [item()]}, ["/purpose", "/reference"]),
        ({"purpose": "curiosity", "reference": "X-1", "identifiers": [item()]}, ["/purpose"]),
        ({"purpose": "account_review", "reference": "X-1", "identifiers": [item()]}, ["/purpose"]),
        ({"purpose": "complaint_intake", "identifiers": [item()]}, ["/reference"]),
        ({"purpose": "complaint_intake", "reference": "", "identifiers": [item()]}, ["/reference"]),
        ({"purpose": "complaint_intake", "reference": "x" * 65, "identifiers": [item()]}, ["/reference"]),
        ({"purpose": "complaint_intake", "reference": 12, "identifiers": [item()]}, ["/reference"]),
        ({"purpose": "complaint_intake", "reference": "a@example.com", "identifiers": [item()]}, ["/reference"]),
        ({"purpose": "complaint_intake", "reference": "13800138000", "identifiers": [item()]}, ["/reference"]),
        ({"purpose": "order_screening", "reference": "ORD-1", "identifiers": []}, ["/identifiers"]),
        ({"purpose": "order_screening", "reference": "ORD-1", "identifiers": [item()] * 1001}, ["/identifiers"]),
        (
            {"purpose": "order_screening", "reference": "ORD-1", "identifiers": [item(type="passport")]},
            ["/identifiers/0/type"],
        ),
        (
            {"purpose": "order_screening", "reference": "ORD-1", "identifiers": [item(), item(hash=HASH.upper())]},
            ["/identifiers/1/hash"],
        ),
        (
            {"purpose": "order_screening", "reference": "ORD-1", "identifiers": [item(key_id="")]},
            ["/identifiers/0/key_id"],
        ),
        (
            {"purpose": "order_screening", "reference": "ORD-1", "identifiers": [item(subject="x" * 65)]},
            ["/identifiers/0/subject"],
        ),
        (
            {"purpose": "order_screening", "reference": "ORD-1", "identifiers": [item(subject=["a", "b"])]},
            ["/identifiers/0/subject"],
        ),
        ({"purpose": "order_screening", "reference": "ORD-1", "identifiers": [item(hash=12)]}, ["/identifiers/0/hash"]),
        (
            {"purpose": "order_screening", "reference": "ORD-1", "identifiers": [item(raw="13800138000")]},
            ["/identifiers/0/raw"],
        ),
        ({"purpose": "order_screening", "reference": "ORD-1", "identifiers": ["text"]}, ["/identifiers/0"]),
        ({"purpose": "order_screening", "reference": "ORD-1", "identifiers": [item()], "member": "x"}, ["/member"]),
    ],
)
def test_errors_point_at_the_field(body, expected):
    assert pointers(body) == expected


def test_errors_are_capped_at_one_hundred():
    assert (
        len(pointers({"purpose": "order_screening", "reference": "ORD-1", "identifiers": [item(hash="x")] * 1000}))
        == 100
    )


def grouped(*pairs, **changes) -> dict:
    return {"type": "phone", "hashes": [{"key_id": k, "hash": h} for k, h in pairs], **changes}


def test_an_identifier_under_several_salts_is_one_item():
    request = parse_lookup(
        {
            "purpose": "order_screening",
            "reference": "ORD-1",
            "identifiers": [grouped(("k2", HASH), ("k1", "cd" * 32), subject="c"), item()],
        }
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
    assert pointers({"purpose": "order_screening", "reference": "ORD-1", "identifiers": [identifier]}) == expected
