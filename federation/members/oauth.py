"""The client-credentials grant: a verified assertion in, an access token out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ..errors import BadRequest, Forbidden
from .access import read_access
from .assertions import ASSERTION_TYPE, InvalidClient, verify_client_assertion
from .replay import ReplayStore
from .service import assertion_keys
from .signing import SigningKeySet
from .tokens import ACCESS_TOKEN_TTL, issue_access_token


class OAuthRequestError(BadRequest):
    """RFC 6749 section 5.2 errors; ``code`` doubles as the OAuth ``error`` value."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret


def grant_client_credentials(
    session: Session,
    form: dict[str, str],
    *,
    token_url: str,
    issuer: str,
    key_set: SigningKeySet,
    replay_store: ReplayStore,
    now: datetime,
) -> IssuedToken:
    if form.get("grant_type") != "client_credentials":
        raise OAuthRequestError("Only grant_type=client_credentials is supported.", code="unsupported_grant_type")
    if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
        raise InvalidClient(f"Authenticate with client_assertion_type={ASSERTION_TYPE} and a client_assertion.")
    verified = verify_client_assertion(
        form["client_assertion"], token_url=token_url, now=now, keys_for=lambda mid: assertion_keys(session, mid)
    )
    if form.get("client_id") and form["client_id"] != verified.member_id:
        raise InvalidClient("client_id does not match the assertion's issuer.")
    access = read_access(session, verified.member_id)
    status = access.status if access is not None else "missing"
    if status != "active":
        raise Forbidden(f"Member {verified.member_id} is {status}.", code=f"member_{status}")
    scopes = _granted_scopes(form.get("scope"), access.roles)
    if not replay_store.claim(verified.member_id, verified.jti, verified.replay_until, now):
        raise InvalidClient("That client assertion was already used (jti replay).", code="assertion_replayed")
    token, _ = issue_access_token(
        key_set, issuer=issuer, member_id=verified.member_id, scopes=scopes, now=now, client_kid=verified.kid
    )
    return IssuedToken(
        access_token=token, expires_in=int(ACCESS_TOKEN_TTL.total_seconds()), scope=" ".join(sorted(scopes))
    )


def _granted_scopes(requested: str | None, roles: frozenset[str]) -> frozenset[str]:
    if not requested:
        return roles
    wanted = frozenset(requested.split())
    if not wanted <= roles:
        missing = ", ".join(sorted(wanted - roles))
        raise OAuthRequestError(f"The member does not hold: {missing}.", code="invalid_scope")
    return wanted
