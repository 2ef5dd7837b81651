"""Entries in bulk: import historical cases, export a member's entries, purge."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..api.schemas.entries import EntrySchema, load_submission
from ..database import utcnow
from ..entries import expiry, importing
from ..entries import service as entries
from ..extensions import db
from ..members import service as members
from .common import run


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--member", "member_id", required=True, help="the member the cases belong to")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), help="default: from the file name")
@with_appcontext
def import_command(path: Path, member_id: str, fmt: str | None) -> None:
    """Import cases with raw identifiers (hashed here, never stored). Safe to re-run."""
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    run(lambda: members.get_member(db.session, member_id))
    secrets = current_app.extensions["federation.identifiers"]
    policy = current_app.extensions["federation.entries.policy"]
    with click.progressbar(length=importing.count_rows(path, fmt), label=f"importing {path.name}") as bar:
        report = importing.import_rows(
            db.session,
            member_id,
            importing.read_rows(path, fmt),
            fmt=fmt,
            validate=load_submission,
            policy=policy,
            identifier_secrets=secrets,
            now=utcnow(),
            progress=bar.update,
        )
    for line, code, errors in report.problems[:50]:
        where = "; ".join(f"{e['pointer']}: {e['detail']}" for e in errors) or code
        click.echo(f"line {line}: {code}: {where}", err=True)
    if len(report.problems) > 50:
        click.echo(f"... and {len(report.problems) - 50} more rejected rows", err=True)
    click.echo(f"created {report.created}, already listed {report.existing}, rejected {report.rejected}")


@click.command("export")
@click.option("--member", "member_id", required=True)
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-", help="JSON Lines file (default stdout)")
@with_appcontext
def export_command(member_id: str, out) -> None:
    """A member's entries as JSON Lines (no identifier hashes: the server keeps none it could give back)."""
    run(lambda: members.get_member(db.session, member_id))
    schema, cursor, total = EntrySchema(), None, 0
    while True:
        page, cursor = entries.list_own_entries(db.session, member_id, limit=200, cursor=cursor)
        for entry in page:
            out.write(json.dumps(schema.dump(entry), ensure_ascii=False) + "\n")
        total += len(page)
        if cursor is None:
            break
    click.echo(f"exported {total} entries", err=True)


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Expire entries past their term and delete identifier hashes of ended entries (cron-able)."""
    report = run(lambda: expiry.purge(db.session, now=utcnow()))
    click.echo(f"expired {report.expired}, purged identifiers of {report.purged} entries")
