"""``make bench``: our ``POST /v1/lookups`` next to a bare Flask baseline, same run, same database.

Settings (environment):

    BENCH_ENTRIES      entries in the generated database; a comma list runs several sizes
                       (default 100000; 1000000 and 10000000 are supported, and take a while to build)
    BENCH_BACKENDS     sqlite,postgresql (default both; PostgreSQL skipped if unreachable)
    BENCH_POSTGRES_URL default postgresql+psycopg://postgres@127.0.0.1:5432/test (a schema per size)
    BENCH_SECONDS      per measurement (default 3)
    BENCH_ROUNDS       measurements per server and scenario, alternating; the median is reported (default 9)
    BENCH_CONNECTIONS  concurrent connections (default 16)
    BENCH_WORKERS, BENCH_THREADS   gunicorn settings for both servers (default 2 and 4)
    BENCH_WRK_CPU      pin wrk to this CPU (taskset), e.g. 1; default: not pinned
    BENCH_REDIS_URL    rate limits and lookup budgets in this Redis (default redis://127.0.0.1:6379/14 when it
                       answers, else each worker's memory); limits are on either way, sized never to bite

Prints figures and ratios; asserts nothing about time. Load comes from ``wrk`` when
installed (``apt-get install wrk``), otherwise from a slower Python load generator.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import requests
import sqlalchemy as sa

from bench.generate import BENCH_DECLARED_DAILY_LOOKUPS, BENCH_MEMBER, build
from bench.loadgen import python_load

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
BIN = Path(sys.executable).parent


def setting(name: str, default: str) -> str:
    return os.environ.get(name, default)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(backend: str, entries: int, folder: Path) -> str | None:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'bench.db'}"
    base = setting("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema = f"bench_{entries}"
    try:
        engine = sa.create_engine(base)
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        engine.dispose()
    except sa.exc.OperationalError as error:
        print(f"  PostgreSQL unreachable, skipped: {str(error.orig).splitlines()[0]}")
        return None
    return f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"


def prepare(backend: str, entries: int) -> tuple[Path, str] | None:
    folder = DATA / f"{backend}-{entries}"
    url = database_url(backend, entries, folder)
    if url is None:
        return None
    marker = folder / "built.json"
    if not marker.exists():
        if folder.exists():
            shutil.rmtree(folder)
        if backend == "postgresql":
            engine = sa.create_engine(
                setting("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
            )
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "bench_{entries}" CASCADE'))
                conn.execute(sa.text(f'CREATE SCHEMA "bench_{entries}"'))
            engine.dispose()
        print(f"  building {entries:,} entries on {backend} ...", flush=True)
        report = build(url, folder, entries)
        marker.write_text(json.dumps(report))
        print(f"  built in {report['seconds']} s", flush=True)
    else:
        migrate(url, folder)  # a database built by an older checkout: bring its schema up to date
    declare_volume(url)
    analyze(url)
    return folder, url


def declare_volume(url: str) -> None:
    """The bench member's budget must never bite (databases built before budgets existed too)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE members SET declared_daily_lookups = :n WHERE id = :id"),
            {"n": BENCH_DECLARED_DAILY_LOOKUPS, "id": BENCH_MEMBER},
        )
    engine.dispose()


def limits_env() -> dict[str, str]:
    """Rate limits and budgets on, in Redis when it answers (as in production), never biting."""
    env = {
        "FEDERATION_RATE_LIMIT_MEMBER": "10000000 per minute",
        "FEDERATION_RATE_LIMIT_KEY_PREFIX": f"bench-{os.getpid()}",
    }
    url = setting("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001 - no Redis: limits in each worker's memory
        print("  Redis unreachable: rate limits and budgets in each worker's memory")
        return env
    print(f"  rate limits and budgets in Redis ({url})")
    return {**env, "FEDERATION_REDIS_URL": url}


def migrate(url: str, folder: Path) -> None:
    from flask_migrate import upgrade

    from federation import create_app

    app = create_app(overrides={"DATABASE_URL": url}, instance_path=str(folder))
    with app.app_context():
        upgrade()
        from federation.extensions import db

        db.engine.dispose()


def start(command: list[str], env: dict[str, str], probe: str, body: bytes | None = None) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603 - our own servers
        command,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,  # noqa: S603
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its process group is its pid: server_cpu() sums the workers
    )
    for _ in range(300):
        try:
            if body is None:
                requests.get(probe, timeout=1).raise_for_status()
            else:
                requests.post(probe, data=body, headers={"Content-Type": "application/json"}, timeout=5)
            return process
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server did not start: {' '.join(command)}")


