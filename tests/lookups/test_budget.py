"""The lookup budget's lease rules and counters, without Flask: in memory and on a real Redis.

The Redis tests use ``limits_redis`` (127.0.0.1:6379, a key prefix of the test's own). The property that
matters: leases are reserved on the shared counters before they are spent, so whatever the workers and
threads, the identifiers granted never exceed the daily budget nor the burst.
"""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest
import redis

from federation.errors import TooManyRequests
from federation.lookups.budget import Allowance, MemoryCounter, lease_size
from federation.lookups.budget_redis import RedisCounter

NOW = datetime(2026, 11, 30, 6, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("burst", "cost", "share", "largest", "size"),
    [
        (1000, 4, 0.05, 10_000, 50),  # the default burst floor: 12 single lookups a lease
        (100_000, 4, 0.05, 10_000, 5000),
        (10_000_000, 4, 0.05, 10_000, 10_000),  # capped
        (1000, 1000, 0.05, 10_000, 1000),  # a batch leases at least its cost
        (60, 4, 0.05, 10_000, 4),  # a small member: a lease is one request, its limits stay exact
        (1000, 4, 0.05, 0, 4),  # leasing off: exactly the cost, a round trip per lookup
        (1000, 4, 0.0, 10_000, 4),
    ],
)
def test_a_lease_is_a_share_of_the_burst_clamped_to_the_cost_and_a_ceiling(burst, cost, share, largest, size):
    assert lease_size(burst, cost, share, largest) == size


class Calls:
    """A Redis client that counts the scripts it ran (the hot path's round trips; a first load is not one)."""

    def __init__(self, client) -> None:
        self.client, self.scripts = client, 0

    def evalsha(self, *args):
        result = self.client.evalsha(*args)
        self.scripts += 1
        return result

    def __getattr__(self, name):
        return getattr(self.client, name)


@pytest.fixture
def shared(limits_redis):
    """Two workers' counters on one Redis (each its own client, as two processes have)."""
    _client, url, prefix = limits_redis
    return [RedisCounter(Calls(redis.Redis.from_url(url)), prefix) for _ in range(2)]


def test_a_worker_goes_to_redis_once_per_lease_not_per_lookup(shared):
    counter = shared[0]
    allowance = Allowance(daily=100_000, burst=1000)  # lease: 50 identifiers
    for _ in range(24):
        counter.charge("m1", 4, allowance, NOW)
    assert counter.client.scripts == 2  # 12 lookups of 4 from each lease of 50 (the 2 left went back)
    assert counter.usage("m1", NOW).today == 96  # what this worker spent: its unspent lease is subtracted
    assert shared[1].usage("m1", NOW).today == 98  # another worker counts this one's lease as used


def test_the_limits_are_never_exceeded_by_two_workers_and_many_threads(shared):
    allowance = Allowance(daily=500, burst=300)  # lease: 15 identifiers
    granted: list[int] = []
    codes: list[str] = []

    def hammer(counter: RedisCounter, minute: int) -> None:
        for _ in range(60):
            try:
                counter.charge("m1", 3, allowance, NOW + timedelta(minutes=minute))
                granted.append((minute, 3))
            except TooManyRequests as refused:
                codes.append(refused.code)

    for minute in range(3):
        threads = [threading.Thread(target=hammer, args=(counter, minute)) for counter in shared for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    per_minute = [sum(cost for m, cost in granted if m == minute) for minute in range(3)]
    assert all(spent <= 300 for spent in per_minute) and sum(per_minute) <= 500  # never over
    assert per_minute[0] >= 300 - 15 - 2  # refused early by at most the other worker's lease (and a remainder)
    assert sum(per_minute) >= 500 - 2 * 15  # unused leases of past minutes went back to the day
    assert {"burst_exceeded", "quota_exceeded"} <= set(codes)


def test_an_unused_lease_goes_back_to_the_day_when_the_minute_changes(shared):
    counter = shared[0]
    allowance = Allowance(daily=100, burst=100)  # lease: 5
    counter.charge("m1", 1, allowance, NOW)  # leases 5, spends 1
    assert counter.client.get(counter._keys("m1", "20261130", str(int(NOW.timestamp()) // 60))[0]) == b"5"
    for n in range(99):  # the next minute: 4 unspent identifiers are given back, the day is not wasted
        counter.charge("m1", 1, allowance, NOW + timedelta(minutes=1, seconds=n % 50))
    with pytest.raises(TooManyRequests) as refused:
        counter.charge("m1", 1, allowance, NOW + timedelta(minutes=1, seconds=55))
    assert refused.value.code == "quota_exceeded" and int(refused.value.headers["Retry-After"]) > 3600
    assert counter.usage("m1", NOW + timedelta(minutes=1)).today == 100


def test_a_refusal_gives_back_the_leftover_and_says_which_limit(shared):
    counter, other = shared
    allowance = Allowance(daily=10_000, burst=1000)  # lease: 50
    counter.charge("m1", 30, allowance, NOW)  # leases 50: 20 left
    with pytest.raises(TooManyRequests) as refused:
        other.charge("m1", 960, allowance, NOW)  # 1000 - 50 = 950 left in the minute
    assert refused.value.code == "burst_exceeded" and 0 < int(refused.value.headers["Retry-After"]) <= 60
    other.charge("m1", 950, allowance, NOW)
    with pytest.raises(TooManyRequests):
        counter.charge("m1", 21, allowance, NOW)  # its 20 go back in the refusing call ...
    other.charge("m1", 20, allowance, NOW)  # ... and are there for the other worker
    assert other.usage("m1", NOW) == counter.usage("m1", NOW)
    assert other.usage("m1", NOW).this_minute == 1000


def test_redis_down_falls_back_to_this_workers_memory():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    counter = RedisCounter(redis.Redis(port=closed, socket_connect_timeout=1), "test")
    allowance = Allowance(daily=5, burst=5)
    for _ in range(5):
        counter.charge("m1", 1, allowance, NOW)
    with pytest.raises(TooManyRequests):
        counter.charge("m1", 1, allowance, NOW)  # still limited, never unlimited
    assert counter.usage("m1", NOW).today == 5


def test_the_memory_counter_charges_exactly():
    counter = MemoryCounter()
    allowance = Allowance(daily=10, burst=6)
    counter.charge("m1", 6, allowance, NOW)
    with pytest.raises(TooManyRequests) as refused:
        counter.charge("m1", 1, allowance, NOW)
    assert refused.value.code == "burst_exceeded"
    counter.charge("m1", 4, allowance, NOW + timedelta(minutes=1))
    assert counter.usage("m1", NOW + timedelta(minutes=1)).today == 10
