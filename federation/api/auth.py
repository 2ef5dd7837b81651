"""Bearer-token authentication and scope checks for API handlers.

``@requires("query")`` sits directly under ``@blp.route`` so it runs before
the body is parsed: a stranger gets 401, never a validation error. Each call
checks the member's *current* status and roles, so a suspension or a removed
role bites on the next request even while the token is still live; the
expensive signature check is cached per token, and the status from a worker
cache that every change to a member invalidates (``members/access.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, request

from ..database import utcnow
from ..errors import Forbidden, Unauthorized
from ..extensions import db
from ..members.access import AccessCache, signal_for, watch_member_changes
from ..members.replay import DatabaseReplayStore, RedisReplayStore, ReplayStore
from ..members.signing import KeyFile, SigningKeySet
from ..members.tokens import AccessClaims, InvalidToken, VerifiedTokenCache, verify_access_token

REALM = 'Bearer realm="blacklist-federation"'
#: The OpenAPI security scheme every protected operation names (``register_blueprints``).
SECURITY_SCHEME = "oauth2"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated member behind a request, with the scopes in force now."""

    member_id: str
    scopes: frozenset[str]
    daily_lookup_quota: int | None = None
    declared_daily_lookups: int | None = None


@dataclass
class AuthState:
    #: The server's signing keys, re-read when ``federation signing-keys`` changes the file.
    key_file: KeyFile
    cache: VerifiedTokenCache
    #: Members' status and roles per worker, invalidated on change (``members/access.py``).
    access: AccessCache
    issuer: str
    redis: Any = None

    def __post_init__(self) -> None:
        # Tokens verified with a key that left the file must be verified again (and fail).
        self.key_file.on_change = lambda _keys: self.cache.clear()

    @property
    def key_set(self) -> SigningKeySet:
        return self.key_file.current()

    @key_set.setter
    def key_set(self, key_set: SigningKeySet) -> None:
        self.key_file.key_set = key_set

    @property
    def key_set_path(self) -> Path:
        """Where the key set lives, for ``federation signing-keys`` to rotate."""
        return self.key_file.path

    def replay_store(self) -> ReplayStore:
        return RedisReplayStore(self.redis) if self.redis is not None else DatabaseReplayStore(db.session)


def init_auth(app: Flask) -> None:
    path = Path(app.config.get("SIGNING_KEYS_FILE") or Path(app.instance_path) / "signing-keys.json")
    redis_client = None
    if app.config.get("REDIS_URL"):
        import redis

        redis_client = redis.Redis.from_url(app.config["REDIS_URL"])
    with app.app_context():
        signal = signal_for(db.engine)
        if signal is not None:
            watch_member_changes(db.engine, signal)
    app.extensions["federation.auth"] = AuthState(
        key_file=KeyFile(path),
        cache=VerifiedTokenCache(),
        access=AccessCache(signal),
        issuer=app.config["ISSUER"],
        redis=redis_client,
    )


def auth_state() -> AuthState:
    return current_app.extensions["federation.auth"]


def token_url() -> str:
    """The token endpoint's URL as members must write it in ``aud``."""
    base = current_app.config.get("PUBLIC_URL") or request.url_root
    return base.rstrip("/") + "/v1/oauth/token"


def authenticate(scopes: tuple[str, ...]) -> Principal:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send an access token: Authorization: Bearer <token>.", headers={"WWW-Authenticate": REALM})
    state = auth_state()
    try:
        claims = _verified_claims(state, token)
    except InvalidToken as error:
        error.headers["WWW-Authenticate"] = f'{REALM}, error="invalid_token"'
        raise
    access = state.access.get(db.session, claims.member_id)
    status = access.status if access is not None else "missing"
    if status != "active":
        raise Forbidden(f"Member {claims.member_id} is {status}.", code=f"member_{status}")
    if claims.client_kid is not None and claims.client_kid not in access.active_kids:
        raise InvalidToken(
            "The key that obtained this access token was revoked.",
            code="key_revoked",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    granted = claims.scopes & access.roles
    if scopes and not granted & set(scopes):
        raise Forbidden(
            f"This needs the {' or '.join(scopes)} scope.",
            code="insufficient_scope",
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{" ".join(scopes)}"'},
        )
    return Principal(
        member_id=claims.member_id,
        scopes=granted,
        daily_lookup_quota=access.daily_lookup_quota,
        declared_daily_lookups=access.declared_daily_lookups,
    )


def token_member_id() -> str | None:
    """The member a valid bearer token names, else None; for rate-limit keys, before ``requires`` runs.

    The signature is checked once: the verified claims go to the same cache ``authenticate`` reads, so
    the view's own check costs a dictionary lookup. Status, roles and scope are ``authenticate``'s business.
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return _verified_claims(auth_state(), token).member_id
    except InvalidToken:
        return None


def _verified_claims(state: AuthState, token: str) -> AccessClaims:
    """The token's claims, from the cache or verified once and cached; ``InvalidToken`` otherwise."""
    now = utcnow()
    # The key file first (one stat): a key retired by another process empties the cache of
    # tokens it verified before any of them is served from it.
    key_set = state.key_set
    claims = state.cache.get(token, now)
    if claims is None:
        claims = verify_access_token(key_set, token, issuer=state.issuer, now=now)
        state.cache.put(token, claims)
    return claims


def requires(*scopes: str) -> Callable:
    """Require a valid token holding any one of ``scopes`` (none: any active member)."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.principal = authenticate(scopes)
            return view(*args, **kwargs)

        wrapper.required_scopes = scopes  # read by the test that every /v1 endpoint declares one
        doc = getattr(wrapper, "_apidoc", {}).setdefault("manual_doc", {})
        # OpenAPI ANDs the scopes inside one requirement and ORs the requirements: any one scope will do.
        doc["security"] = [{SECURITY_SCHEME: [scope]} for scope in scopes] or [{SECURITY_SCHEME: []}]
        return wrapper

    return decorator


def public(view: Callable) -> Callable:
    """Mark an endpoint as open to anyone, deliberately (the scope test checks for one or the other)."""
    view.public = True
    return view


def current_principal() -> Principal:
    return g.principal


def ensure_self_or_admin(principal: Principal, member_id: str) -> None:
    """Members act on their own resources; only admins act on another's."""
    if principal.member_id != member_id and "admin" not in principal.scopes:
        raise Forbidden("That resource belongs to another member.", code="not_your_resource")
