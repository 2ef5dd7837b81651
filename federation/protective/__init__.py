"""Protective registration: an identity-theft victim's identifiers never draw more than ``review``.

``models.py`` the registrations and their stored hashes; ``service.py`` who registers, confirms and
withdraws; ``flags.py`` how the flag reaches the one matching query; ``ladder.py`` the cap itself.
"""

from __future__ import annotations

from typing import Any


def init_protective(app: Any) -> None:  # a Flask app; the package itself stays Flask-free
    """The terms from configuration, once; and the listener that flags new listings of protected identifiers."""
    from .flags import init_protective_flags
    from .service import Terms

    app.extensions["federation.protective.terms"] = Terms.from_config(app.config)
    init_protective_flags()
