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
    FlushRule,
    SweepRules,
    Window,
    advance,
    baseline_from_daily,
    judge,
    plus,
    sliding,
    sweep_bound,
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


@pytest.mark.parametrize(
    ("pending", "since", "due"),
    [(0, 0.0, False), (249, 0.99, False), (250, 0.0, True), (1000, 0.0, True), (1, 1.0, True), (0, 5.0, True)],
)
def test_a_worker_flushes_at_250_identifiers_or_after_a_second(pending, since, due):
    assert FlushRule().due(pending, since) is due


@pytest.mark.parametrize(
    ("read_at", "at", "expected"),
    [
        (3600 + 10, 3600 + 3000, Buckets((7, 1), (5, 0))),  # same hour: as read
        (3600 + 10, 7200 + 5, Buckets((0, 0), (7, 1))),  # the next hour: what was current is the last one
        (3600 + 10, 10800 + 5, Buckets((0, 0), (0, 0))),  # two hours on: nothing inside the window
    ],
)
def test_counts_read_earlier_are_moved_to_the_bucket_they_now_fall_in(read_at, at, expected):
    assert advance(Buckets((7, 1), (5, 0)), read_at, at, 3600) == expected
    assert plus(expected, 3, 1).current == (expected.current[0] + 3, expected.current[1] + 1)


def test_the_bound_on_a_sweep_follows_the_flush_threshold_and_the_workers():
    assert sweep_bound(RULES, FlushRule(), 1) == 1999 and sweep_bound(RULES, FlushRule(), 2) == 2248
    assert sweep_bound(RULES, FlushRule(), 4) == 2746 and sweep_bound(RULES, FlushRule(1), 8) == 1999
    assert sweep_bound(RULES, FlushRule(), 13) < 5000 < sweep_bound(RULES, FlushRule(), 14)  # issue 13's target


def sweep(detectors, sizes, worker_of, now) -> tuple[int, list]:
    """Send random (never matching) identifiers through several workers until every one refuses the member
    (once one has, the rest go to the workers that have not yet)."""
    answered, refused = 0, set()
    for k, size in enumerate(sizes):
        waiting = [n for n in range(len(detectors)) if n not in refused]
        worker = worker_of(k) if not refused else waiting[k % len(waiting)]
        try:
            detectors[worker].check("m1", now)
            detectors[worker].observe("m1", size, 0, now)
            answered += size
        except TooManyRequests as error:
            assert error.code == "lookup_throttled"
            refused.add(worker)
            if len(refused) == len(detectors):
                return answered, sorted(refused)
    raise AssertionError(f"not stopped: {answered} answered")


@pytest.mark.parametrize(
    ("size", "worker_of"),
    [
        (1, lambda k: k % 2),  # round robin
        (1, lambda k: (k // 249) % 2),  # each worker's pending just below the threshold, in turns
        (1, lambda k: 0 if k < 1998 else 1),  # one worker nearly there, then the other
        (4, lambda k: (k // 62) % 2),  # single lookups of 4 identifiers
        (100, lambda k: k % 2),
    ],
)
def test_two_workers_sharing_a_store_stop_a_sweep_within_the_bound(store, size, worker_of):
    raised = []
    flush = FlushRule()
    detectors = [SweepDetector(store, RULES, lambda *a: raised.append(a), flush) for _ in range(2)]
    now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    answered, refused = sweep(detectors, [size] * 5000, worker_of, now)
    assert refused == [0, 1]  # every worker learned the throttle
    assert RULES.min_identifiers - size <= answered <= sweep_bound(RULES, flush, 2)
    assert len(raised) == 1  # exactly one alert


def test_batches_of_a_thousand_are_stopped_at_the_second_whatever_the_worker(store):
    raised = []
    detectors = [SweepDetector(store, RULES, lambda *a: raised.append(a)) for _ in range(2)]
    now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    answered, _ = sweep(detectors, [1000] * 10, lambda k: k % 2, now)
    assert answered == 1000 and len(raised) == 1  # a batch >= the threshold flushes at once


def test_one_worker_stops_a_sweep_at_the_rules_own_threshold_without_flushing(store):
    detector = SweepDetector(store, RULES, lambda *a: None, FlushRule(identifiers=10_000, seconds=3600))
    now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    answered, _ = sweep([detector], [1] * 5000, lambda k: 0, now)
    assert answered == RULES.min_identifiers - 1  # judged on its own pending counts
    assert store.add("m1", 0, 0, now.timestamp()).hour.current == (1, 0)  # only the first lookup was sent


def test_pending_counts_reach_the_store_after_a_second():
    store = MemorySweepStore()
    detector = SweepDetector(store, RULES, lambda *a: None)
    now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    detector.observe("m1", 1, 0, now)  # the first lookup reads the store
    detector.observe("m1", 1, 0, now)
    assert store.add("m1", 0, 0, now.timestamp()).hour.current == (1, 0)
    detector.observe("m1", 1, 0, now.replace(second=1))
    assert store.add("m1", 0, 0, now.timestamp()).hour.current == (3, 0)


def test_the_failover_store_counts_in_memory_while_redis_does_not_answer(caplog):
    """A dead Redis costs one short timeout, then the worker's memory: lookups are watched, never failed."""
    import socket

    import redis

    from federation.lookups.sweep_store import FailoverSweepStore

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    client = redis.Redis(host="127.0.0.1", port=closed, socket_connect_timeout=1, socket_timeout=1)
    store = FailoverSweepStore(RedisSweepStore(client, "test:"))
    first = store.add("m", 10, 1, 1_000_000.0)
    second = store.add("m", 5, 0, 1_000_000.0)
    assert (first.hour.current, second.hour.current) == ((10, 1), (15, 1))
    assert store.throttle("m", 60) and store.throttled_for("m") > 0
    assert [r.message for r in caplog.records].count(
        "sweep detector: Redis unavailable (ConnectionError); counting in this worker"
    ) == 1


def test_a_lifted_member_starts_afresh_its_seen_identifiers_too():
    """``lift`` (an admin resolved the alert) forgets what the member looked up, not only its counts."""
    detector = SweepDetector(MemorySweepStore(), SweepRules(), lambda *a: None)
    keys = [bytes([n]) * 32 for n in range(3)]
    now = datetime(2026, 11, 30, tzinfo=UTC)
    detector.observe_lookup("m", keys, [], now)
    assert detector.novelty.fresh("m", keys, [], now.timestamp()).identifiers == 0
    detector.lift("m")
    assert detector.novelty.fresh("m", keys, [], now.timestamp()).identifiers == 3
