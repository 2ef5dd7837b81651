"""Daily lookup budgets and bursts: how many identifiers a member may look up, and the counter that holds it.

A keyed hash of a phone number is still personal data: a member that can test
hashes freely can turn the list back into phone numbers (issue 13 measured
20,000 hashes in 0.6 s). So every member has a budget, counted in identifiers
(a 1,000-identifier batch costs 1,000), and there is no unlimited default:

    daily = override                                   when an admin set one (``Member.daily_lookup_quota``)
          = max(floor, ceil(multiplier x declared))    otherwise (``Member.declared_daily_lookups``, or 0)
    burst = min(daily, max(floor_burst, 1000, ceil(share x daily)))     identifiers per minute

with ``floor = LOOKUP_BUDGET_FLOOR`` (2,000), ``multiplier = LOOKUP_BUDGET_MULTIPLIER`` (2),
``floor_burst = LOOKUP_BURST_FLOOR`` (1,000), ``share = LOOKUP_BURST_SHARE`` (0.05). The
burst never falls below one full batch, or a member could never send one.

Both counters are fixed windows: the UTC day and the UTC minute. A charge is
all or nothing: a refused request costs nothing, and concurrent requests can
never take the budget over its limit. In memory (one worker, no Redis) the
charge is checked and counted under a lock (:class:`MemoryCounter`). With
Redis every worker shares the counters, but does not pay a round trip per
lookup: it *leases* a block of allowance (``lease_size``) that a Lua script
reserves on both counters at once, and spends it locally
(``budget_redis.RedisCounter``): a lease is reserved before it is used, so
the limits are never exceeded; an unused one can only refuse a member early.

No Flask here; the Redis client is passed in.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ..errors import TooManyRequests
from .requests import MAX_IDENTIFIERS

logger = logging.getLogger(__name__)

DAY_SECONDS = 86400
MINUTE_SECONDS = 60


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    floor: int = 2000
    multiplier: float = 2.0
    burst_floor: int = 1000
    burst_share: float = 0.05
    #: A worker leases this share of the burst from Redis at a time (``budget_redis``), at most ``lease_max``.
    lease_share: float = 0.05
    lease_max: int = 10_000

    @classmethod
    def from_config(cls, config: Any) -> BudgetPolicy:
        return cls(
            floor=int(config["LOOKUP_BUDGET_FLOOR"]),
            multiplier=float(config["LOOKUP_BUDGET_MULTIPLIER"]),
            burst_floor=int(config["LOOKUP_BURST_FLOOR"]),
            burst_share=float(config["LOOKUP_BURST_SHARE"]),
            lease_share=float(config["LOOKUP_BUDGET_LEASE_SHARE"]),
            lease_max=int(config["LOOKUP_BUDGET_LEASE_MAX"]),
        )

    def allowance(self, declared: int | None, override: int | None) -> Allowance:
        """A member's daily budget and burst, from its declared volume or an admin's override."""
        daily = override if override is not None else max(self.floor, math.ceil(self.multiplier * (declared or 0)))
        burst = min(daily, max(self.burst_floor, MAX_IDENTIFIERS, math.ceil(self.burst_share * daily)))
        return Allowance(daily=daily, burst=burst, overridden=override is not None)


@dataclass(frozen=True, slots=True)
class Allowance:
    daily: int
    burst: int
    overridden: bool = False


@dataclass(frozen=True, slots=True)
class Usage:
    today: int
    this_minute: int


def windows(now: datetime) -> tuple[str, str, int, int]:
    """The day and minute window names for ``now``, and the seconds left in each."""
    stamp = int(now.timestamp())
    return (
        now.astimezone(UTC).strftime("%Y%m%d"),
        str(stamp // MINUTE_SECONDS),
        DAY_SECONDS - stamp % DAY_SECONDS,
        MINUTE_SECONDS - stamp % MINUTE_SECONDS,
    )


def refusal(allowance: Allowance, cost: int, used: Usage, now: datetime) -> TooManyRequests | None:
    """Why a charge of ``cost`` on top of ``used`` does not fit, or None when it does."""
    _, _, to_midnight, to_next_minute = windows(now)
    if used.today + cost > allowance.daily:
        return TooManyRequests(
            f"Daily lookup budget of {allowance.daily} identifiers reached ({used.today} used today, "
            f"{cost} asked); it resets at 00:00 UTC.",
            code="quota_exceeded",
            headers=_refusal_headers(allowance.daily, used.today, to_midnight),
        )
    if used.this_minute + cost > allowance.burst:
        return TooManyRequests(
            f"Burst limit of {allowance.burst} identifiers per minute reached ({used.this_minute} used this "
            f"minute, {cost} asked).",
            code="burst_exceeded",
            headers=_refusal_headers(allowance.burst, used.this_minute, to_next_minute),
        )
    return None


def _refusal_headers(limit: int, used: int, reset: int) -> dict[str, str]:
    """A refusal names the limit it hit in the same ``RateLimit-*`` headers flask-limiter's 429s carry."""
    return {"Retry-After": str(reset), **_limit_headers(limit, used, reset)}


