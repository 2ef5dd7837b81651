"""Publishing the joint rules (规则公示)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..database import utcnow
from ..extensions import db
from ..lookups import joint_rules
from .common import actor, run


@click.group("rules")
def rules_group() -> None:
    """Joint rules documents."""


@rules_group.command("publish")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def publish(path: Path) -> None:
    """Publish a rules version from a TOML or JSON file (versions are immutable)."""
    rules = run(lambda: joint_rules.publish(db.session, joint_rules.read_rule_file(path), actor=actor(), now=utcnow()))
    click.echo(f"published rules {rules.version}, effective {rules.effective_at.isoformat()}")


@rules_group.command("show")
@with_appcontext
def show() -> None:
    """The version in force."""
    rules = run(lambda: joint_rules.current(db.session, utcnow()))
    click.echo(f"{rules.version} (effective {rules.effective_at.isoformat()})\n\n{rules.text_zh}\n\n{rules.text_en}")
