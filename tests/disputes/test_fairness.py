"""The pure rules of who may decide a dispute and when, with an explicit clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from federation.disputes.fairness import answer_pending, check_may_decide, conflicted
from federation.errors import Conflict, Forbidden

RESPOND_BY = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)


def case(state: str = "awaiting_answer", filed_by: str | None = "risk-c") -> SimpleNamespace:
    return SimpleNamespace(
        ref="DTEST", state=state, respond_by=RESPOND_BY, filed_by=filed_by, entry=SimpleNamespace(member_id="shop-a")
    )


@pytest.mark.parametrize(
    ("reviewer", "filed_by", "expected"),
    [
        ("shop-a", "risk-c", True),  # listed the entry
        ("risk-c", "risk-c", True),  # filed the dispute
        ("fed-review", "risk-c", False),
        ("fed-review", None, False),  # opened by an appeal: no filing member
        ("cli:ops", None, False),  # the operator belongs to no member
    ],
)
def test_a_reviewer_is_conflicted_when_its_member_is_a_party(reviewer, filed_by, expected):
    assert conflicted(case(filed_by=filed_by), reviewer) is expected


@pytest.mark.parametrize(
    ("state", "now", "pending"),
    [
        ("awaiting_answer", RESPOND_BY - timedelta(seconds=1), True),
        ("awaiting_answer", RESPOND_BY, False),  # the deadline has come: the tick may not have run yet
        ("awaiting_answer", RESPOND_BY + timedelta(days=1), False),
        ("awaiting_review", RESPOND_BY - timedelta(days=5), False),  # answered
    ],
)
def test_the_answer_is_pending_until_given_or_due(state, now, pending):
    assert answer_pending(case(state=state), now) is pending


def test_deciding_early_needs_a_reason_and_a_party_never_decides():
    early = RESPOND_BY - timedelta(days=1)
    with pytest.raises(Conflict) as refused:
        check_may_decide(case(), "fed-review", now=early, expedite_reason="   ")
    assert refused.value.code == "answer_pending"
    check_may_decide(case(), "fed-review", now=early, expedite_reason="A court order arrived.")
    check_may_decide(case(), "fed-review", now=RESPOND_BY, expedite_reason=None)
    with pytest.raises(Forbidden) as party:
        check_may_decide(case(state="awaiting_review"), "shop-a", now=RESPOND_BY, expedite_reason="urgent")
    assert party.value.code == "conflict_of_interest"