def _limit_headers(limit: int, used: int, reset: int) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(max(0, limit - used)),
        "RateLimit-Reset": str(reset),
    }


class BudgetCounter(Protocol):
    def charge(self, member_id: str, cost: int, allowance: Allowance, now: datetime) -> Usage: ...

    def usage(self, member_id: str, now: datetime) -> Usage: ...

    def reset(self) -> None: ...


class MemoryCounter:
    """Per process: the counter without Redis (one worker), and the fallback when Redis is down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = {}

    def charge(self, member_id: str, cost: int, allowance: Allowance, now: datetime) -> Usage:
        day, minute, _, _ = windows(now)
        with self._lock:
            used = Usage(self._counts.get((member_id, day), 0), self._counts.get((member_id, minute), 0))
            refused = refusal(allowance, cost, used, now)
            if refused is not None:
                raise refused
            if len(self._counts) > 100_000:  # old windows: keep only the current ones
                self._counts = {k: v for k, v in self._counts.items() if k[1] in (day, minute)}
            self._counts[(member_id, day)] = used.today + cost
            self._counts[(member_id, minute)] = used.this_minute + cost
            return Usage(used.today + cost, used.this_minute + cost)

    def usage(self, member_id: str, now: datetime) -> Usage:
        day, minute, _, _ = windows(now)
        with self._lock:
            return Usage(self._counts.get((member_id, day), 0), self._counts.get((member_id, minute), 0))

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


@dataclass(frozen=True, slots=True)
class LookupBudget:
    """The policy and its counter: what ``lookups.service`` charges before it matches."""

    policy: BudgetPolicy
    counter: BudgetCounter

    def charge(self, member_id: str, cost: int, allowance: Allowance, now: datetime) -> Usage:
        """Count ``cost`` identifiers, or raise 429 (``quota_exceeded``/``burst_exceeded``) charging nothing."""
        try:
            return self.counter.charge(member_id, cost, allowance, now)
        except TooManyRequests as refused:
            logger.info("lookup of %d identifiers by %s refused: %s", cost, member_id, refused.code)
            raise


def lease_size(burst: int, cost: int, share: float, largest: int) -> int:
    """How many identifiers a worker asks Redis for when its lease runs out: ``clamp(ceil(share x burst), cost,
    largest)``.

    One round trip then serves ``lease / cost`` lookups instead of one. Sized from the burst so a small member's
    limits stay tight: what other workers hold unused can refuse it early, never let it over (``budget_redis``).
    ``largest = 0`` (or ``share = 0``) leases exactly the cost: a round trip per lookup, as before leasing.
    """
    return max(cost, min(math.ceil(share * burst), largest))


def rate_limit_headers(allowance: Allowance, used: Usage, now: datetime) -> dict[str, str]:
    """``RateLimit-*`` of a lookup: the burst, in identifiers per minute (flask-limiter leaves lookups to
    the budget, whose lease spares the hot path a Redis round trip, where flask-limiter would take three)."""
    return _limit_headers(allowance.burst, used.this_minute, windows(now)[3])


def standing(budget: LookupBudget, member_id: str, declared: int | None, override: int | None, now: datetime) -> dict:
    """A member's budget, burst and use so far, as ``GET /v1/members/me`` shows them."""
    allowance = budget.policy.allowance(declared, override)
    used = budget.counter.usage(member_id, now)
    _, _, to_midnight, _ = windows(now)
    return {
        "daily": allowance.daily,
        "burst_per_minute": allowance.burst,
        "overridden": allowance.overridden,
        "used_today": used.today,
        "used_this_minute": used.this_minute,
        "resets_at": (now + timedelta(seconds=to_midnight)).replace(microsecond=0),
    }


def budget_for(config: Any, redis_client: Any = None) -> LookupBudget:
    policy = BudgetPolicy.from_config(config)
    if redis_client is None:
        return LookupBudget(policy, MemoryCounter())
    from .budget_redis import RedisCounter  # it builds on this module's rules

    prefix = str(config.get("RATE_LIMIT_KEY_PREFIX") or "federation")
    return LookupBudget(policy, RedisCounter(redis_client, prefix, policy.lease_share, policy.lease_max))
