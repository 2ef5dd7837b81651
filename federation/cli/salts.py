"""Rotating the federation salt: ``federation salts add | status | retire``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..database import utcnow
from ..entries import salt_rotation
from ..extensions import db
from .common import actor, run
from .warninglists import cover_salts


def _secrets():
    return current_app.extensions["federation.identifiers"]


@click.group("salts")
def salts_group() -> None:
    """The salts members hash identifiers with (docs/identifiers.md, "Rotating the salt")."""


@salts_group.command("add")
@click.option("--key-id", help="the new salt's key id (default: today's date, YYYY-MM-DD)")
@with_appcontext
def add(key_id: str | None) -> None:
    """Add a new current salt; the previous one stays accepted."""
    table = run(lambda: salt_rotation.add_salt(db.session, _secrets(), key_id, actor=actor(), now=utcnow()))
    others = ", ".join(sorted(set(table.salts) - {table.current_key_id}))
    click.echo(f"current salt is now {table.current_key_id}; still accepted: {others}")
    click.echo(cover_salts())


@salts_group.command("status")
@with_appcontext
def show_status() -> None:
    """Per key id: live entries held under it, how many still lack the current salt, how many only it keeps."""
    rows = run(lambda: salt_rotation.status(db.session, _secrets(), now=utcnow()))
    click.echo(f"{'key id':<32} {'status':<9} {'entries':>8} {'to re-key':>10} {'only here':>10}")
    for row in rows:
        click.echo(f"{row.key_id:<32} {row.status:<9} {row.entries:>8} {row.lacking_current:>10} {row.only_here:>10}")


@salts_group.command("retire")
@click.argument("key_id")
@click.option(
    "--force", is_flag=True, help="retire even though live entries would stop matching or reinsertion guards go blind"
)
@with_appcontext
def retire(key_id: str, force: bool) -> None:
    """Stop accepting a salt; refused while live entries or reinsertion guards are held under it alone."""
    done = run(
        lambda: salt_rotation.retire_salt(db.session, _secrets(), key_id, force=force, actor=actor(), now=utcnow())
    )
    if done.stranded:
        click.echo(f"FORCED: {done.stranded} live entries no longer match any lookup", err=True)
    if done.blind_guards:
        click.echo(f"FORCED: {done.blind_guards} reinsertion guards no longer catch re-listings", err=True)
    click.echo(f"retired {key_id}; removed {done.removed_hashes} hashes now covered by another salt")
    click.echo(cover_salts())
