"""The ``federation`` command: operators' entry point.

It is Flask's CLI group bound to :func:`create_app`, so ``federation db upgrade``
(Flask-Migrate) and ``flask --app federation ...`` both work. Each command is a
thin call into a service; the command commits, as a request would.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from .alerts import alerts_group
from .due_process import appeals_group, disputes_group, holds_group, tick
from .entries import export_command, import_command, purge_command
from .members import keys_group, members_group
from .protective import protective_group
from .reputation import members_trust  # noqa: F401  (adds `members trust|probation|standing`)
from .rules import rules_group
from .salts import salts_group
from .server import demo, serve, signing_keys
from .warninglists import warninglists_group


def register_commands(app: Flask) -> None:
    """Commands live on ``app.cli`` so ``flask --app federation`` and ``federation`` both see them."""
    for command in (
        serve,
        demo,
        members_group,
        keys_group,
        signing_keys,
        import_command,
        export_command,
        purge_command,
        rules_group,
        salts_group,
        tick,
        disputes_group,
        appeals_group,
        holds_group,
        warninglists_group,
        alerts_group,
        protective_group,
    ):
        app.cli.add_command(command)


def _create_app() -> Flask:
    from .. import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def cli() -> None:
    """Blacklist Federation server administration."""


def main() -> None:
    cli(prog_name="federation")
