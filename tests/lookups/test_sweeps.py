"""The sweep detector's rules, stores and throttle, without Flask or a database."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest

from federation.errors import TooManyRequests
from federation.lookups.sweep_detector import SweepDetector
from federation.lookups.sweep_store import MemorySweepStore, RedisSweepStore
from federation.lookups.sweeps import (
    Buckets,
    SweepRules,
    Window,
    baseline_from_daily,
    judge,
    sliding,
    volume_ceiling,
)

RULES = SweepRules()
QUIET = Window(0, 0)


@pytest.mark.parametrize(
    ("buckets", "elapsed", "expected"),
    [
        (Buckets((100, 5), (0, 0)), 0, Window(100, 5)),
        (Buckets((100, 5), (200, 20)), 0, Window(300, 25)),  # the whole last bucket is inside
        (Buckets((100, 5), (200, 20)), 1800, Window(200, 15)),  # half of it
        (Buckets((100, 5), (200, 20)), 3599, Window(100 + 200 / 3600, 5 + 20 / 3600)),
    ],
)
def test_a_window_slides_over_two_buckets(buckets, elapsed, expected):
    got = sliding(buckets, elapsed, 3600)
    assert got.identifiers == pytest.approx(expected.identifiers) and got.hits == pytest.approx(expected.hits)


@pytest.mark.parametrize(
    ("hour", "day", "rule"),
    [
        (Window(1999, 0), Window(1999, 0), None),  # too few to judge
        (Window(2000, 0), Window(2000, 0), "miss_ratio"),  # a random sweep
        (Window(2000, 19), Window(2000, 19), "miss_ratio"),  # 0.95 %
        (Window(2000, 20), Window(2000, 20), None),  # 1 %
        (Window(500, 0), Window(2500, 10), "miss_ratio"),  # a slow sweep, caught over the day
        (Window(4000, 2000), Window(4000, 2000), None),  # complaint intake: 50 % (bench singles)
        (Window(20000, 1000), Window(20000, 1000), None),  # order screening: 5 % (bench batches)
        (Window(5001, 75), Window(5001, 75), "volume"),  # 1.5 %, above the floor
        (Window(5000, 75), Window(5000, 75), None),  # at the floor
        (Window(9000, 200), Window(9000, 200), None),  # 2.2 %: a real member's ratio
    ],
)
def test_the_rules(hour, day, rule):
    finding = judge(RULES, hour, day, None)
    assert (finding.rule if finding else None) == rule


def test_the_volume_rule_follows_the_members_own_baseline():
    assert volume_ceiling(RULES, None) == 5000 and volume_ceiling(RULES, 100) == 5000
    assert volume_ceiling(RULES, 2000) == 20000
    busy = Window(15000, 225)  # 1.5 %
    assert judge(RULES, busy, busy, 2000) is None  # a member that usually sends 2,000 an hour
    finding = judge(RULES, busy, busy, 1000)
    assert finding.rule == "volume" and finding.details()["hourly_ceiling"] == 10000


def test_a_finding_shows_counts_and_thresholds_only():
    details = judge(RULES, Window(2000, 3), Window(2000, 3), None).details()
    assert details == {
        "rule": "miss_ratio",
        "window": "hour",
        "identifiers": 2000,
        "hits": 3,
        "hit_ratio": 0.0015,
        "min_identifiers": 2000,
        "min_hit_ratio": 0.01,
    }


def test_a_baseline_is_the_busiest_day_or_the_declared_volume():
    assert baseline_from_daily([]) == 0
    assert baseline_from_daily([240, 4800, 480]) == 200
    assert baseline_from_daily([240], declared_daily=2400) == 100


class Clock:
    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def redis_client():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(os.environ.get("FEDERATION_TEST_REDIS_URL", "redis://127.0.0.1:6379/13"))
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis unreachable")
    return client


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        yield MemorySweepStore()
        return
    client = redis_client()
    prefix = f"test-sweeps-{uuid.uuid4().hex[:8]}:"
    yield RedisSweepStore(client, prefix)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def test_a_store_counts_per_member_bucket_and_throttles_once(store):
    at = 1_764_460_800.0 + 10  # 10 s into an hour and a day
    store.add("m1", 1000, 3, at)
    counts = store.add("m1", 500, 1, at + 3600)  # the next hour
    assert counts.hour.current == (500, 1) and counts.hour.previous == (1000, 3)
    assert counts.day.current == (1500, 4) and counts.throttled_for == 0 and counts.baseline_hourly is None
    assert store.add("m2", 1, 0, at + 3600).day.current == (1, 0)
    assert store.throttle("m1", 60) is True and store.throttle("m1", 60) is False  # one winner
    assert 0 < store.throttled_for("m1") <= 60 and store.throttled_for("m2") == 0
    store.set_baselines({"m1": 125.5})
    counts = store.add("m1", 1, 0, at + 3600)
    assert 0 < counts.throttled_for <= 60 and counts.baseline_hourly == 125.5
    store.clear("m1")
    counts = store.add("m1", 1, 0, at + 3600)
    assert counts.throttled_for == 0 and counts.day.current == (1, 0) and counts.baseline_hourly == 125.5


def test_memory_entries_expire():
    clock = Clock(1_000_000.0)
    store = MemorySweepStore(clock)
    store.throttle("m1", 60)
    clock.at += 61
    assert store.throttled_for("m1") == 0 and store.throttle("m1", 60) is True


def test_the_detector_throttles_once_and_refuses_before_matching():
    raised = []
    detector = SweepDetector(MemorySweepStore(), SweepRules(min_identifiers=10), lambda *a: raised.append(a))
    now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    for _ in range(9):
        detector.check("m1", now)
        detector.observe("m1", 1, 0, now)
    with pytest.raises(TooManyRequests) as refused:
        detector.observe("m1", 1, 0, now)
    assert refused.value.code == "lookup_throttled" and refused.value.headers["Retry-After"] == "86400"
    with pytest.raises(TooManyRequests):
        detector.check("m1", now)
    with pytest.raises(TooManyRequests):
        detector.observe("m1", 1, 0, now)  # a worker that had not seen it learns it here
    assert [(member, finding.rule) for member, finding, _ in raised] == [("m1", "miss_ratio")]
    detector.check("m2", now)  # others are untouched
    detector.lift("m1")
    detector.check("m1", now)
    detector.observe("m1", 1, 0, now)  # counts forgotten: it starts afresh


def test_a_failed_alert_leaves_no_throttle_behind():
    def broken(*_args):
        raise RuntimeError("database down")

    detector = SweepDetector(MemorySweepStore(), SweepRules(min_identifiers=1), broken)
    now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    with pytest.raises(RuntimeError):
        detector.observe("m1", 1, 0, now)
    assert detector.store.throttled_for("m1") == 0


def test_memory_prunes_old_buckets(monkeypatch):
    clock = Clock(1_000_000.0)
    store = MemorySweepStore(clock)
    monkeypatch.setattr(MemorySweepStore, "PRUNE_EVERY", 3)
    store.add("m1", 1, 0, clock.at)
    store.add("m2", 1, 0, clock.at)
    clock.at += 3 * 86400
    store.add("m3", 1, 0, clock.at)
    assert sorted({key.split(":")[0] for key in store._values}) == ["m3"]
