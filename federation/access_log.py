"""Access logs that name clients by a keyed tag, never by their address.

The privacy notice promises that a person's network address is kept only as a
keyed tag. Access logs are the first place an address lands: gunicorn's
``%(h)s`` and werkzeug's development-server line both print it raw. Here both
print ``HMAC(pepper, "access-log" address)`` cut to 12 hex digits instead:
enough to follow one client through a log, useless to anyone without the
pepper (which lives in the identifier secrets, never in the log). Headers that
carry addresses (``X-Forwarded-For``, ``Forwarded``, ``X-Real-IP``) are blanked
too, in case an operator adds them to the format.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.glogging import Logger as GunicornLogger

TAG_LENGTH = 12
ADDRESS_HEADERS = ("{x-forwarded-for}i", "{forwarded}i", "{x-real-ip}i")

#: Turns an address into its tag; set per process by :func:`init_access_log` (the pepper is the app's).
_tagger: Callable[[str], str] | None = None


def address_tag(address: str | None) -> str:
    if not address or address == "-" or _tagger is None:
        return "-"
    return _tagger(address)[:TAG_LENGTH]


class KeyedAccessLog(GunicornLogger):
    """gunicorn's logger (``logger_class``) with the client address replaced by its tag."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["h"] = address_tag(environ.get("REMOTE_ADDR"))
        for name in ADDRESS_HEADERS:
            if name in atoms:
                atoms[name] = "-"
        return atoms


class _WerkzeugAddressFilter(logging.Filter):
    """The development server writes the client address into the message: ``ADDRESS - - [date] ...``."""

    def filter(self, record: logging.LogRecord) -> bool:
        address, separator, rest = str(record.msg).partition(" - - [")
        if separator and " " not in address:
            record.msg = f"{address_tag(address.replace('%%', '%'))}{separator}{rest}"
        return True


_FILTER = _WerkzeugAddressFilter()


def init_access_log(app: Flask) -> None:
    """Tag addresses with this app's pepper in gunicorn's and werkzeug's access lines."""
    global _tagger
    secrets = app.extensions["federation.identifiers"]
    _tagger = lambda address: secrets.keyed_tag("access-log", address)  # noqa: E731
    werkzeug = logging.getLogger("werkzeug")
    if _FILTER not in werkzeug.filters:
        werkzeug.addFilter(_FILTER)
