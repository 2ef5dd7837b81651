"""``federation serve`` (``federation/serving.py``): when the gunicorn master dies, its workers go at once.

A real gunicorn with real clients: keep-alive and fresh connections hammer it
while its master is SIGKILLed. Without the watchdog the orphaned workers kept
the port for ``graceful_timeout`` (30 s measured) and clients hung as long.
"""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time

import pytest

from tests.support.pgcluster import free_port
from tests.support.processes import kill_group, server_env, start_server, wait_children, wait_gone, wait_healthy


@pytest.fixture
def started(tmp_path):
    processes = []

    def start(port: int, log_name: str):
        process = start_server(port, server_env(tmp_path), tmp_path / log_name, workers=2)
        processes.append(process)
        return process

    yield start
    for process in processes:
        kill_group(process)


def hammer(port: int, stop: threading.Event, slowest: list[float], keep_alive: bool) -> None:
    """Requests until ``stop``; the longest one (connection or answer) goes in ``slowest``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while not stop.is_set():
        began = time.monotonic()
        try:
            conn.request("GET", "/healthz")
            conn.getresponse().read()
        except OSError:
            time.sleep(0.01)
            conn.close()
        if not keep_alive:
            conn.close()  # the next request connects afresh
        slowest.append(time.monotonic() - began)
    conn.close()


def test_workers_exit_when_the_master_is_killed_and_a_new_server_binds_at_once(started, tmp_path):
    port = free_port()
    master = started(port, "first.log")
    wait_healthy(f"http://127.0.0.1:{port}")
    workers = wait_children(master.pid, 2)
    assert len(workers) == 2

    stop, slowest = threading.Event(), [[] for _ in range(6)]
    clients = [threading.Thread(target=hammer, args=(port, stop, slowest[i], i % 2 == 0)) for i in range(6)]
    for client in clients:
        client.start()
    try:
        time.sleep(1)
        killed_at = time.monotonic()
        os.kill(master.pid, signal.SIGKILL)
        gone_after = wait_gone(workers, timeout=20)
        assert gone_after is not None and gone_after < 5, f"orphaned workers lived {gone_after} s"

        successor = started(port, "second.log")
        wait_healthy(f"http://127.0.0.1:{port}", timeout=30)
        assert successor.poll() is None
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=70)
    log = (tmp_path / "second.log").read_text()
    assert "Connection in use" not in log, log  # gunicorn's message when it must retry the bind
    hung = [t for times in slowest for t in times if t > 8]
    assert not hung, f"requests hung {hung} s after the master died {time.monotonic() - killed_at:.1f} s ago"
