"""The sweep detector on the lookup path: a throttle check before matching, one observation after.

:meth:`SweepDetector.check` costs nothing for a member that is not throttled: it reads this
worker's memory only (members this worker saw throttled, re-read from the store every
``RECHECK_SECONDS`` so a resolved alert lifts the throttle everywhere). :meth:`observe` is one
store round trip (``sweep_store``): it counts the lookup's identifiers and hits and reads back the
windows, the baseline and the throttle. When the rules (``sweeps.judge``) find a sweep, the first
worker to set the throttle raises the ``lookup_sweep`` alert (``on_sweep``, its own transaction);
the lookup that tripped it, and every later one until the throttle ends or an admin resolves the
alert, gets 429 ``lookup_throttled``. A worker that has not yet seen the throttle learns it at its
next observation, which refuses that answer too: no answer leaves once the throttle is set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from ..errors import TooManyRequests
from .sweep_store import SweepStore
from .sweeps import DAY, HOUR, Finding, SweepRules, judge, sliding

RECHECK_SECONDS = 5.0


class SweepDetector:
    def __init__(
        self, store: SweepStore, rules: SweepRules, on_sweep: Callable[[str, Finding, datetime], None]
    ) -> None:
        self.store, self.rules, self.on_sweep = store, rules, on_sweep
        #: member -> (throttled until, last read from the store), both epoch seconds.
        self._throttled: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, member_id: str, now: datetime) -> None:
        """Before matching: refuse a member this worker knows to be throttled."""
        known = self._throttled.get(member_id)
        if known is None:
            return
        at = now.timestamp()
        until, read_at = known
        if at - read_at >= RECHECK_SECONDS or at >= until:
            seconds = self.store.throttled_for(member_id)
            if not seconds:
                self._forget(member_id)
                return
            until = self._remember(member_id, at, seconds)
        raise _throttled(int(until - at) + 1)

    def observe(self, member_id: str, identifiers: int, hits: int, now: datetime) -> None:
        """After matching: count the lookup; on a sweep (or a throttle set elsewhere), refuse its answer."""
        at = now.timestamp()
        counts = self.store.add(member_id, identifiers, hits, at)
        if counts.throttled_for:
            self._remember(member_id, at, counts.throttled_for)
            raise _throttled(counts.throttled_for)
        finding = judge(
            self.rules,
            sliding(counts.hour, at % HOUR, HOUR),
            sliding(counts.day, at % DAY, DAY),
            counts.baseline_hourly,
        )
        if finding is None:
            return
        if self.store.throttle(member_id, self.rules.throttle_seconds):  # first to see it: one alert
            try:
                self.on_sweep(member_id, finding, now)
            except BaseException:
                self.store.clear(member_id)  # no alert, no throttle: the next lookup tries again
                raise
        self._remember(member_id, at, self.rules.throttle_seconds)
        raise _throttled(self.rules.throttle_seconds)

    def lift(self, member_id: str) -> None:
        """An admin resolved the member's sweep alert: end its throttle and forget its counts."""
        self.store.clear(member_id)
        self._forget(member_id)

    def _remember(self, member_id: str, at: float, seconds: int) -> float:
        with self._lock:
            self._throttled[member_id] = (at + seconds, at)
        return at + seconds

    def _forget(self, member_id: str) -> None:
        with self._lock:
            self._throttled.pop(member_id, None)

    def reset(self) -> None:
        """Forget every member (tests: one app serves the whole session)."""
        with self._lock:
            self._throttled.clear()
        reset = getattr(self.store, "reset", None)
        if reset is not None:
            reset()


def _throttled(seconds: int) -> TooManyRequests:
    return TooManyRequests(
        "Lookups from your member are paused: its recent lookups look like a sweep of identifiers. "
        "An administrator has been alerted and can lift the pause.",
        code="lookup_throttled",
        headers={"Retry-After": str(max(int(seconds), 1))},
    )
