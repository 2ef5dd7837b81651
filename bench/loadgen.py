"""A Python load generator for machines without wrk: threads with keep-alive connections.

It is slower than wrk and shares the CPU with the servers, so its absolute
figures are lower; both servers are measured the same way, so the ratio holds.
"""

from __future__ import annotations

import http.client
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit


def python_load(url: str, bodies_path: Path, token: str, seconds: int, connections: int) -> dict[str, float]:
    parts = urlsplit(url)
    bodies = [line.encode() for line in bodies_path.read_text().splitlines() if line]
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    latencies: list[float] = []
    errors = [0]
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker(offset: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, failed, index = [], 0, offset
        while time.perf_counter() < deadline:
            body = bodies[index % len(bodies)]
            index += 1
            started = time.perf_counter()
            connection.request("POST", parts.path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            failed += response.status >= 300
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=worker, args=(n * 7,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    count = len(latencies)
    return {
        "rps": count / seconds,
        "p50": latencies[count // 2],
        "p99": latencies[min(count - 1, count * 99 // 100)],
        "errors": float(errors[0]),
    }
