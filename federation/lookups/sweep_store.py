"""Shared short-lived counters for the sweep detector: Redis when configured, else this process's memory.

Per member: identifiers and hits per hour bucket and per day bucket (the rules read this bucket
and the last, ``sweeps.sliding``), its throttle (a key with a time to live) and its baseline
(written by ``federation tick``). :meth:`add` is the only call on a lookup's normal path, and is
one Redis round trip (a pipeline): it counts and reads back everything the rules need, the
throttle included. Keys carry counts only, never a hash.

Without Redis each worker counts its own share (as flask-limiter's memory storage does): run
production with ``FEDERATION_REDIS_URL`` so every worker sees the same counts, throttle and
baselines (and so the CLI's ``federation alerts resolve`` reaches the servers).

When Redis does not answer (short timeouts), :class:`FailoverSweepStore` counts in this worker's
memory and tries Redis again after ``RETRY_REDIS_SECONDS``, with one logged warning: lookups go on
being answered and watched, never failed for it (``tests/attacks/test_redis_down.py``), as the
lookup budget does (``budget_redis.py``).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from .sweeps import DAY, HOUR, Buckets

logger = logging.getLogger(__name__)
RETRY_REDIS_SECONDS = 5.0

#: Time to live of the keys: a bucket is read for two of its lengths; a baseline outlives a missed tick.
_HOUR_TTL, _DAY_TTL, _BASELINE_TTL = 2 * HOUR + 60, 2 * DAY + 60, 3 * DAY


@dataclass(frozen=True, slots=True)
class Counts:
    hour: Buckets
    day: Buckets
    #: Seconds the member stays throttled; 0: not throttled.
    throttled_for: int
    baseline_hourly: float | None


class SweepStore(Protocol):
    def add(self, member_id: str, identifiers: int, hits: int, now: float) -> Counts: ...
    def throttle(self, member_id: str, seconds: int) -> bool: ...
    def throttled_for(self, member_id: str) -> int: ...
    def clear(self, member_id: str) -> None: ...
    def set_baselines(self, baselines: dict[str, float]) -> None: ...


def _keys(prefix: str, member_id: str, now: float) -> dict[str, str]:
    base = f"{prefix}{member_id}:"
    hour, day = int(now // HOUR), int(now // DAY)
    return {
        "hour": f"{base}h:{hour}",
        "last_hour": f"{base}h:{hour - 1}",
        "day": f"{base}d:{day}",
        "last_day": f"{base}d:{day - 1}",
        "throttle": f"{base}throttle",
        "baseline": f"{base}baseline",
    }


def _pair(values: list[Any]) -> tuple[int, int]:
    return int(values[0] or 0), int(values[1] or 0)


class RedisSweepStore:
    def __init__(self, client: Any, prefix: str) -> None:
        self.client, self.prefix = client, prefix

    def add(self, member_id: str, identifiers: int, hits: int, now: float) -> Counts:
        keys = _keys(self.prefix, member_id, now)
        pipe = self.client.pipeline(transaction=False)
        for bucket, ttl in (("hour", _HOUR_TTL), ("day", _DAY_TTL)):
            pipe.hincrby(keys[bucket], "n", identifiers)
            pipe.hincrby(keys[bucket], "h", hits)
            pipe.expire(keys[bucket], ttl)
        pipe.hmget(keys["last_hour"], "n", "h")
        pipe.hmget(keys["last_day"], "n", "h")
        pipe.ttl(keys["throttle"])
        pipe.get(keys["baseline"])
        hn, hh, _, dn, dh, _, last_hour, last_day, ttl, baseline = pipe.execute()
        return Counts(
            hour=Buckets((int(hn), int(hh)), _pair(last_hour)),
            day=Buckets((int(dn), int(dh)), _pair(last_day)),
            throttled_for=max(int(ttl), 0),
            baseline_hourly=float(baseline) if baseline is not None else None,
        )

    def throttle(self, member_id: str, seconds: int) -> bool:
        return bool(self.client.set(f"{self.prefix}{member_id}:throttle", b"1", nx=True, ex=seconds))

    def throttled_for(self, member_id: str) -> int:
        return max(int(self.client.ttl(f"{self.prefix}{member_id}:throttle")), 0)

    def clear(self, member_id: str) -> None:
        """Lift the throttle and forget the counts: the member starts afresh."""
        keys = list(self.client.scan_iter(f"{self.prefix}{member_id}:[hdt]*", count=100))
        keys = [key for key in keys if not key.endswith(b":baseline")]
        if keys:
            self.client.delete(*keys)

    def set_baselines(self, baselines: dict[str, float]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for member_id, hourly in baselines.items():
            pipe.set(f"{self.prefix}{member_id}:baseline", repr(float(hourly)), ex=_BASELINE_TTL)
        pipe.execute()


class MemorySweepStore:
    """The same, in this process (one lock; entries expire lazily)."""

    #: Expired entries are swept out every this many counts, so old buckets do not pile up.
    PRUNE_EVERY = 10_000

    def __init__(self, clock: Any = time.time) -> None:
        self._values: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._adds = 0

    def _get(self, key: str, default: Any = None) -> Any:
        found = self._values.get(key)
        if found is None or found[0] <= self._clock():
            return default
        return found[1]

    def add(self, member_id: str, identifiers: int, hits: int, now: float) -> Counts:
        keys = _keys("", member_id, now)
        with self._lock:
            self._adds += 1
            if self._adds % self.PRUNE_EVERY == 0:
                clock = self._clock()
                self._values = {key: found for key, found in self._values.items() if found[0] > clock}
            for bucket, ttl in (("hour", _HOUR_TTL), ("day", _DAY_TTL)):
                n, h = self._get(keys[bucket], (0, 0))
                self._values[keys[bucket]] = (self._clock() + ttl, (n + identifiers, h + hits))
            throttled = self._get(keys["throttle"])
            return Counts(
                hour=Buckets(self._get(keys["hour"]), self._get(keys["last_hour"], (0, 0))),
                day=Buckets(self._get(keys["day"]), self._get(keys["last_day"], (0, 0))),
                throttled_for=max(int(throttled - self._clock()), 1) if throttled else 0,
                baseline_hourly=self._get(keys["baseline"]),
            )

    def throttle(self, member_id: str, seconds: int) -> bool:
        key = f"{member_id}:throttle"
        with self._lock:
            if self._get(key) is not None:
                return False
            until = self._clock() + seconds
            self._values[key] = (until, until)
            return True

    def throttled_for(self, member_id: str) -> int:
        until = self._get(f"{member_id}:throttle")
        return max(int(until - self._clock()), 1) if until else 0

    def clear(self, member_id: str) -> None:
        with self._lock:
            for key in [k for k in self._values if k.startswith(f"{member_id}:") and not k.endswith(":baseline")]:
                del self._values[key]

    def set_baselines(self, baselines: dict[str, float]) -> None:
        with self._lock:
            for member_id, hourly in baselines.items():
                self._values[f"{member_id}:baseline"] = (self._clock() + _BASELINE_TTL, float(hourly))

    def reset(self) -> None:
        """Forget everything (tests: one app serves the whole session)."""
        with self._lock:
            self._values.clear()


class FailoverSweepStore:
    """Redis while it answers; this worker's memory while it does not."""

    def __init__(self, primary: RedisSweepStore, fallback: MemorySweepStore | None = None) -> None:
        import redis.exceptions

        self.primary, self.fallback = primary, fallback or MemorySweepStore()
        self._errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self._down_until = 0.0

    def _call(self, name: str, *args: Any) -> Any:
        if time.monotonic() < self._down_until:
            return getattr(self.fallback, name)(*args)
        try:
            return getattr(self.primary, name)(*args)
        except self._errors as error:
            if self._down_until == 0.0 or time.monotonic() >= self._down_until:
                logger.warning("sweep detector: Redis unavailable (%s); counting in this worker", type(error).__name__)
            self._down_until = time.monotonic() + RETRY_REDIS_SECONDS
            return getattr(self.fallback, name)(*args)

    def add(self, member_id: str, identifiers: int, hits: int, now: float) -> Counts:
        return self._call("add", member_id, identifiers, hits, now)

    def throttle(self, member_id: str, seconds: int) -> bool:
        return self._call("throttle", member_id, seconds)

    def throttled_for(self, member_id: str) -> int:
        return self._call("throttled_for", member_id)

    def clear(self, member_id: str) -> None:
        self.fallback.clear(member_id)
        self._call("clear", member_id)

    def set_baselines(self, baselines: dict[str, float]) -> None:
        self.fallback.set_baselines(baselines)
        self._call("set_baselines", baselines)

    def reset(self) -> None:
        self.fallback.reset()
        reset = getattr(self.primary, "reset", None)
        if reset is not None:
            reset()


def store_for(config: Any) -> SweepStore:
    """Redis at ``REDIS_URL`` (with ``SWEEP_KEY_PREFIX``, memory while it is down), else memory."""
    from ..config import redis_for

    client = redis_for(config)
    if client is not None:
        return FailoverSweepStore(RedisSweepStore(client, config["SWEEP_KEY_PREFIX"]))
    return MemorySweepStore()
