"""Every exception the SDK raises derives from :class:`FederationClientError`.

Server errors arrive as RFC 9457 problem details; :class:`ProblemError` and
its subclasses carry them whole (``.problem``), with the stable ``.code`` to
switch on. Identifier problems are also ``ValueError`` so that code written
against plain validation idioms keeps working.
"""

from __future__ import annotations

from typing import Any


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


class TransportError(FederationClientError):
    """The server could not be reached, or the connection broke (after the retries allowed)."""


class RequestTimeout(TransportError):
    """The server did not answer within the client's ``timeout`` (after the retries allowed)."""


class ProblemError(FederationClientError):
    """The server answered with an error; ``problem`` is its problem-details body."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        self.code: str = str(problem.get("code", "unknown"))
        self.detail: str = str(problem.get("detail", ""))
        self.errors: list[dict[str, Any]] = list(problem.get("errors") or [])
        super().__init__(f"{status} {self.code}: {self.detail}")


class BadRequest(ProblemError):
    """400/413/415/422: the request itself is wrong; ``errors`` lists the fields."""


class AuthenticationFailed(ProblemError):
    """401: no valid access token, or the client assertion was refused."""


class PermissionDenied(ProblemError):
    """403: authenticated, but not allowed (scope, suspension, another member's resource)."""


class NotFound(ProblemError):
    """404."""


class Conflict(ProblemError):
    """409: e.g. a case already listed with different content."""


class RateLimited(ProblemError):
    """429: slow down; ``retry_after`` is the server's hint in seconds, if any."""

    retry_after: float | None = None


class ServerError(ProblemError):
    """5xx after the retries allowed."""


def error_for(status: int, problem: dict[str, Any]) -> ProblemError:
    kinds: dict[int, type[ProblemError]] = {
        401: AuthenticationFailed,
        403: PermissionDenied,
        404: NotFound,
        409: Conflict,
        429: RateLimited,
    }
    kind = kinds.get(status) or (ServerError if status >= 500 else BadRequest)
    return kind(status, problem)
