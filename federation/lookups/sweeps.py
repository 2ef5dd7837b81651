"""The sweep detector's rules: when a member's lookups look like someone testing hashes against the list.

A keyed hash of a phone number is still the phone number to whoever can test hashes: a member
that sends random phone hashes recovers every listed number in the range it sweeps. A sweep has
a signature real traffic lacks. Random identifiers are almost never listed: a sweep's hit ratio is
close to 0 (the list covers a tiny share of the number space), while complaint intake looks up
people who complained (the bench's single lookups: 50 % hits) and order screening of a platform's
own customers finds a few percent (the bench's 1,000-identifier batches: 5 %). So:

(a) **miss ratio**: once a member has looked up at least ``min_identifiers`` identifiers in a
    window (the last hour, or the last day), a hit ratio below ``min_hit_ratio`` is a sweep.
    With the defaults (2,000 and 1 %) a random sweep is stopped at its 2,000th identifier when
    sent as 1,000-identifier batches or through one worker, and within :func:`sweep_bound` when
    sent one at a time through several (2,248 answered with two); the bench's traffic is 5 to 50
    times above the ratio.
(b) **volume against its own history**: more identifiers in the last hour than
    ``max(volume_floor, volume_factor x baseline)``, where ``baseline`` is the member's usual
    hourly volume (busiest day of its last 30 days / 24, ``federation tick``), at a hit ratio below
    ``volume_hit_ratio`` (2 %), is a sweep: a denser sweep (of a leaked range, say) that clears
    rule (a) but not a real member's ratio.

Windows slide: each is estimated from two fixed buckets (this one and the last, the last
weighted by how much of it is still inside the window), as sliding-window rate limiters do; a
sweep cannot hide by straddling a bucket boundary. Plain functions: no Flask, no storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

HOUR, DAY = 3600, 86400


@dataclass(frozen=True, slots=True)
class SweepRules:
    min_identifiers: int = 2000
    min_hit_ratio: float = 0.01
    volume_floor: int = 5000
    volume_factor: float = 10.0
    volume_hit_ratio: float = 0.02
    #: How long a detected sweep throttles the member, unless an admin resolves the alert first.
    throttle_seconds: int = 86400

    @classmethod
    def from_config(cls, config: Any) -> SweepRules:
        return cls(
            min_identifiers=int(config["SWEEP_MIN_IDENTIFIERS"]),
            min_hit_ratio=float(config["SWEEP_MIN_HIT_RATIO"]),
            volume_floor=int(config["SWEEP_VOLUME_FLOOR"]),
            volume_factor=float(config["SWEEP_VOLUME_FACTOR"]),
            volume_hit_ratio=float(config["SWEEP_VOLUME_HIT_RATIO"]),
            throttle_seconds=int(config["SWEEP_THROTTLE_SECONDS"]),
        )


@dataclass(frozen=True, slots=True)
class Window:
    """Identifiers looked up and how many of them matched, over one sliding window."""

    identifiers: float
    hits: float

    @property
    def hit_ratio(self) -> float:
        return self.hits / self.identifiers if self.identifiers else 1.0


@dataclass(frozen=True, slots=True)
class Buckets:
    """Raw counts of one window's current and previous bucket, as the store keeps them."""

    current: tuple[int, int]
    previous: tuple[int, int]


def sliding(buckets: Buckets, elapsed: float, size: int) -> Window:
    """The window ending now: this bucket, plus the part of the last one still inside it.

    ``elapsed``: seconds since this bucket began (0 <= elapsed < size).
    """
    still_inside = 1.0 - min(max(elapsed / size, 0.0), 1.0)
    (n, h), (pn, ph) = buckets.current, buckets.previous
    return Window(identifiers=n + pn * still_inside, hits=h + ph * still_inside)


@dataclass(frozen=True, slots=True)
class Finding:
    """Why a member's traffic is a sweep: the rule, the window, its figures and the thresholds."""

    rule: str  # miss_ratio | volume
    window: str  # hour | day
    identifiers: int
    hits: int
    threshold: dict[str, float]

    def details(self) -> dict[str, Any]:
        """What an alert shows admins: counts and thresholds, never a hash."""
        return {
            "rule": self.rule,
            "window": self.window,
            "identifiers": self.identifiers,
            "hits": self.hits,
            "hit_ratio": round(self.hits / self.identifiers, 6) if self.identifiers else None,
            **self.threshold,
        }


