"""``make soak``: gunicorn against PostgreSQL under concurrent clients, one worker SIGKILLed, one database restart.

    python -m bench.soak [--seconds 60] [--clients 6] [--workers 3]

The script starts its own throw-away PostgreSQL cluster (``initdb`` on a free
port, ``tests/support/pgcluster.py``), so the machine's server is untouched,
and ``federation serve`` on it. Each client is a member using the SDK, in a
loop: submit an entry (a fresh ``case_ref``, re-sent with the same one when
the SDK's own retries run out), look its phone up, and every third round
file a public appeal (re-sent with the same ``Idempotency-Key``). At 30 % of
the run one worker is SIGKILLed; at 60 % PostgreSQL is stopped (``-m fast``)
and started again.

At the end (server stopped, dead workers' audit spools recovered by
``federation tick``) it compares what was acknowledged with what is stored:
entries and appeals acknowledged but absent, entries stored twice for one
``case_ref``, acknowledged lookups without their audit line, errors by status
per phase, and requests that hung. It exits 1 if anything acknowledged was lost
(or duplicated, or hung).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
import sqlalchemy as sa

from federation_client import FederationClient
from federation_client.errors import FederationClientError, ProblemError
from federation_client.identifiers import hash_all
from tests.support.members import add_member_with_key
from tests.support.pgcluster import Cluster, free_port
from tests.support.processes import children, federation_command, server_env, start_server, wait_healthy

#: A request (with the SDK's retries) longer than this counts as hung.
HUNG_SECONDS = 30.0
#: Times the soak itself re-sends a write after the SDK gave up (same case_ref / Idempotency-Key).
RESENDS = 3
#: Settings of the server under test: appeal limits out of the way (the soak files many from one address).
SERVER_SETTINGS = {
    "APPEAL_RATE_PER_ADDRESS_HOURLY": "1000000",
    "APPEAL_RATE_PER_IDENTIFIER_DAILY": "1000",
    "APPEAL_RATE_PER_IDENTIFIER_DAILY_ALL": "1000",
}
#: After a fault, this long counts as its phase (errors attributed to it).
FAULT_WINDOW = 8.0
#: The status of each answer in gunicorn's access log (``federation/serving.py``'s format).
ANSWER = re.compile(r'" (\d{3}) ')


@dataclass
class Tally:
    """What the clients saw; lists and counters are appended from many threads (GIL-atomic)."""

    entries: dict[tuple[str, str], str] = field(default_factory=dict)  # (member, case_ref) -> ref
    appeals: list[str] = field(default_factory=list)
    lookups: Counter = field(default_factory=Counter)  # member -> acknowledged lookups
    attempts: Counter = field(default_factory=Counter)  # operation -> calls
    errors: Counter = field(default_factory=Counter)  # (phase, operation, status) -> count
    hung: list[tuple[str, float]] = field(default_factory=list)
    slowest: dict[str, float] = field(default_factory=dict)  # phase -> longest call (with the SDK's retries)
    completed: Counter = field(default_factory=Counter)  # phase -> calls that succeeded
    http: Counter = field(default_factory=Counter)  # (phase, status or exception) -> HTTP attempts, retries included
    faults: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (start, end), monotonic
    raw: set[str] = field(default_factory=set)  # every raw phone and contact the clients sent

    def phase(self, moment: float) -> str:
        for name, (start, end) in reversed(self.faults.items()):
            if start <= moment <= end + FAULT_WINDOW:
                return name
        return "steady"

    def failed(self, operation: str, began: float, error: Exception) -> None:
        status = str(error.status) if isinstance(error, ProblemError) else type(error).__name__
        self.errors[(self.phase(began), operation, status)] += 1


class CountingSession(requests.Session):
    """The SDK's HTTP session, counting every attempt's outcome (the SDK's retries are otherwise silent)."""

    def __init__(self, tally: Tally) -> None:
        super().__init__()
        self.tally = tally

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException as error:  # counted when it ended: a fault cuts calls already running
            self.tally.http[(self.tally.phase(time.monotonic()), type(error).__name__)] += 1
            raise
        self.tally.http[(self.tally.phase(time.monotonic()), str(response.status_code))] += 1
        return response


def payload(salt: bytes, key_id: str, case_ref: str, phone: str) -> dict:
    occurred = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    return {
        "case_ref": case_ref,
        "category": "refund_after_use",
        "tier": 1,
        "amount": {"value": "99.00", "currency": "CNY"},
        "occurred_at": occurred.isoformat(),
        "identifiers": [h.as_dict() for h in hash_all("phone", phone, salt, key_id)],
        "evidence": [
            {
                "kind": "redemption_record",
                "sha256": hashlib.sha256(case_ref.encode()).hexdigest(),
                "size": 1024,
                "captured_at": (occurred + timedelta(hours=1)).isoformat(),
            }
        ],
        "review": {
            "ai_score": 0.9,
            "ai_model": "soak",
            "human_reviewer": "soak-reviewer",
            "reviewed_at": (occurred + timedelta(days=1)).isoformat(),
        },
    }


def appeal_body(phone: str, serial: str) -> dict:
    return {
        "identifiers": [{"type": "phone", "value": phone}],
        "statement": "I never filed a complaint on that platform; this is not my account.",
        "contact": f"soak-{serial}@example.cn",
        "evidence": [{"kind": "id_video", "sha256": hashlib.sha256(serial.encode()).hexdigest()}],
    }


class SoakClient(threading.Thread):
    def __init__(self, index: int, base_url: str, member: tuple, tally: Tally, until: float) -> None:
        super().__init__(name=f"soak-client-{index}", daemon=True)
        self.index, self.base_url, self.tally, self.until = index, base_url, tally, until
        self.member_id = member[0]
        self.sdk = FederationClient(base_url, *member, session=CountingSession(tally))

    def timed(self, operation: str, call):
        """``call()`` once, counted; None on an error the soak records."""
        began = time.monotonic()
        self.tally.attempts[operation] += 1
        try:
            result = call()
            self.tally.completed[self.tally.phase(began)] += 1
            return result
        except FederationClientError as error:
            self.tally.failed(operation, began, error)
            return None
        finally:
            took, phase = time.monotonic() - began, self.tally.phase(began)
            self.tally.slowest[phase] = max(took, self.tally.slowest.get(phase, 0.0))
            if took > HUNG_SECONDS:
                self.tally.hung.append((operation, took))

    def run(self) -> None:
        salt = self.sdk.accepted_salts()[0]
        for round_ in itertools.count():
            if time.monotonic() >= self.until:
                break
            case_ref = f"soak-{self.index}-{round_}"
            phone = f"139{self.index:02d}{round_:06d}"
            self.tally.raw.add(phone)
            body = payload(salt.secret, salt.key_id, case_ref, phone)
            for _ in range(1 + RESENDS):  # the same case_ref each time: the server must not list it twice
                entry = self.timed("submit", lambda body=body: self.sdk.submit_entry(body))
                if entry is not None:
                    self.tally.entries[(self.member_id, case_ref)] = entry.ref
                    break
            hashed = self.sdk.hash("phone", phone)
            if self.timed("lookup", lambda hashed=hashed: self.sdk.lookup(hashed, reference="SOAK-1")) is not None:
                self.tally.lookups[self.member_id] += 1
            if round_ % 3 == 0:
                serial, appellant = f"{self.index}-{round_}", f"137{self.index:02d}{round_:06d}"
                self.tally.raw.update({appellant, appeal_body(appellant, serial)["contact"]})
                for _ in range(1 + RESENDS):
                    receipt = self.timed("appeal", lambda p=appellant, s=serial: self.appeal(p, s))
                    if receipt is not None:
                        self.tally.appeals.append(receipt["appeal"])
                        break

    def appeal(self, phone: str, serial: str) -> dict:
        """``POST /v1/appeals`` (public) through the SDK's transport: its retries, budget and typed errors."""
        headers = {"Idempotency-Key": f"soak-appeal-{serial}"}
        body = appeal_body(phone, serial)
        return self.sdk.request("POST", "/v1/appeals", json=body, idempotent=True, headers=headers)


def prepare(cluster: Cluster, instance: Path, members: int) -> list[tuple]:
    """Migrate the cluster's database and add the clients' members, in-process (the same instance folder)."""
    from flask_migrate import upgrade

    from federation import create_app
    from federation.extensions import db

    app = create_app(None, {"DATABASE_URL": cluster.url}, instance_path=str(instance))
    with app.app_context():
        upgrade()
        created = [
            add_member_with_key(db.session, f"soak-{index}", roles=("submit", "query")) for index in range(members)
        ]
        db.session.remove()
        db.engine.dispose()
    return created


def inject_faults(master: subprocess.Popen, cluster: Cluster, tally: Tally, start: float, seconds: float) -> None:
    time.sleep(max(0.0, start + 0.3 * seconds - time.monotonic()))
    victim = children(master.pid)[0]
    began = time.monotonic()
    tally.faults["worker SIGKILL"] = (began, float("inf"))  # calls from now on belong to the fault
    os.kill(victim, signal.SIGKILL)
    tally.faults["worker SIGKILL"] = (began, time.monotonic())
    print(f"[{began - start:5.1f} s] SIGKILL worker {victim}", flush=True)

    time.sleep(max(0.0, start + 0.6 * seconds - time.monotonic()))
    began = time.monotonic()
    tally.faults["database restart"] = (began, float("inf"))
    cluster.stop("fast")
    time.sleep(1.0)  # a restart, not a blip: the database is gone for a second
    cluster.start()
    tally.faults["database restart"] = (began, time.monotonic())
    print(f"[{began - start:5.1f} s] PostgreSQL restarted in {time.monotonic() - began:.1f} s", flush=True)


def stored(url: str, tally: Tally) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        entries = {
            (member, case_ref): count
            for member, case_ref, count in conn.execute(
                sa.text("SELECT member_id, case_ref, count(*) FROM entries GROUP BY member_id, case_ref")
            )
        }
        appeals = set(conn.execute(sa.text("SELECT ref FROM appeals")).scalars())
        lookups = dict(conn.execute(sa.text("SELECT member_id, count(*) FROM lookup_records GROUP BY member_id")).all())
    engine.dispose()
    lost_lookups = sum(max(0, acked - lookups.get(member, 0)) for member, acked in tally.lookups.items())
    return {
        "entries acknowledged": len(tally.entries),
        "entries present": sum(1 for key in tally.entries if entries.get(key)),
        "entries lost": sum(1 for key in tally.entries if not entries.get(key)),
        "entries duplicated": sum(1 for count in entries.values() if count > 1),
        "appeals acknowledged": len(tally.appeals),
        "appeals lost": sum(1 for ref in tally.appeals if ref not in appeals),
        "lookups acknowledged": sum(tally.lookups.values()),
        "audit lines present": sum(lookups.get(member, 0) for member in tally.lookups),
        "audit lines lost": lost_lookups,
    }


def raw_values_kept(url: str, instance: Path, raw: set[str]) -> int:
    """How many of the raw phones and contacts the clients sent appear anywhere the server keeps
    things: every table (``COPY ... TO STDOUT``), the instance folder (spools, uploads, outbox,
    the server's log). Must be 0: only keyed hashes and encrypted contacts may be kept."""
    needles = [value.encode() for value in raw]
    kept: set[bytes] = set()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        tables = conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
        cursor = conn.connection.driver_connection.cursor()
        for (table,) in tables.all():
            with cursor.copy(f'COPY "{table}" TO STDOUT') as copy:
                dump = b"".join(bytes(block) for block in copy)
            kept.update(needle for needle in needles if needle in dump)
    engine.dispose()
    for path in (p for p in instance.rglob("*") if p.is_file()):
        content = path.read_bytes()
        kept.update(needle for needle in needles if needle in content)
    return len(kept)


def soak(seconds: float, clients: int, workers: int, *, faults: bool = True) -> int:
    with Cluster() as cluster, tempfile.TemporaryDirectory(prefix="federation-soak-") as folder:
        instance = Path(folder)
        members = prepare(cluster, instance, clients)
        env = server_env(instance, DATABASE_URL=cluster.url, **SERVER_SETTINGS)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        master = start_server(port, env, instance / "server.log", workers=workers)
        try:
            wait_healthy(base_url, timeout=60)
            tally = Tally()
            start = time.monotonic()
            threads = [SoakClient(i, base_url, m, tally, start + seconds) for i, m in enumerate(members)]
            for thread in threads:
                thread.start()
            if faults:
                inject_faults(master, cluster, tally, start, seconds)
            for thread in threads:
                thread.join(timeout=max(0.0, start + seconds + 2 * HUNG_SECONDS - time.monotonic()))
            stuck = [thread.name for thread in threads if thread.is_alive()]
            elapsed = time.monotonic() - start
        finally:
            master.send_signal(signal.SIGTERM)  # graceful: workers finish what they serve
            try:
                master.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(master.pid, signal.SIGKILL)
                master.wait()
        # Spools of the SIGKILLed worker (and of any worker that had not ingested yet): the operator's path.
        subprocess.run(federation_command("tick"), env=env, check=True, capture_output=True)  # noqa: S603
        figures = stored(cluster.url, tally)
        figures["audit spool files left"] = len(list((instance / "audit-spool").glob("*.spool")))
        figures["raw values kept"] = raw_values_kept(cluster.url, instance, tally.raw)
        log = (instance / "server.log").read_text(errors="replace")
    return report(figures, tally, stuck, elapsed, log)


def report(figures: dict[str, int], tally: Tally, stuck: list[str], elapsed: float, log: str) -> int:
    print(f"\nsoak: {elapsed:.0f} s, calls by operation: {dict(tally.attempts)}")
    for name, value in figures.items():
        print(f"  {name:26} {value}")
    print("  per phase: calls that succeeded, the slowest call (with the SDK's retries)")
    for phase in ["steady", *tally.faults]:
        print(f"    {phase:24} {tally.completed[phase]:6}  {tally.slowest.get(phase, 0.0):5.1f} s")
    print("  HTTP attempts by phase and outcome (the SDK retries the 503s and broken connections):")
    for phase in ["steady", *tally.faults]:
        outcomes = {outcome: n for (where, outcome), n in sorted(tally.http.items()) if where == phase}
        print(f"    {phase:24} {outcomes}")
    print("  errors the clients saw, by phase, operation and status (after the SDK's retries):")
    for (phase, operation, status), count in sorted(tally.errors.items()):
        print(f"    {phase:24} {operation:8} {status:16} {count}")
    if not tally.errors:
        print("    none")
    answered = Counter(ANSWER.findall(log))
    print(f"  server answers by status   {dict(sorted(answered.items()))}")
    hung = len(tally.hung) + len(stuck)
    tracebacks = log.count("Traceback (most recent call last)")
    print(f"  hung calls (> {HUNG_SECONDS:.0f} s)       {hung}  {tally.hung or ''}{stuck or ''}")
    print(f"  tracebacks in server log   {tracebacks}")
    for line in [line for line in log.splitlines() if "audit" in line.lower()][:10]:
        print(f"  server log: {line[:200]}")
    lost = figures["entries lost"] + figures["appeals lost"] + figures["audit lines lost"] + figures["raw values kept"]
    crashes = sum(count for status, count in answered.items() if status.startswith("5") and status != "503")
    bad = lost + figures["entries duplicated"] + hung + crashes + tracebacks
    print("soak: FAILED" if bad else "soak: nothing acknowledged was lost", flush=True)
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 60)))
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--no-faults", action="store_true", help="no SIGKILL, no restart: the baseline")
    args = parser.parse_args(argv)
    return soak(args.seconds, args.clients, args.workers, faults=not args.no_faults)


if __name__ == "__main__":
    sys.exit(main())
