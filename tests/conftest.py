"""Fixtures shared by the server tests.

Database tests run once per backend: the session-scoped ``app`` fixture is
parametrised over SQLite (a file in a temporary folder) and PostgreSQL (a
throw-away schema in ``FEDERATION_TEST_DATABASE_URL``). The schema is built by
running the Alembic migrations, never ``create_all``, so every test also
exercises them. After each test the tables are emptied rather than rolled
back: services commit for real, and a live server thread can share the data.

PostgreSQL that cannot be reached is skipped on a developer machine and is a
failure under ``CI=true``.
"""

from __future__ import annotations

import email.policy
import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ed25519
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy import SQLAlchemy
from werkzeug.serving import make_server

from federation import create_app
from federation.config import TestConfig
from federation.extensions import db as _db
from federation.members.assertions import ASSERTION_TYPE
from tests.support.members import add_member_with_key

#: The token endpoint as the Flask test client addresses it (``aud`` of test assertions).
TOKEN_URL = "http://localhost/v1/oauth/token"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", "postgresql"]


def postgres_base_url() -> str:
    return os.environ.get("FEDERATION_TEST_DATABASE_URL", DEFAULT_POSTGRES_URL)


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required under CI=true: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unreachable: {reason}")


@pytest.fixture(scope="session")
def make_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A factory of empty databases: ``make_database_url("sqlite")`` -> URL."""
    schemas: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'federation.db'}"
        base = postgres_base_url()
        try:
            engine = sa.create_engine(base)
            with engine.begin() as conn:
                schema = f"test_{uuid.uuid4().hex[:12]}"
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            engine.dispose()
        except sa.exc.OperationalError as exc:
            _postgres_unavailable(str(exc.orig).strip().splitlines()[0])
        schemas.append(schema)
        separator = "&" if "?" in base else "?"
        return f"{base}{separator}options={quote(f'-csearch_path={schema}')}"

    yield make
    if schemas:
        engine = sa.create_engine(postgres_base_url())
        with engine.begin() as conn:
            for schema in schemas:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


_SESSION_LOG: logging.Handler | None = None  # set by ``session_log``


@pytest.fixture(scope="session", autouse=True)
def session_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every log record of the session, also written to a file: ``test_zz_pii_scan`` reads it.

    The server's own loggers (``federation``, ``werkzeug``) log from INFO, the rest from their
    usual level; SQLAlchemy's statement log stays off, as in production.
    """
    global _SESSION_LOG
    path = tmp_path_factory.mktemp("logs") / "session.log"
    _SESSION_LOG = logging.FileHandler(path, encoding="utf-8")
    _SESSION_LOG.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
    server = logging.getLogger("federation")
    previous = server.level
    server.setLevel(logging.INFO)
    yield path
    server.setLevel(previous)
    logging.getLogger().removeHandler(_SESSION_LOG)
    _SESSION_LOG.close()


@pytest.fixture(autouse=True)
def _keep_the_session_log(session_log: Path) -> None:
    """Alembic's ``fileConfig`` (each migration run) replaces the root handlers: put ours back."""
    root = logging.getLogger()
    if _SESSION_LOG is not None and _SESSION_LOG not in root.handlers:
        root.addHandler(_SESSION_LOG)


def build_app(database_url: str, instance_path: str, **overrides: object) -> Flask:
    return create_app(TestConfig, {"DATABASE_URL": database_url, **overrides}, instance_path=instance_path)


@pytest.fixture(scope="session", params=BACKENDS)
def app(request: pytest.FixtureRequest, make_database_url, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on a migrated database, one per backend for the whole session."""
    application = build_app(make_database_url(request.param), str(tmp_path_factory.mktemp("instance")))
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[SQLAlchemy]:
    """The database inside an app context; every table is emptied afterwards."""
    with app.app_context():
        yield _db
        app.extensions["federation.lookups.audit"].flush()  # no audit line may land in the next test
        app.extensions["federation.lookups.sweeps"].reset()  # nor a sweep detector's counts (issue 13)
        # Rate limits and lookup budgets live outside the database, keyed by member ids and addresses
        # that the next test reuses: forget them too.
        app.extensions["federation.ratelimits"].reset()
        app.extensions["federation.lookups"].budget.counter.reset()
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def client(app: Flask, db: SQLAlchemy) -> FlaskClient:
    return app.test_client()


# -- members and real tokens --------------------------------------------------------------------
@dataclass
class Identity:
    """A member as seen from its own side: id, private key, kid."""

    member_id: str
    private_key: Any
    kid: str

    def assertion(self, audience: str = TOKEN_URL, **overrides: Any) -> str:
        return sign_assertion(self.private_key, self.kid, self.member_id, audience, **overrides)


def sign_assertion(
    private_key: Any,
    kid: str | None,
    member_id: str,
    audience: str = TOKEN_URL,
    *,
    algorithm: str | None = None,
    headers: dict | None = None,
    **overrides: Any,
) -> str:
    now = int(time.time())
    claims = {
        "iss": member_id,
        "sub": member_id,
        "aud": audience,
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        **overrides,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    alg = algorithm or ("EdDSA" if isinstance(private_key, ed25519.Ed25519PrivateKey) else "ES256")
    return jwt.encode(claims, private_key, algorithm=alg, headers={"kid": kid, **(headers or {})} if kid else headers)


@pytest.fixture
def make_member(db):
    """``make_member("acme", roles=["query"])`` -> :class:`Identity`, active, with one registered key."""

    def make(member_id: str, *, roles=("query",), status: str = "active", alg: str = "EdDSA") -> Identity:
        return create_member(db.session, member_id, roles=roles, status=status, alg=alg)

    return make


def create_member(session, member_id: str, *, roles=("query",), status: str = "active", alg: str = "EdDSA") -> Identity:
    """An active member with one registered key, committed; :func:`make_member` without the fixtures."""
    return Identity(*add_member_with_key(session, member_id, roles=roles, status=status, alg=alg))


class Auth:
    """Mints real access tokens through the token endpoint."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token_response(self, assertion: str, **form: str):
        return self.client.post(
            "/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion,
                **form,
            },
        )

    def token(self, identity: Identity, **form: str) -> str:
        response = self.token_response(identity.assertion(), **form)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    def headers(self, identity: Identity, **form: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(identity, **form)}"}


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


