"""Access tokens: EdDSA JWTs the server issues and verifies.

Pure functions over a key set and an explicit clock. Time claims are checked
here against ``now`` rather than by PyJWT against the wall clock, so expiry
is testable without sleeping.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from ..errors import Unauthorized
from .signing import SigningKeySet

ACCESS_TOKEN_TTL = timedelta(minutes=15)
ACCESS_TOKEN_AUDIENCE = "federation-api"  # noqa: S105 - an audience name, not a secret
#: Private claim: the kid of the member key that signed the client assertion.
CLIENT_KID_CLAIM = "client_kid"


class InvalidToken(Unauthorized):
    code = "invalid_token"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    member_id: str
    scopes: frozenset[str]
    expires_at: datetime
    token_id: str
    #: The member key whose assertion obtained the token: revoking that key ends the token too.
    client_kid: str | None = None


def issue_access_token(
    key_set: SigningKeySet,
    *,
    issuer: str,
    member_id: str,
    scopes: frozenset[str],
    now: datetime,
    client_kid: str | None = None,
) -> tuple[str, datetime]:
    expires_at = now + ACCESS_TOKEN_TTL
    claims = {
        "iss": issuer,
        "sub": member_id,
        "aud": ACCESS_TOKEN_AUDIENCE,
        "scope": " ".join(sorted(scopes)),
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": secrets.token_urlsafe(16),
    }
    if client_kid is not None:
        claims[CLIENT_KID_CLAIM] = client_kid
    token = jwt.encode(claims, key_set.current.private_key, algorithm="EdDSA", headers={"kid": key_set.current.kid})
    return token, expires_at.replace(microsecond=0)


def verify_access_token(key_set: SigningKeySet, token: str, *, issuer: str, now: datetime) -> AccessClaims:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidToken("The access token is malformed.") from None
    key = key_set.find(header.get("kid"))
    if key is None or header.get("alg") != "EdDSA":
        raise InvalidToken("The access token was not issued by this server.")
    try:
        claims = jwt.decode(
            token,
            key.private_key.public_key(),
            algorithms=["EdDSA"],
            audience=ACCESS_TOKEN_AUDIENCE,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "jti"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        raise InvalidToken("The access token is invalid.") from None
    expires_at = datetime.fromtimestamp(claims["exp"], tz=now.tzinfo)
    if expires_at <= now:
        raise InvalidToken("The access token has expired.", code="token_expired")
    return AccessClaims(
        member_id=claims["sub"],
        scopes=frozenset(str(claims.get("scope", "")).split()),
        expires_at=expires_at,
        token_id=claims["jti"],
        client_kid=claims.get(CLIENT_KID_CLAIM) if isinstance(claims.get(CLIENT_KID_CLAIM), str) else None,
    )


class VerifiedTokenCache:
    """Remembers tokens already verified, until they expire.

    An EdDSA verification costs about half of a bare lookup request; a risk
    engine sends the same token thousands of times in its 15 minutes. The
    cache holds only tokens whose signature checked out, keyed by the exact
    token text, so a tampered token is never a hit.
    """

    def __init__(self, max_size: int = 10_000) -> None:
        self.max_size = max_size
        self._entries: OrderedDict[str, AccessClaims] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str, now: datetime) -> AccessClaims | None:
        with self._lock:
            claims = self._entries.get(token)
            if claims is None:
                return None
            if claims.expires_at <= now:
                del self._entries[token]
                return None
            self._entries.move_to_end(token)
            return claims

    def clear(self) -> None:
        """Forget every token: the signing keys changed, or a member's key was revoked."""
        with self._lock:
            self._entries.clear()

    def put(self, token: str, claims: AccessClaims) -> None:
        with self._lock:
            self._entries[token] = claims
            self._entries.move_to_end(token)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)
