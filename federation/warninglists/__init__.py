"""Warninglists: values that must never be listed (docs/warninglists.md).

Published test numbers, service hotlines, role mailboxes and shared networks
would match strangers; the server keeps their stored-hash form under every
accepted salt and refuses (or down-weights) listings that hit one, however
the member hashed them.
"""

from __future__ import annotations

from typing import Any

EXTENSION = "federation.warninglists"


def init_warninglists(app: Any) -> None:  # a Flask app; the package stays importable without Flask
    """Read the settings once: expansion limits, default region, where documents are kept."""
    from .service import Settings

    pepper = app.extensions["federation.identifiers"].pepper  # the documents' key derives from it
    app.extensions[EXTENSION] = Settings.from_config(app.config, app.instance_path, pepper)