@pytest.fixture
def live_server(app: Flask, db) -> Iterator[str]:
    """The app on a real socket (127.0.0.1, a free port), for the SDK and HTTP clients."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def cli_result(app, db):
    """Run a ``federation`` command through Click against the test database; ``ok`` is the expected outcome."""
    runner = app.test_cli_runner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(args=list(args))
        assert (result.exit_code == 0) == ok, result.output
        return result

    return invoke


@pytest.fixture
def cli(cli_result):
    """Like ``cli_result``, returning the command's output."""
    return lambda *args, ok=True: cli_result(*args, ok=ok).output


def pytest_collection_modifyitems(config, items) -> None:
    """``@pytest.mark.postgresql`` tests are about PostgreSQL itself: only its backend runs them."""
    elsewhere = [
        item
        for item in items
        if item.get_closest_marker("postgresql")
        and getattr(item, "callspec", None)
        and item.callspec.params.get("app") != "postgresql"
    ]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if item not in elsewhere]


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say how many database tests ran on each backend, so a CI log shows PostgreSQL ran."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            for backend in BACKENDS:
                params = report.nodeid.rpartition("[")[2].rstrip("]").split("-")
                if backend in params and getattr(report, "when", "call") in ("call", "setup"):
                    if outcome == "passed" and report.when != "call":
                        continue
                    counts.setdefault(backend, {}).setdefault(outcome, 0)
                    counts[backend][outcome] += 1
    if not counts:
        return  # nothing ran (e.g. --collect-only)
    for backend in BACKENDS:
        figures = counts.get(backend, {})
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(figures.items())) or "none ran"
        terminalreporter.write_line(f"database backend {backend}: {summary}")


# -- a database of its own, to stop and restart -------------------------------------------------
@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    """A throw-away PostgreSQL cluster (``tests/support/pgcluster.py``), never the machine's server:
    fault tests stop and restart it. Skipped without PostgreSQL's server binaries (failed under CI).
    It lives for the session: apps built on it keep listener threads that would log its absence."""
    from tests.support.pgcluster import Cluster, postgres_bindir

    if postgres_bindir() is None:
        _postgres_unavailable("initdb/pg_ctl are not installed")
    cluster = Cluster().start()
    yield cluster
    cluster.destroy()


# -- a real mail server --------------------------------------------------------------------------
class Inbox:
    """Messages a real SMTP server (aiosmtpd) received, as parsed e-mails."""

    def __init__(self) -> None:
        self.url = ""
        self._received: queue.Queue[EmailMessage] = queue.Queue()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self._received.put(message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def next(self, timeout: float = 10) -> EmailMessage:
        return self._received.get(timeout=timeout)

    def empty(self) -> bool:
        return self._received.empty()


@pytest.fixture
def smtp_inbox() -> Iterator[Inbox]:
    """An SMTP server on 127.0.0.1; ``inbox.url`` is what ``FEDERATION_SMTP_URL`` would say."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{port}"
    yield inbox
    controller.stop()


@pytest.fixture
def salts(app: Flask, db) -> Iterator[Any]:
    """The app's identifier secrets; whatever a test does to the salts file is undone afterwards
    (the app, and so its salts file, lives for the whole session)."""
    secrets = app.extensions["federation.identifiers"]
    original = secrets.table
    yield secrets
    secrets.replace(original)


# -- Redis for rate limits and lookup budgets --------------------------------------------------------
@pytest.fixture
def limits_redis() -> Iterator[tuple[Any, str, str]]:
    """``(client, url, prefix)`` on a real Redis (``FEDERATION_TEST_LIMITS_REDIS_URL``, default db 12) with a
    key prefix of this test's own (other test runs may share the server); its keys are deleted afterwards.
    Skipped when Redis is unreachable, a failure under ``CI=true``."""
    import redis

    url = os.environ.get("FEDERATION_TEST_LIMITS_REDIS_URL", "redis://127.0.0.1:6379/12")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is required under CI=true: {exc}", pytrace=False)
        pytest.skip(f"Redis unreachable: {exc}")
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield client, url, prefix
    for key in client.scan_iter(f"*{prefix}*", count=1000):
        client.delete(key)
    client.close()


# -- a real webhook receiver ---------------------------------------------------------------------
class Receiver:
    """A real HTTP endpoint on 127.0.0.1 that records what it is sent and answers ``status``."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/federation-hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
