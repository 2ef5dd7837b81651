"""Cross-field submission rules, checked without an app or a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from federation.entries.rules import (
    Certification,
    EvidenceItem,
    HashedId,
    Policy,
    Review,
    Submission,
    content_hash,
    expires_at,
    flat_identifiers,
    guard_live,
    hold_gaps,
    is_resend,
    looks_personal,
    problems,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POLICY = Policy(
    ttl_days={1: 180, 2: 365, 3: 1095},
    police_thresholds={"CNY": Decimal("5000")},
    known_key_ids=frozenset({"k1"}),
)
#: During a salt rotation: two accepted salts, and a listing carries each identifier under both.
TWO_SALTS = Policy(ttl_days=POLICY.ttl_days, police_thresholds=POLICY.police_thresholds, known_key_ids={"k1", "k2"})
H1, H2, H3, H4 = "a" * 64, "b" * 64, "c" * 64, "d" * 64


def submission(**changes) -> Submission:
    base = dict(
        case_ref="c1",
        category="extortion",
        tier=2,
        occurred_at=NOW - timedelta(days=10),
        identifiers=(HashedId("phone", H1, "k1"), HashedId("device", H2, "k1")),
        evidence=(EvidenceItem("chat_log", H1, 10, NOW - timedelta(days=9)),),
        review=Review(0.9, "m", "rev-1", NOW - timedelta(days=8)),
        amount=Decimal("100"),
        currency="CNY",
    )
    base.update(changes)
    return Submission(**base)


def pointers(sub: Submission, policy: Policy = POLICY) -> list[str]:
    return [p["pointer"] for p in problems(sub, policy, NOW)]


def test_a_sound_submission_has_no_problems():
    assert problems(submission(), POLICY, NOW) == []


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"identifiers": (HashedId("phone", H1, "k9"),)}, "/identifiers/0/key_id"),
        ({"identifiers": (HashedId("phone", H1, "k1"), HashedId("phone", H1, "k1"))}, "/identifiers/1"),
        ({"occurred_at": NOW + timedelta(hours=1)}, "/occurred_at"),
        ({"occurred_at": NOW - timedelta(days=366)}, "/occurred_at"),
        ({"review": Review(0.9, "m", "rev-1", NOW - timedelta(days=11))}, "/review/reviewed_at"),
        ({"review": Review(0.9, "m", "rev-1", NOW + timedelta(hours=1))}, "/review/reviewed_at"),
        ({"review": Review(0.9, "m", "zhang@qq.com", NOW - timedelta(days=8))}, "/review/human_reviewer"),
        ({"review": Review(0.9, "m", "13800138000", NOW - timedelta(days=8))}, "/review/human_reviewer"),
        ({"evidence": (EvidenceItem("chat_log", H1, 1, NOW + timedelta(hours=1)),)}, "/evidence/0/captured_at"),
        ({"evidence": (EvidenceItem("chat_log", H1, 1, NOW), EvidenceItem("other", H1, 2, NOW))}, "/evidence/1/sha256"),
        ({"tier": 3, "amount": None, "currency": None}, "/amount"),
        ({"tier": 3, "amount": Decimal("4999.99")}, "/amount/value"),
        ({"tier": 3, "amount": Decimal("9000"), "currency": "JPY"}, "/amount/currency"),
    ],
)
def test_each_rule_names_its_field(changes, pointer):
    assert pointer in pointers(submission(**changes))


def test_tier_3_at_the_threshold_is_accepted():
    assert problems(submission(tier=3, amount=Decimal("5000")), POLICY, NOW) == []


def test_clock_skew_tolerates_a_few_minutes():
    assert (
        problems(
            submission(
                occurred_at=NOW + timedelta(minutes=4),
                review=Review(0.9, "m", "r", NOW + timedelta(minutes=4)),
                evidence=(EvidenceItem("chat_log", H1, 1, NOW + timedelta(minutes=4)),),
            ),
            POLICY,
            NOW,
        )
        == []
    )


@pytest.mark.parametrize(("tier", "days"), [(1, 180), (2, 365), (3, 1095)])
def test_term_runs_from_the_offence_by_tier(tier, days):
    sub = submission(tier=tier, amount=Decimal("6000"))
    assert expires_at(sub, POLICY) == sub.occurred_at + timedelta(days=days)


def test_content_hash_ignores_list_order_and_time_zone_spelling():
    base = submission()
    reordered = submission(identifiers=tuple(reversed(base.identifiers)))
    shanghai = submission(occurred_at=base.occurred_at.astimezone(ZoneInfo("Asia/Shanghai")))
    assert content_hash(base) == content_hash(reordered) == content_hash(shanghai)
    assert content_hash(base) != content_hash(submission(tier=1))
    assert content_hash(base) == content_hash(submission(amount=Decimal("100.00")))


def test_a_certification_counts_in_the_content_hash_and_its_absence_keeps_earlier_hashes():
    """Entries listed before certifications existed still recognise their re-sends (idempotency)."""
    assert content_hash(submission()) == "6875e569a07ac2393198e142e0edbd1bdcaf57dec0b9c371ca013fd5b7d76874"
    certified = submission(certification=Certification("New delivery logs confirm the abuse."))
    assert content_hash(certified) != content_hash(submission())


@pytest.mark.parametrize(
    ("offset", "live"),
    [(timedelta(0), True), (timedelta(days=180, microseconds=-1), True), (timedelta(days=180), False),
     (timedelta(days=400), False)],
)  # fmt: skip
def test_a_guard_lasts_its_period_from_the_decision(offset, live):
    assert guard_live(NOW, 180, NOW + offset) is live


@pytest.mark.parametrize(
    ("new_evidence", "certified", "gaps"),
    [
        (["a" * 64], True, []),
        ([], True, ["new_evidence"]),
        (["a" * 64], False, ["certification"]),
        ([], False, ["new_evidence", "certification"]),
    ],
)
def test_a_held_relisting_needs_new_evidence_and_a_certification(new_evidence, certified, gaps):
    assert hold_gaps(new_evidence, certified) == gaps


def grouped(*items: dict) -> tuple[HashedId, ...]:
    return flat_identifiers(list(items))


def test_an_identifier_under_several_salts_is_one_group_with_pointers_into_its_hashes():
    flat = grouped(
        {"type": "phone", "hashes": [{"key_id": "k1", "hash": H1}, {"key_id": "k2", "hash": H4}]},
        {"type": "device", "hashes": [{"key_id": "k2", "hash": H3}, {"key_id": "k1", "hash": H2}]},
    )
    assert [(i.group, i.key_id, i.at) for i in flat] == [
        (0, "k1", "/identifiers/0/hashes/0"),
        (0, "k2", "/identifiers/0/hashes/1"),
        (1, "k2", "/identifiers/1/hashes/0"),
        (1, "k1", "/identifiers/1/hashes/1"),
    ]
    assert problems(submission(identifiers=flat), TWO_SALTS, NOW) == []


def test_during_a_rotation_a_listing_carries_each_identifier_under_every_accepted_salt():
    """Else a re-listing hashed under the new salt alone would pass a reinsertion guard kept under the old."""
    half = grouped(
        {"type": "phone", "hash": H1, "key_id": "k2"},
        {"type": "device", "hashes": [{"key_id": "k2", "hash": H3}, {"key_id": "k1", "hash": H2}]},
    )
    [problem] = problems(submission(identifiers=half), TWO_SALTS, NOW)
    assert problem["pointer"] == "/identifiers/0" and "missing: k1" in problem["detail"]


@pytest.mark.parametrize(
    ("hashes", "expected"),
    [
        (
            [{"key_id": "k9", "hash": H3}, {"key_id": "k1", "hash": H1}],
            ["/identifiers/0/hashes/0/key_id", "/identifiers/0"],  # unknown k9, and nothing under k2
        ),
        (
            [{"key_id": "k1", "hash": H3}, {"key_id": "k1", "hash": H4}, {"key_id": "k2", "hash": H1}],
            ["/identifiers/0/hashes/1/key_id"],
        ),
        ([{"key_id": "k1", "hash": H3}, {"key_id": "k2", "hash": H3}], ["/identifiers/0/hashes/1"]),
    ],
)
def test_problems_inside_a_group_point_at_the_hash(hashes, expected):
    sub = submission(identifiers=grouped({"type": "phone", "hashes": hashes}))
    assert pointers(sub, TWO_SALTS) == expected


def test_the_digest_of_a_one_salt_submission_does_not_depend_on_its_wire_shape():
    flat = submission()
    same = submission(
        identifiers=grouped(
            {"type": "phone", "hashes": [{"key_id": "k1", "hash": H1}]}, {"type": "device", "hash": H2, "key_id": "k1"}
        )
    )
    assert content_hash(flat) == content_hash(same)


def test_a_resend_under_more_salts_is_the_same_case_and_a_changed_one_is_not():
    original = submission()
    under_two = submission(
        identifiers=grouped(
            {"type": "phone", "hashes": [{"key_id": "k2", "hash": H3}, {"key_id": "k1", "hash": H1}]},
            {"type": "device", "hashes": [{"key_id": "k2", "hash": H4}, {"key_id": "k1", "hash": H2}]},
        )
    )
    assert content_hash(under_two) != content_hash(original)
    assert is_resend(under_two, content_hash(original)) and is_resend(original, content_hash(original))
    assert not is_resend(submission(identifiers=under_two.identifiers, tier=1), content_hash(original))
    new_salt_only = submission(identifiers=tuple(i for i in under_two.identifiers if i.key_id == "k2"))
    assert not is_resend(new_salt_only, content_hash(original))  # nothing shows it is the same person


@pytest.mark.parametrize(
    "name",
    [
        "zhang@qq.com",
        "zhang＠qq.com",  # full-width at sign
        "zhang﹫qq.com",  # small at sign
        "13800138000",
        "１３８００１３８０００",  # full-width digits
        "138 0013 8000",
        "+86-138-0013-8000",
        "138\u200b0013\u200b8000",  # zero-width spaces between the digits
        "(010) 6552-9988",
        "110101199003077777",  # an ID number
    ],
)
def test_reviewer_pseudonyms_that_look_like_contacts_are_refused_in_any_form(name):
    assert looks_personal(name)
    assert "/review/human_reviewer" in pointers(submission(review=Review(0.9, "m", name, NOW - timedelta(days=8))))


@pytest.mark.parametrize("name", ["reviewer-07", "rev-1", "审核员 12", "team-b 2026", "r.123.456"])
def test_ordinary_pseudonyms_pass(name):
    assert not looks_personal(name)
