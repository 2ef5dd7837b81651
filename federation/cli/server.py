"""Running the server and its own secrets: serve, demo, signing keys."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..database import utcnow
from ..extensions import db
from ..members.signing import rotate
from .common import run


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="host:port to listen on")
@click.option("--workers", type=int, help="worker processes  [default: 2 per CPU + 1, or FEDERATION_WORKERS]")
@click.option("--threads", type=int, help="threads per worker  [default: 4, or FEDERATION_THREADS]")
def serve(bind: str, workers: int | None, threads: int | None) -> None:
    """Run the server under gunicorn with docker/gunicorn.conf.py's settings (federation/serving.py)."""
    from ..serving import run_gunicorn

    run_gunicorn(bind=bind, workers=workers, threads=threads)


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Create the demo member and its key pair (idempotent)."""
    from ..demo import DEMO_KID, DEMO_MEMBER, ensure_demo_member

    folder = run(lambda: ensure_demo_member(db.session, current_app.instance_path, now=utcnow()))
    click.echo(f"demo member {DEMO_MEMBER}, key {DEMO_KID}, private key {folder / 'private-key.pem'}")


@click.command("signing-keys")
@click.argument("action", type=click.Choice(["rotate", "retire", "show"]))
@with_appcontext
def signing_keys(action) -> None:
    """rotate: add a new current key; retire: drop all but the current one; show: the JWKS.

    Running workers re-read the key file on their next request. Wait 15 minutes
    between rotate and retire so tokens signed by the old key run out first; to
    revoke a compromised key, rotate and retire at once (its tokens stop working).
    """
    auth = current_app.extensions["federation.auth"]
    key_set = auth.key_set if action == "show" else rotate(auth.key_set_path, retire=action == "retire")
    json.dump(key_set.jwks(), sys.stdout, indent=1)
    click.echo()
