"""Every exception the SDK raises derives from :class:`FederationClientError`.

Callers can catch one base class; identifier problems are also ``ValueError``
so that code written against plain validation idioms keeps working.
"""

from __future__ import annotations


class FederationClientError(Exception):
    """Base of every error raised by ``federation_client``."""


class InvalidIdentifier(FederationClientError, ValueError):
    """A raw identifier was rejected by the identifier spec.

    ``code`` is stable and machine-readable (``national_id.checksum``); the
    message is for people. The raw value is deliberately *not* kept on the
    exception: exceptions end up in logs, and raw identifiers must never be
    logged.
    """

    def __init__(self, type_: str, code: str, reason: str) -> None:
        self.type = type_
        self.code = code
        self.reason = reason
        super().__init__(f"invalid {type_}: {reason} ({code})")
