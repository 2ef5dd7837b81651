"""``novelty.Novelty``: the sweep detector counts what is new to the member, not what was sent."""

from __future__ import annotations

import hashlib

from federation.lookups.novelty import DAY, Novelty


def key(n: int) -> bytes:
    return hashlib.sha256(str(n).encode()).digest()


def test_an_identifier_repeated_in_one_lookup_counts_once():
    fresh = Novelty().fresh("m", [key(1)] * 1000 + [key(2)], [key(1)] * 1000, now=0.0)
    assert (fresh.identifiers, fresh.hits) == (2, 1)


def test_a_repeat_within_a_day_counts_nothing_and_after_a_day_counts_again():
    novelty = Novelty()
    first = novelty.fresh("m", [key(1), key(2)], [key(1)], now=0.0)
    assert (first.identifiers, first.hits) == (2, 1)
    assert novelty.fresh("m", [key(1), key(2)], [key(1)], now=10.0).identifiers == 0
    again = novelty.fresh("m", [key(1)], [key(1)], now=DAY + 1)
    assert (again.identifiers, again.hits) == (1, 1)


def test_members_are_counted_apart():
    novelty = Novelty()
    novelty.fresh("a", [key(1)], [key(1)], now=0.0)
    assert novelty.fresh("b", [key(1)], [key(1)], now=0.0).identifiers == 1


def test_past_the_bound_the_oldest_are_forgotten():
    novelty = Novelty(per_member=3)
    novelty.fresh("m", [key(n) for n in range(5)], [], now=0.0)
    assert novelty.fresh("m", [key(0), key(4)], [], now=1.0).identifiers == 1  # 0 forgotten, 4 remembered


def test_a_hit_already_seen_as_a_miss_is_not_new():
    """A hit only counts with its identifier's first sighting: a listing made since is no fresh news."""
    novelty = Novelty()
    novelty.fresh("m", [key(1)], [], now=0.0)
    assert novelty.fresh("m", [key(1)], [key(1)], now=1.0).hits == 0
