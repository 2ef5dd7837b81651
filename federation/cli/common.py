"""Helpers every command uses: who acts, and how a service call ends."""

from __future__ import annotations

import getpass

import click

from ..errors import FederationError
from ..extensions import db


def actor() -> str:
    return f"cli:{getpass.getuser()}"


def run(action):
    """Run a service call, commit, and turn domain errors into a clean exit."""
    try:
        result = action()
        db.session.commit()
        return result
    except FederationError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.detail or error} ({error.code})") from None