def token_for(base_url: str, folder: Path) -> str:
    from federation_client import FederationClient

    with FederationClient(base_url, BENCH_MEMBER, folder / "bench-key" / "private-key.pem", "bench-1") as client:
        return client.access_token()


WRK_FIGURES = {
    "rps": re.compile(r"Requests/sec:\s+([\d.]+)"),
    "p50": re.compile(r"^\s+50%\s+([\d.]+)(us|ms|s)", re.M),
    "p99": re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)", re.M),
    "errors": re.compile(r"Non-2xx or 3xx responses:\s+(\d+)"),
}
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def server_cpu(group: int) -> float:
    """CPU seconds used so far by every process of a server (master and workers), from /proc."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def measure(url: str, bodies: Path, token: str, seconds: int, connections: int, server: int) -> dict[str, float]:
    """One load run; besides throughput and latency, the server's CPU time per request.

    CPU per request is steadier than requests/s on a shared machine whose speed drifts: it
    is what the throughput ratio tends to when both servers are CPU-bound.
    """
    before = server_cpu(server)
    figures = _load(url, bodies, token, seconds, connections)
    requests_done = figures["rps"] * seconds
    figures["cpu_ms"] = (server_cpu(server) - before) * 1000 / requests_done if requests_done else 0.0
    return figures


def _load(url: str, bodies: Path, token: str, seconds: int, connections: int) -> dict[str, float]:
    wrk = shutil.which("wrk")
    if wrk is None:
        return python_load(url, bodies, token, seconds, connections)
    pin = setting("BENCH_WRK_CPU", "")
    output = subprocess.run(  # noqa: S603
        [
            *(["taskset", "-c", pin] if pin else []),
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(ROOT / "bench" / "bodies.lua"),
            url,
            "--",
            str(bodies),
            token,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures: dict[str, float] = {"rps": float(WRK_FIGURES["rps"].search(output).group(1))}
    for name in ("p50", "p99"):
        value, unit = WRK_FIGURES[name].search(output).groups()
        figures[name] = float(value) * UNIT_MS[unit]
    errors = WRK_FIGURES["errors"].search(output)
    figures["errors"] = float(errors.group(1)) if errors else 0.0
    return figures


def analyze(url: str) -> None:
    """Planner statistics, as autovacuum (PostgreSQL) or ``PRAGMA optimize`` would gather them in
    production; without them a freshly bulk-loaded PostgreSQL hash-joins a full scan of entries."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def checkpoint(url: str) -> None:
    """Fold SQLite's write-ahead log back into the database, so no measurement reads through
    the audit rows an earlier one wrote."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median throughput (its own latencies with it)."""
    ordered = sorted(runs, key=lambda run: run["rps"])
    return {**ordered[len(ordered) // 2], "errors": sum(run["errors"] for run in runs)}


def run_size(backend: str, entries: int, seconds: int, connections: int) -> list[dict]:
    prepared = prepare(backend, entries)
    if prepared is None:
        return []
    folder, url = prepared
    env = {**os.environ, "FEDERATION_INSTANCE_PATH": str(folder), "FEDERATION_DATABASE_URL": url, **limits_env()}
    workers, threads = setting("BENCH_WORKERS", "2"), setting("BENCH_THREADS", "4")
    ours_port, base_port = free_port(), free_port()
    ours = start(
        [
            str(BIN / "federation"),
            "serve",
            "--bind",
            f"127.0.0.1:{ours_port}",
            "--workers",
            workers,
            "--threads",
            threads,
        ],
        env,
        f"http://127.0.0.1:{ours_port}/healthz",
    )
    baseline = start(
        [
            str(BIN / "gunicorn"),
            "-w",
            workers,
            "--threads",
            threads,
            "-k",
            "gthread",
            "-b",
            f"127.0.0.1:{base_port}",
            "bench.baseline:create_app()",
        ],
        env,
        f"http://127.0.0.1:{base_port}/lookup",
        (folder / "bodies-single.jsonl").read_text().splitlines()[0].encode(),
    )
    rows = []
    rounds = int(setting("BENCH_ROUNDS", "9"))
    try:
        token = token_for(f"http://127.0.0.1:{ours_port}", folder)
        for scenario, identifiers in (("single", 4), ("batch", 1000)):
            bodies = folder / f"bodies-{scenario}.jsonl"
            targets = {
                "baseline": (f"http://127.0.0.1:{base_port}/lookup", "", baseline.pid),
                "ours": (f"http://127.0.0.1:{ours_port}/v1/lookups", token, ours.pid),
            }
            for target, auth, pid in targets.values():
                measure(target, bodies, auth, 2, connections, pid)  # warm-up: caches, pools, token cache
            samples: dict[str, list[dict[str, float]]] = {"baseline": [], "ours": []}
            for _ in range(rounds):  # alternate, so drift on the machine hits both alike
                for server, (target, auth, pid) in targets.items():
                    checkpoint(url)
                    samples[server].append(measure(target, bodies, auth, seconds, connections, pid))
            paired = statistics.median(
                o["rps"] / b["rps"] for o, b in zip(samples["ours"], samples["baseline"], strict=True)
            )
            for server, runs in samples.items():
                figures = median_run(runs)
                rows.append(
                    {
                        "backend": backend,
                        "entries": entries,
                        "scenario": scenario,
                        "server": server,
                        "identifiers_per_request": identifiers,
                        "rounds": len(runs),
                        "paired_ratio": paired,
                        **figures,
                        "cpu_ms": statistics.median(r["cpu_ms"] for r in runs),
                    }
                )
                print(
                    f"  {scenario:6} {server:8} {figures['rps']:9.1f} req/s "
                    f"{figures['rps'] * identifiers:11.0f} ids/s  p50 {figures['p50']:7.2f} ms  "
                    f"p99 {figures['p99']:7.2f} ms  cpu {rows[-1]['cpu_ms']:6.2f} ms/req  "
                    f"errors {int(figures['errors'])}"
                    f"  (rounds: {', '.join(str(round(r['rps'])) for r in runs)} req/s)",
                    flush=True,
                )
    finally:
        for process in (ours, baseline):
            process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
    return rows


def summary(rows: list[dict]) -> None:
    print(
        "\nratio ours/baseline (targets: single >= 60 % of req/s, batch >= 50 % of identifiers/s)\n"
        "  of medians | median of paired rounds (each round next to the baseline's) | of server CPU per request"
    )
    for backend in sorted({r["backend"] for r in rows}):
        for entries in sorted({r["entries"] for r in rows if r["backend"] == backend}):
            for scenario in ("single", "batch"):
                pick = {
                    r["server"]: r
                    for r in rows
                    if (r["backend"], r["entries"], r["scenario"]) == (backend, entries, scenario)
                }
                if len(pick) == 2:
                    ratio = pick["ours"]["rps"] / pick["baseline"]["rps"]
                    cpu = pick["baseline"]["cpu_ms"] / pick["ours"]["cpu_ms"] if pick["ours"]["cpu_ms"] else 0.0
                    print(
                        f"  {backend:10} {entries:>10,} {scenario:6} {ratio:6.1%} | "
                        f"{pick['ours']['paired_ratio']:6.1%} | {cpu:6.1%}"
                    )
    sizes = sorted({r["entries"] for r in rows})
    if len(sizes) > 1:
        print(f"\np99 of ours at {sizes[-1]:,} vs {sizes[0]:,} entries (target <= 1.5x)")
        for backend in sorted({r["backend"] for r in rows}):
            for scenario in ("single", "batch"):
                p99 = {
                    r["entries"]: r["p99"]
                    for r in rows
                    if (r["backend"], r["scenario"], r["server"]) == (backend, scenario, "ours")
                }
                if sizes[0] in p99 and sizes[-1] in p99:
                    print(
                        f"  {backend:10} {scenario:6} {p99[sizes[-1]] / p99[sizes[0]]:5.2f}x "
                        f"({p99[sizes[0]]:.2f} -> {p99[sizes[-1]]:.2f} ms)"
                    )


def main() -> None:
    sizes = [int(n) for n in setting("BENCH_ENTRIES", "100000").split(",")]
    backends = setting("BENCH_BACKENDS", "sqlite,postgresql").split(",")
    seconds, connections = int(setting("BENCH_SECONDS", "3")), int(setting("BENCH_CONNECTIONS", "16"))
    print(
        f"load generator: {'wrk' if shutil.which('wrk') else 'python (install wrk for better figures)'}; "
        f"{os.cpu_count()} cores; {seconds} s per measurement, {connections} connections"
    )
    rows = []
    for backend in backends:
        for entries in sizes:
            print(f"\n{backend}, {entries:,} entries")
            rows += run_size(backend, entries, seconds, connections)
    summary(rows)
    (DATA / "last-run.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
