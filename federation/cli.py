"""The ``federation`` command: operators' entry point.

It is Flask's CLI group bound to :func:`create_app`, so ``federation db upgrade``
(Flask-Migrate) and ``flask --app federation ...`` both work. Each command is a
thin call into a service.
"""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from . import create_app


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=True)
def cli() -> None:
    """Blacklist Federation server administration."""


@cli.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="host:port to listen on")
@click.option("--workers", default=2, show_default=True, type=int, help="worker processes")
@click.option("--threads", default=4, show_default=True, type=int, help="threads per worker")
def serve(bind: str, workers: int, threads: int) -> None:
    """Run the server under gunicorn (each worker builds its own app)."""
    from .serving import run_gunicorn

    run_gunicorn(bind=bind, workers=workers, threads=threads)


def main() -> None:
    cli(prog_name="federation")
