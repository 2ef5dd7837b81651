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
all or nothing and atomic: on Redis one Lua script reads both counters and
increments both only when the whole request fits (one round trip, shared by
every worker); in memory the same under a lock. A refused request therefore
costs nothing, and concurrent requests can never take the budget over its
limit. When Redis does not answer the counter falls back to this worker's
memory with a logged warning (the budget is then enforced per worker, so at
most ``workers x`` the budget), and tries Redis again after
``RETRY_REDIS_SECONDS``: a Redis outage neither stops lookups nor unlimits them.

No Flask here; the Redis client is passed in.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ..errors import TooManyRequests
from .requests import MAX_IDENTIFIERS

logger = logging.getLogger(__name__)

DAY_SECONDS = 86400
MINUTE_SECONDS = 60
RETRY_REDIS_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    floor: int = 2000
    multiplier: float = 2.0
    burst_floor: int = 1000
    burst_share: float = 0.05

    @classmethod
    def from_config(cls, config: Any) -> BudgetPolicy:
        return cls(
            floor=int(config["LOOKUP_BUDGET_FLOOR"]),
            multiplier=float(config["LOOKUP_BUDGET_MULTIPLIER"]),
            burst_floor=int(config["LOOKUP_BURST_FLOOR"]),
            burst_share=float(config["LOOKUP_BURST_SHARE"]),
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
    return {
        "Retry-After": str(reset),
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


#: KEYS: day counter, minute counter. ARGV: cost, daily budget, burst, day TTL, minute TTL.
#: Returns {fits (1) or not (0), used today, used this minute} (after the charge when it fits).
_CHARGE = """
local day = tonumber(redis.call('GET', KEYS[1]) or '0')
local minute = tonumber(redis.call('GET', KEYS[2]) or '0')
local cost = tonumber(ARGV[1])
if day + cost > tonumber(ARGV[2]) or minute + cost > tonumber(ARGV[3]) then
  return {0, day, minute}
end
redis.call('INCRBY', KEYS[1], cost)
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('INCRBY', KEYS[2], cost)
redis.call('EXPIRE', KEYS[2], ARGV[5])
return {1, day + cost, minute + cost}
"""


class RedisCounter:
    """Shared by every worker: one Lua script per charge; this worker's memory while Redis is down."""

    def __init__(self, client: Any, prefix: str) -> None:
        import redis.exceptions

        self.client = client
        self.prefix = f"{prefix}:lookup-budget"
        self.fallback = MemoryCounter()
        # EVALSHA by hand: redis-py's Script object costs a third more CPU per call (measured: 71 against
        # 105 microseconds), and this runs once per lookup.
        self._sha = hashlib.sha1(_CHARGE.encode(), usedforsecurity=False).hexdigest()
        self._no_script = redis.exceptions.NoScriptError
        self._errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self._down_until = 0.0

    def _keys(self, member_id: str, now: datetime) -> list[str]:
        day, minute, _, _ = windows(now)
        return [f"{self.prefix}:{member_id}:d:{day}", f"{self.prefix}:{member_id}:m:{minute}"]

    def _redis_down(self, error: Exception) -> None:
        if self._down_until == 0.0 or time.monotonic() >= self._down_until:
            logger.warning("lookup budgets: Redis unavailable (%s); counting in this worker", type(error).__name__)
        self._down_until = time.monotonic() + RETRY_REDIS_SECONDS

    def charge(self, member_id: str, cost: int, allowance: Allowance, now: datetime) -> Usage:
        if time.monotonic() < self._down_until:
            return self.fallback.charge(member_id, cost, allowance, now)
        _, _, to_midnight, to_next_minute = windows(now)
        call = (
            2,
            *self._keys(member_id, now),
            cost,
            allowance.daily,
            allowance.burst,
            to_midnight + 60,
            to_next_minute + 60,
        )
        try:
            try:
                fits, today, minute = self.client.evalsha(self._sha, *call)
            except self._no_script:  # a restarted or flushed Redis: load it once more
                self.client.script_load(_CHARGE)
                fits, today, minute = self.client.evalsha(self._sha, *call)
        except self._errors as error:
            self._redis_down(error)
            return self.fallback.charge(member_id, cost, allowance, now)
        self._down_until = 0.0
        used = Usage(int(today), int(minute))
        if not fits:
            raise refusal(allowance, cost, used, now) or TooManyRequests(code="quota_exceeded")
        return used

    def usage(self, member_id: str, now: datetime) -> Usage:
        try:
            today, minute = self.client.mget(self._keys(member_id, now))
        except self._errors as error:
            self._redis_down(error)
            return self.fallback.usage(member_id, now)
        return Usage(int(today or 0), int(minute or 0))

    def reset(self) -> None:
        """Forget every count under this prefix (tests)."""
        self.fallback.reset()
        for key in self.client.scan_iter(f"{self.prefix}:*", count=1000):
            self.client.delete(key)


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


def rate_limit_headers(allowance: Allowance, used: Usage, now: datetime) -> dict[str, str]:
    """``RateLimit-*`` of a lookup: the burst, in identifiers per minute (flask-limiter leaves lookups to
    the budget, so the hot path makes one Redis round trip instead of four)."""
    return {
        "RateLimit-Limit": str(allowance.burst),
        "RateLimit-Remaining": str(max(0, allowance.burst - used.this_minute)),
        "RateLimit-Reset": str(windows(now)[3]),
    }


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


def redis_for(config: Any) -> Any:
    """A Redis client for ``REDIS_URL`` with short timeouts (a dead Redis costs a second, then memory), or None."""
    if not config.get("REDIS_URL"):
        return None
    import redis

    return redis.Redis.from_url(config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1)


def budget_for(config: Any, redis_client: Any = None) -> LookupBudget:
    prefix = str(config.get("RATE_LIMIT_KEY_PREFIX") or "federation")
    counter: BudgetCounter = RedisCounter(redis_client, prefix) if redis_client is not None else MemoryCounter()
    return LookupBudget(BudgetPolicy.from_config(config), counter)
