"""The ``federation`` command: operators' entry point.

It is Flask's CLI group bound to :func:`create_app`, so ``federation db upgrade``
(Flask-Migrate) and ``flask --app federation ...`` both work. Each command is a
thin call into a service; the command commits, as a request would.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from .database import utcnow
from .errors import FederationError
from .extensions import db
from .members import service as members
from .members.models import ROLES
from .members.signing import rotate


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _run(action):
    """Run a service call, commit, and turn domain errors into a clean exit."""
    try:
        result = action()
        db.session.commit()
        return result
    except FederationError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.detail or error} ({error.code})") from None


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="host:port to listen on")
@click.option("--workers", default=2, show_default=True, type=int, help="worker processes")
@click.option("--threads", default=4, show_default=True, type=int, help="threads per worker")
def serve(bind: str, workers: int, threads: int) -> None:
    """Run the server under gunicorn (each worker builds its own app)."""
    from .serving import run_gunicorn

    run_gunicorn(bind=bind, workers=workers, threads=threads)


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Create the demo member and its key pair (idempotent)."""
    from .demo import DEMO_KID, DEMO_MEMBER, ensure_demo_member

    folder = _run(lambda: ensure_demo_member(db.session, current_app.instance_path, now=utcnow()))
    click.echo(f"demo member {DEMO_MEMBER}, key {DEMO_KID}, private key {folder / 'private-key.pem'}")


# -- members ------------------------------------------------------------------------------------
@click.group("members")
def members_group() -> None:
    """Member platforms."""


def _member_line(member) -> str:
    roles = member.roles.replace(" ", ",") or "-"
    return "\t".join([member.id, member.status, roles, str(member.trust_weight), member.display_name])


@members_group.command("add")
@click.argument("member_id")
@click.option("--name", "display_name", required=True, help="display name")
@click.option("--roles", default="query", show_default=True, help=f"comma-separated: {','.join(ROLES)}")
@click.option("--contact", default="", help="operations contact")
@click.option("--trust-weight", default=1.0, show_default=True, type=click.FloatRange(0, 1))
@click.option("--activate", is_flag=True, help="start active instead of pending")
@with_appcontext
def members_add(member_id, display_name, roles, contact, trust_weight, activate) -> None:
    """Admit a member platform."""
    member = _run(
        lambda: members.add_member(
            db.session,
            member_id=member_id,
            display_name=display_name,
            roles=roles.split(","),
            contact=contact,
            trust_weight=trust_weight,
            status="active" if activate else "pending",
            actor=_actor(),
            now=utcnow(),
        )
    )
    click.echo(_member_line(member))


@members_group.command("list")
@with_appcontext
def members_list() -> None:
    """id, status, roles, trust weight, name: one member a line."""
    for member in members.list_members(db.session):
        click.echo(_member_line(member))


@members_group.command("show")
@click.argument("member_id")
@with_appcontext
def members_show(member_id) -> None:
    """A member and its keys, as JSON."""
    member = _run(lambda: members.get_member(db.session, member_id))
    click.echo(
        json.dumps(
            {
                "id": member.id,
                "display_name": member.display_name,
                "status": member.status,
                "roles": member.roles.split(),
                "trust_weight": member.trust_weight,
                "contact": member.contact,
                "created_at": member.created_at.isoformat(),
                "keys": [
                    {"kid": k.kid, "alg": k.alg, "active": k.active, "thumbprint": k.thumbprint} for k in member.keys
                ],
            },
            indent=1,
        )
    )


@members_group.command("suspend")
@click.argument("member_id")
@click.option("--reason", default="", help="recorded in the event")
@with_appcontext
def members_suspend(member_id, reason) -> None:
    """Refuse the member everywhere at once, live tokens included."""
    click.echo(
        _member_line(
            _run(
                lambda: members.set_status(
                    db.session, member_id, "suspended", actor=_actor(), now=utcnow(), reason=reason
                )
            )
        )
    )


@members_group.command("activate")
@click.argument("member_id")
@click.option("--reason", default="", help="recorded in the event")
@with_appcontext
def members_activate(member_id, reason) -> None:
    """Activate a pending or suspended member."""
    click.echo(
        _member_line(
            _run(
                lambda: members.set_status(db.session, member_id, "active", actor=_actor(), now=utcnow(), reason=reason)
            )
        )
    )


# -- keys ---------------------------------------------------------------------------------------
@click.group("keys")
def keys_group() -> None:
    """Members' public keys."""


@keys_group.command("add")
@click.argument("member_id")
@click.argument("key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kid", help="key id (default: the kid in the JWK, else the RFC 7638 thumbprint)")
@with_appcontext
def keys_add(member_id, key_file: Path, kid) -> None:
    """Register a public key from a PEM or JWK file."""
    text = key_file.read_text(encoding="utf-8")
    if not kid and text.lstrip().startswith("{"):
        kid = json.loads(text).get("kid")
    key = _run(lambda: members.add_key(db.session, member_id, text, kid=kid, actor=_actor(), now=utcnow()))
    click.echo(f"{key.kid}\t{key.alg}\t{key.thumbprint}")


@keys_group.command("list")
@click.argument("member_id")
@with_appcontext
def keys_list(member_id) -> None:
    """kid, algorithm, active/revoked, thumbprint: one key a line."""
    for key in _run(lambda: members.list_keys(db.session, member_id)):
        click.echo(f"{key.kid}\t{key.alg}\t{'active' if key.active else 'revoked'}\t{key.thumbprint}")


@keys_group.command("revoke")
@click.argument("member_id")
@click.argument("kid")
@with_appcontext
def keys_revoke(member_id, kid) -> None:
    """Revoke a key at once (operators may revoke a member's last key)."""
    key = _run(lambda: members.revoke_key(db.session, member_id, kid, actor=_actor(), now=utcnow(), allow_last=True))
    click.echo(f"{key.kid}\trevoked")


@click.command("signing-keys")
@click.argument("action", type=click.Choice(["rotate", "retire", "show"]))
@with_appcontext
def signing_keys(action) -> None:
    """rotate: add a new current key; retire: drop all but the current one; show: the JWKS.

    Restart (or HUP) the server after a change; wait 15 minutes between rotate
    and retire so tokens signed by the old key run out first.
    """
    path = Path(current_app.config.get("SIGNING_KEYS_FILE") or Path(current_app.instance_path) / "signing-keys.json")
    key_set = (
        current_app.extensions["federation.auth"].key_set
        if action == "show"
        else rotate(path, retire=action == "retire")
    )
    json.dump(key_set.jwks(), sys.stdout, indent=1)
    click.echo()


def register_commands(app: Flask) -> None:
    """Commands live on ``app.cli`` so ``flask --app federation`` and ``federation`` both see them."""
    for command in (serve, demo, members_group, keys_group, signing_keys):
        app.cli.add_command(command)


def _create_app() -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def cli() -> None:
    """Blacklist Federation server administration."""


def main() -> None:
    cli(prog_name="federation")
