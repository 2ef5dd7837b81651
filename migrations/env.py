"""Alembic environment, driven by Flask-Migrate inside an app context.

The target metadata is the app's, with every concern's models imported
(``federation.models``), so autogenerate and the drift test see the whole
schema. ``render_as_batch`` (set on ``Migrate``) lets ALTERs work on SQLite.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

import federation.models  # noqa: F401  (registers every table on the metadata)

config = context.config
if config.config_file_name is not None:
    # Keep the app's own loggers alive: the default would disable them.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``federation db upgrade --sql``) for DBAs who review it."""
    url = migrate_ext.db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, **migrate_ext.configure_args)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def skip_empty_autogenerate(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    configure_args = dict(migrate_ext.configure_args)
    configure_args.setdefault("process_revision_directives", skip_empty_autogenerate)
    with migrate_ext.db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, **configure_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
