"""The three-tier ladder: what a member should do with a complaint from this person.

Pure rules, checked in order; the first that fires is the recommendation:

1. ``refer_to_police``: a strike listed at tier 3, or strikes whose amounts
   add up to the police-referral threshold in their currency;
2. ``ban``: a second strike (two distinct confirmed cases, from any members),
   or a strike already listed at tier 2;
3. ``warn_and_freeze``: a first strike; complaint rights frozen for
   ``freeze_days`` (15 by default) *counted from the day the strike was
   listed*;
4. ``review`` (``first_strike_freeze_served``): a single strike whose freeze
   is over. The warning was given and the freeze served; a new freeze at every
   lookup would turn a 15-day sanction into one as long as the listing;
5. ``review`` (``probation_uncorroborated``): no strike, but entries that would be strikes were
   listed by members on probation and are neither corroborated by another member nor confirmed
   by a reviewer (``probation.py``, docs/scoring.md): they count as ``review`` at most;
6. ``review``: no strike, but some confidence (weak identifiers only,
   disputed or suspended listings): a person should look;
7. ``accept``.

A *strike* is a confirmed, undisputed, active entry whose strength reaches
``strike_threshold``: an IP-network match alone never freezes anyone.

Why the listing and not the offence starts the freeze: the freeze is the
sanction for a *confirmed* offence, and confirmation is the listing. Counted
from the offence, a case confirmed more than 15 days after it happened (most
of them: members investigate before listing) would never freeze anyone, and
the published first step of the ladder would silently not exist. The freeze
ends at ``listed_at + freeze_days``; at that instant it is over.
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
    #: When the strike was listed (confirmed): the freeze counts from here.
    listed_at: datetime


#: The published ladder, first match wins: (action, rule, when in English, when in Chinese).
#: Served with the joint rules at ``GET /v1/rules/current``; ``recommend`` implements exactly these.
RULES: tuple[tuple[str, str, str, str], ...] = (
    ("refer_to_police", "tier_3_listing", "A strike listed at tier 3.", "有一次三级（报警级）确认记录。"),
    (
        "refer_to_police",
        "amount_over_police_threshold",
        "The strikes' amounts add up to the police threshold in their currency.",
        "确认记录的涉案金额合计达到报警门槛。",
    ),
    (
        "ban",
        "second_strike",
        "Two or more strikes: distinct confirmed cases, from any members.",
        "两次及以上确认记录：封禁。",
    ),
    ("ban", "tier_2_listing", "A strike listed at tier 2 (already a second offence).", "有一次二级确认记录：封禁。"),
    (
        "warn_and_freeze",
        "first_strike",
        "One strike, listed less than freeze_days ago: warn and freeze complaint rights until listed_at + freeze_days.",
        "首次确认记录：警告，并自记录列入之日起冻结投诉权 freeze_days 天。",
    ),
    (
        "review",
        "first_strike_freeze_served",
        "One strike whose freeze has ended: the warning was given, no new freeze; a person reviews the complaint.",
        "首次确认记录的冻结期已满：不再重新冻结，投诉由人工审核。",
    ),
    (
        "review",
        "probation_uncorroborated",
        "No strike, but listings that would be strikes come only from members on probation, neither corroborated "
        "by another member nor confirmed by a reviewer: a person reviews the complaint.",
        "无确认记录；达到确认强度的记录仅来自试用期成员，且未经其他成员印证或审核员确认：投诉由人工审核。",
    ),
    (
        "review",
        "weak_or_contested_match",
        "No strike, confidence at least review_threshold.",
        "无确认记录，但匹配置信度达到人工审核门槛。",
    ),
    (
        "accept",
        "below_review_threshold",
        "Some match, below review_threshold.",
        "有匹配但置信度低于审核门槛：正常受理。",
    ),
    ("accept", "no_match", "Nothing matches.", "无匹配：正常受理。"),
    # Applied over the rules above (``protective/ladder.py``), not by ``recommend``:
    (
        "review",
        "protective_registration",
        "The identifier is registered as an identity-theft victim's: never more than review on it alone.",
        "该标识已登记为身份被冒用的受害人：仅凭该标识最多建议人工审核。",
    ),
)


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


def recommend(
    ladder: Ladder, strikes: list[Strike], confidence: float, now: datetime, provisional_strikes: int = 0
) -> Recommendation:
    """``provisional_strikes``: entries strong enough to be strikes that probation keeps from counting."""
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
        [strike] = strikes
        freeze_until = strike.listed_at + timedelta(days=ladder.freeze_days)
        if now < freeze_until:
            return made("warn_and_freeze", "first_strike", freeze_until)
        return made("review", "first_strike_freeze_served")
    if provisional_strikes:
        return made("review", "probation_uncorroborated")
    if confidence >= ladder.review_threshold:
        return made("review", "weak_or_contested_match")
    return made("accept", "no_match" if confidence == 0 else "below_review_threshold")
