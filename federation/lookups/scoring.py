"""Match confidence: the model in ``docs/scoring.md``, as pure functions.

For a set of query identifiers Q (one identifier, or all of a subject's):

* identity(e) = 1 - prod over identifiers i in Q matching entry e of
  (1 - weight(type_i) * listed(i, e) * decay(age_e, half_life(type_i)))
  -- how sure we are that entry e is about this person; listed(i, e) is the weight of the
  warninglist marking e's identifier of that type (``docs/warninglists.md``), else 1;
* strength(e) = identity(e) * trust(member_e) * (dispute_discount if disputed),
  and 0 for entries that do not count (suspended);
* a member's reports combine with diminishing returns: its k-th strongest
  entry (k = 0, 1, ...) counts ``repeat_factor ** k``:
  member(j) = 1 - prod_k (1 - strength(e_jk) * repeat_factor ** k);
* independent members combine by noisy-OR:
  confidence(Q) = 1 - prod_j (1 - member(j)).

So ten reports from one member count less than three from three members, an
old IP match fades within weeks while an ID-card match lasts years, and a
disputed listing weighs half until the dispute is decided.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

DEFAULT_TYPE_WEIGHTS = {"national_id": 0.95, "phone": 0.85, "device": 0.7, "email": 0.5, "ip": 0.3, "ip_net": 0.15}
DEFAULT_HALF_LIFE_DAYS = {"national_id": 1825, "phone": 365, "device": 180, "email": 365, "ip": 30, "ip_net": 14}


@dataclass(frozen=True, slots=True)
class ScoringModel:
    type_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TYPE_WEIGHTS))
    half_life_days: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_HALF_LIFE_DAYS))
    #: Weight of a member's 2nd, 3rd, ... report on the same person: 0.3, 0.09, ...
    repeat_factor: float = 0.3
    #: A disputed entry counts this much until the dispute is decided.
    dispute_discount: float = 0.5

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> ScoringModel:
        return cls(
            type_weights={**DEFAULT_TYPE_WEIGHTS, **dict(config.get("SCORING_TYPE_WEIGHTS") or {})},
            half_life_days={**DEFAULT_HALF_LIFE_DAYS, **dict(config.get("SCORING_HALF_LIFE_DAYS") or {})},
            repeat_factor=float(config.get("SCORING_REPEAT_FACTOR", 0.3)),
            dispute_discount=float(config.get("SCORING_DISPUTE_DISCOUNT", 0.5)),
        )

    def decay(self, type_: str, age_days: float) -> float:
        return 0.5 ** (max(age_days, 0.0) / self.half_life_days[type_])


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry matched by one or more of the query identifiers."""

    entry_id: int
    member_id: str
    trust: float
    occurred_at: datetime
    counts: bool  # False for suspended entries: shown, never scored
    disputed: bool
    matched_types: tuple[str, ...]
    #: Matched types whose identifier of the entry is on a warninglist: type -> that list's weight.
    warninglisted: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Scored:
    confidence: float
    #: entry id -> its strength (0 for entries that do not count)
    strengths: dict[int, float]
    #: entry id -> identity(e)
    identities: dict[int, float]
    #: each reporting member's combined contribution, strongest first (no member ids)
    member_contributions: tuple[float, ...]


def identity(model: ScoringModel, candidate: Candidate, now: datetime) -> float:
    age_days = (now - candidate.occurred_at).total_seconds() / 86400
    miss = 1.0
    listed = candidate.warninglisted
    for type_ in candidate.matched_types:
        miss *= 1.0 - model.type_weights[type_] * listed.get(type_, 1.0) * model.decay(type_, age_days)
    return 1.0 - miss


def score(model: ScoringModel, candidates: Iterable[Candidate], now: datetime) -> Scored:
    strengths: dict[int, float] = {}
    identities: dict[int, float] = {}
    by_member: dict[str, list[float]] = defaultdict(list)
    for candidate in candidates:
        identities[candidate.entry_id] = identity(model, candidate, now)
        strength = 0.0
        if candidate.counts:
            strength = identities[candidate.entry_id] * candidate.trust
            if candidate.disputed:
                strength *= model.dispute_discount
            by_member[candidate.member_id].append(strength)
        strengths[candidate.entry_id] = strength
    contributions = sorted((_member_strength(model, values) for values in by_member.values()), reverse=True)
    miss = 1.0
    for contribution in contributions:
        miss *= 1.0 - contribution
    return Scored(
        confidence=round(1.0 - miss, 6),
        strengths=strengths,
        identities=identities,
        member_contributions=tuple(round(c, 6) for c in contributions),
    )


def _member_strength(model: ScoringModel, strengths: list[float]) -> float:
    miss = 1.0
    for rank, strength in enumerate(sorted(strengths, reverse=True)):
        miss *= 1.0 - strength * model.repeat_factor**rank
    return 1.0 - miss
