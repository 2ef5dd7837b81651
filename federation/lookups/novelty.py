"""What a lookup tells the sweep detector: the identifiers and hits that are *new* for the member.

Counting every identifier and every hit as sent lets a sweep hide its misses: pad each batch with
a few hashes known to be listed (the same ones every time, or the sweeper's own listings) and the
hit ratio stays above any threshold while thousands of fresh phone hashes are tested
(``tests/attacks/test_sweep_evasion.py``). So the detector is fed

* identifiers: distinct identifiers this member has not looked up in the last day, and
* hits: those of them that matched an entry listed by *another* member (a member's own listings
  tell it nothing it did not know).

A sweep is then what it really is, many new identifiers and almost no new knowledge, whatever
padding it carries; and a member re-checking the same customers (the bench's replayed bodies,
a complaint checked at intake and again at refund) adds nothing either way.

Per worker, in memory: a bounded, insertion-ordered set of 8-byte key prefixes per member (the
server's peppered stored hashes, never sent anywhere). With W workers a repeat may count once per
worker, at most W times; past ``per_member`` keys the oldest are forgotten, so a very busy member's
old repeats count again, hits and misses alike. No Flask, no database.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Fresh:
    identifiers: int
    hits: int


class Novelty:
    def __init__(self, per_member: int = 50_000, ttl: float = DAY) -> None:
        self.per_member, self.ttl = per_member, ttl
        #: member -> {key: time first seen}, oldest first (a dict keeps insertion order).
        self._seen: dict[str, dict[bytes, float]] = {}
        self._lock = threading.Lock()

    def fresh(self, member_id: str, identifiers: Sequence[bytes], hits: Sequence[bytes], now: float) -> Fresh:
        """Count ``identifiers`` (one stored hash each) and ``hits`` (a subset) not seen in the last ``ttl``."""
        # Byte slices, not ints (a 1,000-identifier batch costs ~0.1 ms), in the order sent: the oldest go first.
        keys = dict.fromkeys(value[:8] for value in identifiers)
        with self._lock:
            seen = self._seen.setdefault(member_id, {})
            horizon = now - self.ttl
            while seen and next(iter(seen.values())) <= horizon:
                del seen[next(iter(seen))]
            new = [key for key in keys if key not in seen]
            seen.update(dict.fromkeys(new, now))
            excess = len(seen) - self.per_member
            if excess > 0:
                for key in list(itertools.islice(seen, excess)):
                    del seen[key]
        return Fresh(len(new), len(set(new).intersection(value[:8] for value in hits)) if hits else 0)

    def forget(self, member_id: str) -> None:
        """An admin lifted a sweep's throttle: the member starts afresh."""
        with self._lock:
            self._seen.pop(member_id, None)

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()
