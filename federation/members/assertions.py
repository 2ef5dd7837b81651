"""Verifying RFC 7523 client assertions (OAuth ``private_key_jwt``).

A member proves who it is by signing a short-lived JWT with its private key:
``iss`` = ``sub`` = its member id, ``aud`` = our token endpoint URL, ``exp`` at
most 60 minutes ahead, a fresh ``jti``. This module checks everything that
needs only the assertion, the member's public keys and a clock; the caller
then checks the member's status and spends the ``jti``.

The algorithm is taken from the registered key, never from the token, so
``alg: none`` and HS256-signed-with-the-public-key forgeries have nothing to
verify against.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from jwt.algorithms import OKPAlgorithm

from ..errors import Unauthorized
from .keys import PublicKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Header ``alg`` values accepted for each stored key algorithm. RFC 9864 deprecates the
#: polymorphic ``EdDSA`` for the fully specified ``Ed25519``; clients send either.
HEADER_ALGORITHMS = {"EdDSA": ("EdDSA", "Ed25519"), "ES256": ("ES256",)}
ALLOWED_ALGORITHMS = tuple(alg for algs in HEADER_ALGORITHMS.values() for alg in algs)
REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "jti")
#: The common ceiling; authlib and most clients default to one hour.
MAX_LIFETIME = timedelta(minutes=60)
#: Tolerated clock difference between a member's servers and ours.
CLOCK_SKEW = timedelta(seconds=60)
MAX_JTI_LENGTH = 255

#: Signature checks only; claims are checked below against an explicit clock.
_JWS = jwt.PyJWS()
_JWS.register_algorithm("Ed25519", OKPAlgorithm())


class InvalidClient(Unauthorized):
    code = "invalid_client"


@dataclass(frozen=True, slots=True)
class AssertionKey:
    kid: str
    alg: str
    public_key: PublicKey


@dataclass(frozen=True, slots=True)
class VerifiedAssertion:
    member_id: str
    jti: str
    expires_at: datetime
    kid: str

    @property
    def replay_until(self) -> datetime:
        """How long the ``jti`` must be remembered: as long as :func:`_check_times` would still accept it.

        An assertion is accepted up to ``CLOCK_SKEW`` after its ``exp``; a record kept only until
        ``exp`` would let the same assertion be spent again in that minute.
        """
        return self.expires_at + CLOCK_SKEW


def verify_client_assertion(
    assertion: str,
    *,
    token_url: str,
    now: datetime,
    keys_for: Callable[[str], list[AssertionKey]],
) -> VerifiedAssertion:
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InvalidClient("The client assertion is not a well-formed JWT.") from None
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALLOWED_ALGORITHMS:
        raise InvalidClient("The client assertion must be signed with Ed25519 (EdDSA) or ES256.")
    member_id = unverified.get("iss")
    # A member id is at most 64 characters and never holds U+0000 (which PostgreSQL cannot even compare).
    if not isinstance(member_id, str) or not 0 < len(member_id) <= 64 or "\x00" in member_id:
        raise InvalidClient("The client assertion needs iss and sub, both equal to the member id.")
    if unverified.get("sub") != member_id:
        raise InvalidClient("The client assertion needs iss and sub, both equal to the member id.")
    candidates = [
        key for key in keys_for(member_id) if alg in HEADER_ALGORITHMS[key.alg] and (kid is None or key.kid == kid)
    ]
    claims, key_id = _verified_claims(assertion, candidates, alg, token_url)
    _check_times(claims, now)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
        raise InvalidClient("The client assertion needs a jti of 1 to 255 characters.")
    return VerifiedAssertion(
        member_id=member_id, jti=jti, expires_at=datetime.fromtimestamp(claims["exp"], tz=now.tzinfo), kid=key_id
    )


def _verified_claims(assertion: str, candidates: list[AssertionKey], alg: str, token_url: str) -> tuple[dict, str]:
    """The claims and the kid of the key whose signature checks out."""
    for key in candidates:
        try:
            payload = _JWS.decode(assertion, key.public_key, algorithms=list(HEADER_ALGORITHMS[key.alg]))
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError:
            raise InvalidClient("The client assertion could not be verified.") from None
        claims = json.loads(payload)
        missing = [name for name in REQUIRED_CLAIMS if claims.get(name) in (None, "")]
        if missing:
            raise InvalidClient(f"The client assertion lacks the {missing[0]} claim.")
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if token_url not in audiences:
            raise InvalidClient(f"The client assertion's aud must be {token_url}.", code="invalid_audience")
        return claims, key.kid
    # Unknown member, unknown or revoked kid, or a bad signature: one answer for all,
    # so the endpoint does not tell strangers which member ids and keys exist.
    raise InvalidClient("The client assertion is not signed by an active key of that member.")


def _check_times(claims: dict, now: datetime) -> None:
    def moment(name: str) -> datetime | None:
        value = claims.get(name)
        if value is None:
            return None
        if not isinstance(value, int | float):
            raise InvalidClient(f"The client assertion's {name} must be a number.")
        return datetime.fromtimestamp(value, tz=now.tzinfo)

    expires, issued, not_before = moment("exp"), moment("iat"), moment("nbf")
    if expires is None or expires <= now - CLOCK_SKEW:
        raise InvalidClient("The client assertion has expired.", code="assertion_expired")
    if expires > now + MAX_LIFETIME + CLOCK_SKEW:
        raise InvalidClient("The client assertion's exp is more than 60 minutes ahead.", code="assertion_lifetime")
    if issued is not None and issued > now + CLOCK_SKEW:
        raise InvalidClient("The client assertion's iat is in the future.", code="assertion_not_yet_valid")
    if not_before is not None and not_before > now + CLOCK_SKEW:
        raise InvalidClient("The client assertion is not valid yet (nbf).", code="assertion_not_yet_valid")
