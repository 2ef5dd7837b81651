"""The three-tier ladder: what a member should do with a complaint from this person.

Pure rules, checked in order; the first that fires is the recommendation:

1. ``refer_to_police``: a strike listed at tier 3, or strikes whose amounts
   add up to the police-referral threshold in their currency;
2. ``ban``: a second strike (two distinct confirmed cases, from any members),
   or a strike already listed at tier 2;
3. ``warn_and_freeze``: a first strike; complaint rights frozen until
   ``now + freeze_days`` (15 by default);
4. ``review``: no strike, but some confidence (weak identifiers only,
   disputed or suspended listings): a person should look;
5. ``accept``.

A *strike* is a confirmed, undisputed, active entry whose strength reaches
``strike_threshold``: an IP-network match alone never freezes anyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ..entries.rules import police_thresholds


@dataclass(frozen=True, slots=True)
class Ladder:
    strike_threshold: float = 0.6
    review_threshold: float = 0.2
    freeze_days: int = 15
    police_thresholds: Mapping[str, Decimal] | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> Ladder:
        return cls(
            strike_threshold=float(config.get("STRIKE_THRESHOLD", 0.6)),
            review_threshold=float(config.get("REVIEW_THRESHOLD", 0.2)),
            freeze_days=int(config.get("FREEZE_DAYS", 15)),
            police_thresholds=police_thresholds(config),
        )


@dataclass(frozen=True, slots=True)
class Strike:
    entry_id: int
    tier: int
    amount: Decimal | None
    currency: str | None


@dataclass(frozen=True, slots=True)
class Recommendation:
    action: str
    rule: str
    strikes: int
    total_amount: dict[str, Decimal]
    freeze_until: datetime | None = None


def totals(strikes: list[Strike]) -> dict[str, Decimal]:
    summed: dict[str, Decimal] = defaultdict(Decimal)
    for strike in strikes:
        if strike.amount is not None and strike.currency:
            summed[strike.currency] += strike.amount
    return dict(summed)


def recommend(ladder: Ladder, strikes: list[Strike], confidence: float, now: datetime) -> Recommendation:
    amounts = totals(strikes)
    thresholds = ladder.police_thresholds or {}

    def made(action: str, rule: str, freeze: datetime | None = None) -> Recommendation:
        return Recommendation(action=action, rule=rule, strikes=len(strikes), total_amount=amounts, freeze_until=freeze)

    if any(strike.tier == 3 for strike in strikes):
        return made("refer_to_police", "tier_3_listing")
    if any(currency in thresholds and total >= thresholds[currency] for currency, total in amounts.items()):
        return made("refer_to_police", "amount_over_police_threshold")
    if len(strikes) >= 2:
        return made("ban", "second_strike")
    if any(strike.tier == 2 for strike in strikes):
        return made("ban", "tier_2_listing")
    if strikes:
        return made("warn_and_freeze", "first_strike", now + timedelta(days=ladder.freeze_days))
    if confidence >= ladder.review_threshold:
        return made("review", "weak_or_contested_match")
    return made("accept", "no_match" if confidence == 0 else "below_review_threshold")
