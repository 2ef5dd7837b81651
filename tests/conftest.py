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

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy import SQLAlchemy

from federation import create_app
from federation.config import TestConfig
from federation.extensions import db as _db

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
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def client(app: Flask, db: SQLAlchemy) -> FlaskClient:
    return app.test_client()
