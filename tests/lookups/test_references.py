"""The member's own reference on a lookup: its own id, never a person's (``lookups/references.py``)."""

from __future__ import annotations

import pytest

from federation.lookups.references import looks_personal, reference_problem


@pytest.mark.parametrize(
    "reference",
    ["CMP-2026-000123", "ORD/77#3", "a", "202611301234567", "order:9f8e7d", "v1.2", "A" * 64, "ab:cd"],
)
def test_own_ids_are_accepted(reference):
    assert reference_problem(reference) is None


@pytest.mark.parametrize(
    "reference",
    [
        "13800138000",  # a mainland mobile number
        "008613800138000",
        "11010519491231002X",  # a national id with a valid check character
        "8.8.8.8",
        "2001:db8::1",
    ],
)
def test_personal_identifiers_are_refused(reference):
    assert looks_personal(reference)
    assert "personal identifier" in reference_problem(reference)


@pytest.mark.parametrize("reference", ["", " CMP-1", "-CMP", "a@example.com", "x" * 65, "订单1", None, 12, ["a"]])
def test_malformed_references_are_refused(reference):
    assert "1 to 64" in reference_problem(reference)


@pytest.mark.parametrize(
    "reference",
    ["TEL13800138000", "ORD:8613800138000", "ID11010519491231002X", "IP-203.0.113.9", "v6-2001:db8::1", "case#1.2.3.4"],
)
def test_an_identifier_inside_a_reference_is_refused(reference):
    """A short prefix must not carry a person's identifier into the audit records."""
    assert looks_personal(reference)


@pytest.mark.parametrize("reference", ["ORD-20261130123456789", "ORD-12345678901", "ORD:2001-11-30", "12:30:45"])
def test_order_numbers_with_long_digit_runs_are_not_read_as_identifiers(reference):
    """Only a whole digit run that is a valid mobile number counts: a long order number is never split."""
    assert not looks_personal(reference)
