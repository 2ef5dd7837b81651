"""Real server processes for fault tests and the soak: start ``federation serve``, find its workers, wait."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def server_env(instance: Path, **settings: str) -> dict[str, str]:
    """The environment of a server run from this checkout (its SDK too), with ``FEDERATION_*`` settings."""
    path = os.pathsep.join([str(ROOT), str(ROOT / "clients" / "python"), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "FEDERATION_INSTANCE_PATH": str(instance)}
    env.update({f"FEDERATION_{key}": value for key, value in settings.items()})
    return env


def federation_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from federation.cli import main; main()", *args]


def start_server(port: int, env: dict[str, str], log: Path, *, workers: int = 2) -> subprocess.Popen:
    """``federation serve`` in its own session, so a test can kill whatever is left of it by group."""
    with open(log, "ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own command
            federation_command("serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_healthy(base_url: str, timeout: float = 30.0) -> float:
    """Seconds until ``/healthz`` answers 200; raises ``TimeoutError``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:  # noqa: S310 - local URL
                if response.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{base_url} not healthy within {timeout} s")


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (gunicorn's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def wait_children(pid: int, count: int, timeout: float = 30.0) -> list[int]:
    """The children of ``pid`` once ``count`` of them run: a healthy answer proves only one worker booted."""
    deadline = time.monotonic() + timeout
    while True:
        found = children(pid)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Running and not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def wait_gone(pids: list[int], timeout: float) -> float | None:
    """Seconds until none of ``pids`` runs, or None if some still run after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if not any(alive(pid) for pid in pids):
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def kill_group(process: subprocess.Popen) -> None:
    """End whatever is left of a server started by :func:`start_server` (its own session)."""
    try:
        os.killpg(process.pid, 9)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)
