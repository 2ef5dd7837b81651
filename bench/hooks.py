"""In-process cost of the lookup path's issue-13 hooks: the budget's charge and the sweep detector's check and
observation, per lookup, without Flask or a database (``python -m bench.hooks``).

``make bench`` sees a hook's cost only through the noise of a shared machine; this isolates it. Each round
makes ``HOOKS_CALLS`` lookups of 4 identifiers (2 hits, as the bench's single lookups) by the bench's member
(a budget never biting) and reports wall and CPU microseconds per lookup; the median round is printed.
``HOOKS_REDIS_URL`` (default ``redis://127.0.0.1:6379/14``) holds the counters under a prefix of the run's
own, deleted afterwards; ``memory`` for the worker's memory.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from datetime import UTC, datetime

from federation.lookups.budget import BudgetPolicy, LookupBudget, MemoryCounter
from federation.lookups.sweep_detector import SweepDetector
from federation.lookups.sweep_store import MemorySweepStore, RedisSweepStore
from federation.lookups.sweeps import SweepRules

try:  # leasing (issue 13 follow-up) moved the Redis counter into its own module
    from federation.lookups.budget_redis import RedisCounter
except ImportError:  # the code before it, for a before/after comparison
    from federation.lookups.budget import RedisCounter  # type: ignore[attr-defined,no-redef]


def hooks(url: str, prefix: str) -> tuple[LookupBudget, SweepDetector, object]:
    policy = BudgetPolicy()
    if url == "memory":
        return LookupBudget(policy, MemoryCounter()), SweepDetector(MemorySweepStore(), SweepRules(), print), None
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    budget = LookupBudget(policy, RedisCounter(client, prefix))
    return budget, SweepDetector(RedisSweepStore(client, f"{prefix}:sweep:"), SweepRules(), print), client


def one_round(budget: LookupBudget, detector: SweepDetector, calls: int) -> tuple[float, float]:
    allowance = budget.policy.allowance(1_000_000_000, None)  # the bench member's declared volume
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        now = datetime.now(UTC)
        detector.check("bench-member", now)
        budget.charge("bench-member", 4, allowance, now)
        detector.observe("bench-member", 4, 2, now)
    return (time.perf_counter() - wall) * 1e6 / calls, (time.process_time() - cpu) * 1e6 / calls


def main() -> None:
    url = os.environ.get("HOOKS_REDIS_URL", "redis://127.0.0.1:6379/14")
    calls, rounds = int(os.environ.get("HOOKS_CALLS", "20000")), int(os.environ.get("HOOKS_ROUNDS", "5"))
    prefix = f"hooks-{uuid.uuid4().hex[:8]}"
    budget, detector, client = hooks(url, prefix)
    try:
        one_round(budget, detector, 1000)  # warm-up: script loaded, connection open
        results = [one_round(budget, detector, calls) for _ in range(rounds)]
    finally:
        if client is not None:
            for key in client.scan_iter(f"*{prefix}*", count=1000):
                client.delete(key)
    walls, cpus = [r[0] for r in results], [r[1] for r in results]
    print(
        f"{url}: per lookup, median of {rounds} rounds of {calls}: wall {statistics.median(walls):.1f} us "
        f"(rounds {', '.join(f'{w:.1f}' for w in walls)}), CPU {statistics.median(cpus):.1f} us "
        f"(rounds {', '.join(f'{c:.1f}' for c in cpus)})"
    )


if __name__ == "__main__":
    main()
