"""A warninglisted identifier in the scoring model (docs/scoring.md, docs/warninglists.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from federation.lookups.scoring import Candidate, ScoringModel, identity, score

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def candidate(entry_id=1, types=("phone",), listed=None, member="a") -> Candidate:
    return Candidate(entry_id, member, 1.0, NOW, True, False, types, listed or {})


def test_a_listed_identifier_weighs_its_list_weight():
    model = ScoringModel()
    assert identity(model, candidate(), NOW) == pytest.approx(0.85)
    assert identity(model, candidate(listed={"phone": 0.2}), NOW) == pytest.approx(0.17)
    assert identity(model, candidate(listed={"phone": 0.0}), NOW) == 0.0


def test_only_the_listed_type_is_discounted():
    model = ScoringModel()
    both = identity(model, candidate(types=("device", "phone"), listed={"phone": 0.0}), NOW)
    assert both == pytest.approx(0.7)  # the device alone
    assert score(model, [candidate(types=("device", "phone"), listed={"phone": 0.0})], NOW).confidence == 0.7
