"""``federation warninglists import FILE | defaults | list | enable | disable | remove NAME``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..database import utcnow
from ..extensions import db
from ..warninglists import EXTENSION
from ..warninglists import service as warninglists
from .common import actor, run


def _context() -> dict:
    return {
        "identifier_secrets": current_app.extensions["federation.identifiers"],
        "settings": current_app.extensions[EXTENSION],
        "actor": actor(),
        "now": utcnow(),
    }


def _report(result: warninglists.Imported) -> None:
    wl = result.warninglist
    for index, reason in result.skipped:
        click.echo(f"warning: {wl.name}: list[{index}] not hashed: {reason}", err=True)
    click.echo(
        f"{'imported' if result.created else 'replaced'} {wl.name!r} (v{wl.version}, {wl.action}"
        f"{f' x{wl.weight:g}' if wl.action == 'downweight' else ''}): {wl.hashed_values} values under "
        f"{', '.join(wl.key_ids)}, {wl.skipped_values} skipped, {result.marked} listed identifiers marked"
    )


@click.group("warninglists")
def warninglists_group() -> None:
    """Values never to be listed: test numbers, hotlines, shared networks (docs/warninglists.md)."""


@warninglists_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_file(file: Path) -> None:
    """Import (or replace, by name) a MISP warninglist JSON file."""
    try:
        document = json.loads(file.read_text("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise click.ClickException(f"{file}: not a JSON document ({type(error).__name__})") from None
    _report(run(lambda: warninglists.import_list(db.session, document, **_context())))


@warninglists_group.command("defaults")
@with_appcontext
def import_defaults() -> None:
    """Import the lists that ship with the project; unchanged ones are left as they are."""
    results = run(lambda: warninglists.import_defaults(db.session, **_context()))
    for result in results:
        _report(result)
    if not results:
        click.echo("default warninglists are up to date")


@warninglists_group.command("list")
@with_appcontext
def list_command() -> None:
    """Every imported list: action, weight, values hashed and salts covered."""
    click.echo(f"{'name':<48} {'type':<8} {'action':<10} {'weight':>6} {'values':>8} {'state':<8} salts")
    for wl in warninglists.list_all(db.session):
        click.echo(
            f"{wl.name[:48]:<48} {wl.kind:<8} {wl.action:<10} {wl.weight:>6g} {wl.hashed_values:>8} "
            f"{'enabled' if wl.enabled else 'disabled':<8} {','.join(wl.key_ids)}"
        )


@warninglists_group.command("remove")
@click.argument("name")
@with_appcontext
def remove(name: str) -> None:
    """Delete a list, its hashes and its marks."""
    settings = current_app.extensions[EXTENSION]
    run(
        lambda: warninglists.remove(
            db.session, warninglists.by_name(db.session, name), settings=settings, actor=actor(), now=utcnow()
        )
    )
    click.echo(f"removed {name!r}")


def _switch(name: str, enabled: bool) -> None:
    found = warninglists.by_name(db.session, name)
    warninglists.set_enabled(db.session, found, enabled, actor=actor(), now=utcnow())


@warninglists_group.command("enable")
@click.argument("name")
@with_appcontext
def enable(name: str) -> None:
    """Apply a disabled list again."""
    run(lambda: _switch(name, True))
    click.echo(f"enabled {name!r}")


@warninglists_group.command("disable")
@click.argument("name")
@with_appcontext
def disable(name: str) -> None:
    """Stop applying a list without deleting it."""
    run(lambda: _switch(name, False))
    click.echo(f"disabled {name!r}")


def cover_salts() -> str:
    """After a salt is added or retired, and on every tick: the lists' hashes follow the accepted salts."""
    done = run(lambda: warninglists.cover_salts(db.session, **_context()))
    if done.uncovered:
        names = ", ".join(done.uncovered)
        click.echo(f"warning: warninglists without their document, re-import them: {names}", err=True)
    return f"warninglists hashed under new salts {len(done.covered)}, hashes of retired salts dropped {done.dropped}"