def judge(rules: SweepRules, hour: Window, day: Window, baseline_hourly: float | None) -> Finding | None:
    """The first rule the member's recent traffic breaks, or ``None``."""
    for name, window in (("hour", hour), ("day", day)):
        if window.identifiers >= rules.min_identifiers and window.hit_ratio < rules.min_hit_ratio:
            return Finding(
                "miss_ratio",
                name,
                int(window.identifiers),
                int(window.hits),
                {"min_identifiers": rules.min_identifiers, "min_hit_ratio": rules.min_hit_ratio},
            )
    ceiling = volume_ceiling(rules, baseline_hourly)
    if hour.identifiers > ceiling and hour.hit_ratio < rules.volume_hit_ratio:
        return Finding(
            "volume",
            "hour",
            int(hour.identifiers),
            int(hour.hits),
            {
                "hourly_ceiling": ceiling,
                "baseline_hourly": round(baseline_hourly or 0.0, 1),
                "volume_hit_ratio": rules.volume_hit_ratio,
            },
        )
    return None


def volume_ceiling(rules: SweepRules, baseline_hourly: float | None) -> float:
    """Identifiers per hour a member may send at a low hit ratio: ``max(floor, factor x baseline)``."""
    return max(float(rules.volume_floor), rules.volume_factor * (baseline_hourly or 0.0))


def baseline_from_daily(daily_identifiers: list[int], declared_daily: int | None = None) -> float:
    """A member's usual hourly volume: its busiest day (or its declared daily volume, if larger) / 24."""
    busiest = max([*daily_identifiers, declared_daily or 0], default=0)
    return busiest / 24


@dataclass(frozen=True, slots=True)
class FlushRule:
    """When a worker sends its pending counts to the shared store (``sweep_detector``).

    A round trip per lookup was most of the hot path's issue-13 hooks (``bench/hooks.py``: 308 us wall, 259 us
    CPU per lookup with the budget's and the detector's round trips; 19 and 17 us leased and batched); so each
    worker counts in memory and flushes once ``identifiers`` are pending or its last flush is ``seconds`` old.
    It still judges every lookup, on the counts it last read plus its own pending ones, so it stops a
    sweep on its own share without waiting; what it cannot see is the other workers' pending counts,
    each below ``identifiers`` (see :func:`sweep_bound`).
    """

    identifiers: int = 250
    seconds: float = 1.0

    @classmethod
    def from_config(cls, config: Any) -> FlushRule:
        return cls(int(config["SWEEP_FLUSH_IDENTIFIERS"]), float(config["SWEEP_FLUSH_SECONDS"]))

    def due(self, pending: int, since_flush: float) -> bool:
        return pending >= self.identifiers or since_flush >= self.seconds


def advance(buckets: Buckets, read_at: float, at: float, size: int) -> Buckets:
    """Counts read at ``read_at``, as they stand at ``at``: a bucket that ended since is the previous one."""
    then, now = int(read_at // size), int(at // size)
    if now <= then:
        return buckets
    return Buckets((0, 0), buckets.current if now == then + 1 else (0, 0))


def plus(buckets: Buckets, identifiers: int, hits: int) -> Buckets:
    """The buckets with counts not yet in the store added to the current one."""
    n, h = buckets.current
    return Buckets((n + identifiers, h + hits), buckets.previous)


def sweep_bound(rules: SweepRules, flush: FlushRule, workers: int) -> int:
    """The most identifiers of a miss-ratio sweep (within one window) answered before every worker refuses it.

    ``min_identifiers - 1 + (workers - 1) x (flush.identifiers - 1)``. Why: the store's count is exact at a
    flush, except for what other workers hold unflushed. Take the last flush before the sweep is found, with
    the store at S (below ``min_identifiers``, or that flush would have found it): its worker judges on S
    plus its own pending count, so it answers only while they stay below ``min_identifiers``; every other
    worker holds fewer than ``flush.identifiers`` unflushed (a request that reaches it flushes at once), and
    after the throttle is set it learns it at its next flush, which refuses that request. One worker alone
    stops a sweep exactly where the rule says; a batch at least ``flush.identifiers`` long flushes at once,
    so 1,000-identifier batches are stopped at the second whatever the workers. With the defaults (2,000
    and 250): 2,248 for 2 workers, 2,746 for 4, within the 5,000 of issue 13 up to 13 workers.
    """
    return rules.min_identifiers - 1 + max(workers - 1, 0) * max(flush.identifiers - 1, 0)
