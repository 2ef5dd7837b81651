"""Migrations are code under test: they build the schema and match the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from federation import models


def schema_drift(db) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, models.Base.metadata)


def test_models_and_migrations_do_not_drift(db):
    assert schema_drift(db) == []


def test_full_downgrade_then_upgrade_restores_the_schema(db):
    tables_at_head = set(sa.inspect(db.engine).get_table_names())
    downgrade(revision="base")
    assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert set(sa.inspect(db.engine).get_table_names()) == tables_at_head
    assert schema_drift(db) == []
