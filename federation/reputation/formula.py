"""Reporter reputation: a member's effective trust from its record, as pure functions (docs/scoring.md).

For a member with base trust ``base`` (what an admin gave it), ``n`` published entries of which
``o`` were overturned (delisted on an upheld dispute or appeal) and ``r`` retracted by itself, and
``age`` days of membership::

    overturned_share = o / (n + k)          retracted_share = r / (n + k)
    age_factor       = floor + (1 - floor) * min(1, age / full_age_days)
    effective        = clamp01(base * (1 - a * overturned_share) * (1 - b * retracted_share) * age_factor)

with defaults k = 10, a = 2, b = 0.5, floor = 0.8, full_age_days = 365. An admin's override, when
set, is the effective trust instead.

Why these choices:

* ``k`` is a Bayesian prior of ``k`` clean entries (a Beta(0, k) prior on the overturn rate, whose
  posterior mean is exactly ``o / (n + k)``): a member with 2 entries and 1 overturned is not "50 %
  bad" (1/12 = 8 %, trust x 0.83), while one with 100 entries and 30 overturned is (30/110, trust
  x 0.45). No cliff at a minimum sample: the estimate slides from the prior to the record as the
  record grows.
* ``a = 2``: a member half of whose listings are overturned has no weight at all; one in ten
  overturned (at a large sample) costs a fifth of its weight.
* ``b = 0.5``: retracting is self-correction, which we want members to do (a concession of a
  dispute is a retraction too); it costs a quarter of what being overturned does, but a member
  that lists first and checks later still loses weight.
* age: trust grows over the first year from 80 % to 100 %: a long record is itself evidence of
  good faith. New members are restrained mostly by probation (``reputation/standing.py``), which caps what
  their listings *do*; the age factor only trims what they *weigh*, so a phone listing of a
  day-old member (0.85 x 0.8 = 0.68) still reaches the 0.6 strike threshold once corroborated.

Entries that never took effect (``held``, ``rejected``) are not part of the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

#: Entry states that count as published (the record); ``held`` and ``rejected`` never took effect.
RECORD_STATES = frozenset({"active", "suspended", "retracted", "delisted", "expired"})


@dataclass(frozen=True, slots=True)
class ReputationModel:
    #: Pseudo-count of clean entries every member starts with (the prior's strength).
    prior_entries: float = 10.0
    #: Penalty per unit of overturned share, and of retracted share.
    overturned_penalty: float = 2.0
    retracted_penalty: float = 0.5
    #: The age factor at admission, and the membership age at which it reaches 1.
    age_floor: float = 0.8
    full_age_days: float = 365.0
    #: Days a new member is on probation (0: none), and how many of its entries confirmed by
    #: reviewers end it early.
    probation_days: int = 90
    probation_confirmed_entries: int = 5

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> ReputationModel:
        return cls(
            prior_entries=float(config.get("REPUTATION_PRIOR_ENTRIES", 10.0)),
            overturned_penalty=float(config.get("REPUTATION_OVERTURNED_PENALTY", 2.0)),
            retracted_penalty=float(config.get("REPUTATION_RETRACTED_PENALTY", 0.5)),
            age_floor=float(config.get("REPUTATION_AGE_FLOOR", 0.8)),
            full_age_days=float(config.get("REPUTATION_FULL_AGE_DAYS", 365)),
            probation_days=int(config.get("PROBATION_DAYS", 90)),
            probation_confirmed_entries=int(config.get("PROBATION_CONFIRMED_ENTRIES", 5)),
        )


@dataclass(frozen=True, slots=True)
class Record:
    """What a member's reputation is computed from: counts, never which entries or whose."""

    entries: int = 0
    overturned: int = 0
    retracted: int = 0
    confirmed: int = 0


@dataclass(frozen=True, slots=True)
class Reputation:
    base: float
    entries: int
    overturned: int
    retracted: int
    age_days: float
    overturned_share: float
    retracted_share: float
    age_factor: float
    #: The formula's result (what the member would weigh without an override).
    computed: float

    def as_inputs(self) -> dict[str, float | int]:
        return asdict(self)


def _clamp01(value: float) -> float:
    return min(1.0, max(0.0, value))


def compute(model: ReputationModel, base: float, record: Record, member_since: datetime, now: datetime) -> Reputation:
    """The formula in the module docstring, rounded to 6 decimals."""
    prior = record.entries + model.prior_entries
    overturned_share = record.overturned / prior if prior else 0.0
    retracted_share = record.retracted / prior if prior else 0.0
    age_days = max((now - member_since).total_seconds() / 86400, 0.0)
    ramp = min(1.0, age_days / model.full_age_days) if model.full_age_days > 0 else 1.0
    age_factor = model.age_floor + (1.0 - model.age_floor) * ramp
    value = (
        base
        * _clamp01(1.0 - model.overturned_penalty * overturned_share)
        * _clamp01(1.0 - model.retracted_penalty * retracted_share)
        * age_factor
    )
    return Reputation(
        base=base,
        entries=record.entries,
        overturned=record.overturned,
        retracted=record.retracted,
        age_days=round(age_days, 3),
        overturned_share=round(overturned_share, 6),
        retracted_share=round(retracted_share, 6),
        age_factor=round(age_factor, 6),
        computed=round(_clamp01(value), 6),
    )


def effective(computed: float, override: float | None) -> float:
    """An admin's override wins over the formula until it is removed."""
    return computed if override is None else override


def on_probation(probation_until: datetime | None, now: datetime) -> bool:
    """Probation ends at ``probation_until``; at that instant it is over."""
    return probation_until is not None and now < probation_until


def graduates(model: ReputationModel, record: Record) -> bool:
    """Enough of its listings confirmed by other members' reviewers: probation has done its job."""
    return model.probation_confirmed_entries > 0 and record.confirmed >= model.probation_confirmed_entries
