"""Status codes and cases as pure rules: no app, no database, an explicit clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from federation.disputes.cases import by_case
from federation.disputes.models import Appeal
from federation.disputes.status_codes import current, idempotency_tag, issue, token_hash
from federation.identifiers.secrets import IdentifierSecrets, SaltTable

SECRETS = IdentifierSecrets(SaltTable("k1", {"k1": b"s" * 32}), b"p" * 32)
OTHER_PEPPER = IdentifierSecrets(SaltTable("k1", {"k1": b"s" * 32}), b"q" * 32)
SAID = {"statement": "not me", "contact": "me@example.cn", "language": "en", "evidence": [{"sha256": "a" * 64}]}
NOW = datetime(2026, 11, 30, tzinfo=UTC)


def test_the_idempotency_tag_binds_the_key_to_the_content_and_the_pepper():
    tag = idempotency_tag(SECRETS, "key", ["t1", "t2"], SAID)
    assert tag == idempotency_tag(SECRETS, "key", ["t2", "t1"], dict(SAID))  # order of identifiers is not content
    assert tag != idempotency_tag(SECRETS, "other-key", ["t1", "t2"], SAID)
    assert tag != idempotency_tag(SECRETS, "key", ["t1", "t2"], {**SAID, "contact": "stranger@example.cn"})
    assert tag != idempotency_tag(OTHER_PEPPER, "key", ["t1", "t2"], SAID)


def test_a_keyed_appeal_code_is_derived_again_and_changes_with_each_generation():
    appeal = Appeal(idempotency_tag="f" * 64, token_generation=0)
    first = issue(appeal, SECRETS)
    assert first == current(appeal, SECRETS) and appeal.token_hash == token_hash(first) and len(first) == 32
    appeal.token_generation = 1
    second = issue(appeal, SECRETS)
    assert second != first and appeal.token_hash == token_hash(second)


def test_an_appeal_without_a_key_gets_a_random_code_that_cannot_be_derived():
    appeal = Appeal(idempotency_tag=None, token_generation=0)
    assert issue(appeal, SECRETS) != issue(appeal, SECRETS)
    with pytest.raises(ValueError, match="idempotency key"):
        current(appeal, SECRETS)


def test_cases_group_their_appeals_earliest_deadline_first():
    def appeal(ref: str, case: str, days: int) -> Appeal:
        return Appeal(ref=ref, case_ref=case, decide_by=NOW + timedelta(days=days))

    grouped = by_case([appeal("A1", "A1", 30), appeal("A2", "A2", 10), appeal("A3", "A1", 5)])
    assert [(case.ref, [a.ref for a in case.appeals], case.decide_by.day) for case in grouped] == [
        ("A1", ["A1", "A3"], 5),
        ("A2", ["A2"], 10),
    ]
