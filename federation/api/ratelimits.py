"""Request rate limits on every endpoint (flask-limiter), keyed by member or by client address.

Three application-wide limits, each a fixed window in the limits storage
(``config.limits_storage_uri``: Redis shared by every worker when
``FEDERATION_REDIS_URL`` is set, else each worker's memory):

* ``RATE_LIMIT_MEMBER``: requests per member, for any request bearing a valid
  access token. The key is the member id, read from the token *before* the view
  runs (the limiter checks in ``before_request``); the signature is verified once
  and cached for ``requires`` (``auth.token_member_id``).
* ``RATE_LIMIT_PUBLIC``: requests per client address, for everything else
  (the token endpoint, appeals and their pages, salts, rules, the OpenAPI
  document, and requests whose token does not verify).
* ``RATE_LIMIT_OAUTH``: the token endpoint per client address, on top.

``/healthz`` is exempt (load balancers poll it). The client address is the one
``ProxyFix`` settles (``TRUSTED_PROXIES``) and reaches the storage only as a
peppered tag (``keyed_tag("rate-limit", address)``, 16 hex digits): Redis keys
are storage, and the privacy notice promises an address is never kept.

A refusal is ``429`` problem+json (``too_many_requests``) with ``Retry-After``
and ``RateLimit-Limit``/``RateLimit-Remaining``/``RateLimit-Reset`` on every
limited answer (``RateLimit-Reset`` in seconds from now, as the IETF draft says,
not flask-limiter's epoch). Pages answer the same refusal in words
(``web/pages.py``).

When Redis does not answer the limiter fails open *to memory*: each worker
counts on its own (``in_memory_fallback_enabled``) with a logged warning, and
returns to Redis when it answers again. No request fails because the limits
storage is down; the lookup budget (``lookups/budget.py``) does the same.
"""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, request
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.constants import HeaderNames

from ..config import limits_storage_uri
from .auth import token_member_id

#: Endpoints no request limit applies to: health checks, and lookups, which the member's lookup budget
#: and burst limit in identifiers (``lookups/budget.py``, leased from Redis in blocks instead of flask-limiter's
#: three round trips per request).
EXEMPT_ENDPOINTS = frozenset({"health.healthz", "static", "web.static", "lookups.lookup"})
OAUTH_ENDPOINT = "oauth.issue_token"
ADDRESS_TAG_LENGTH = 16
HEADERS = {
    HeaderNames.LIMIT: "RateLimit-Limit",
    HeaderNames.REMAINING: "RateLimit-Remaining",
    HeaderNames.RESET: "RateLimit-Reset",
    HeaderNames.RETRY_AFTER: "Retry-After",
}


_MEMBER = "federation.rate_limit_member"


def _member() -> str | None:
    """The member behind this request's token, worked out once per request (kept in the WSGI environ:
    ``g`` belongs to the app context, which a test's requests may share)."""
    environ = request.environ
    if _MEMBER not in environ:
        environ[_MEMBER] = token_member_id()
    return environ[_MEMBER]


def member_key() -> str:
    return f"member:{_member()}"


def address_key() -> str:
    secrets = current_app.extensions["federation.identifiers"]
    return "address:" + secrets.keyed_tag("rate-limit", request.remote_addr or "-")[:ADDRESS_TAG_LENGTH]


def token_address_key() -> str:
    return "token-" + address_key()


def _is_member() -> bool:
    return _member() is not None


def _not_member() -> bool:
    return _member() is None


def _not_oauth_endpoint() -> bool:
    return request.endpoint != OAUTH_ENDPOINT


def _message() -> str:
    return "Too many requests; slow down and retry after the time in Retry-After."


def init_rate_limits(app: Flask) -> Limiter:
    """One limiter per app (the tests run two apps in one process)."""
    limiter = Limiter(
        key_func=address_key,
        application_limits=[
            ApplicationLimit(
                lambda: current_app.config["RATE_LIMIT_MEMBER"],
                key_function=member_key,
                exempt_when=_not_member,
                error_message=_message,
            ),
            ApplicationLimit(
                lambda: current_app.config["RATE_LIMIT_PUBLIC"],
                key_function=address_key,
                exempt_when=_is_member,
                error_message=_message,
            ),
            ApplicationLimit(
                lambda: current_app.config["RATE_LIMIT_OAUTH"],
                key_function=token_address_key,
                exempt_when=_not_oauth_endpoint,
                error_message=_message,
            ),
        ],
        storage_uri=(uri := limits_storage_uri(app.config)),
        # A Redis that does not answer costs a request one second at most, then memory takes over.
        storage_options={"socket_connect_timeout": 1, "socket_timeout": 1} if uri.startswith("redis") else {},
        strategy="fixed-window",
        headers_enabled=True,
        header_name_mapping=HEADERS,
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        key_prefix=str(app.config["RATE_LIMIT_KEY_PREFIX"]),
        enabled=bool(app.config["RATE_LIMITS_ENABLED"]),
    )
    limiter.request_filter(lambda: request.endpoint in EXEMPT_ENDPOINTS)
    # Flask runs after-request hooks in reverse: ``_settle_headers`` runs after the limiter's own hook,
    # ``_keep_retry_after`` before it.
    app.after_request(_settle_headers)
    limiter.init_app(app)
    _skip_exempt_endpoints(app, limiter)
    app.after_request(_keep_retry_after)
    app.extensions["federation.ratelimits"] = limiter
    return limiter


def _skip_exempt_endpoints(app: Flask, limiter: Limiter) -> None:
    """Exempt endpoints skip flask-limiter's check altogether: its request filter exempts them only after it
    has gathered and evaluated the (then empty) set of limits: in-process a single lookup cost 0.63-0.80 ms
    of CPU without the limiter and 0.73-0.86 ms with it (``docs/performance.md``)."""
    hooks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit
    if check not in hooks:  # disabled, or registered otherwise by a later flask-limiter: leave it be
        return

    def check_unless_exempt() -> None:
        if request.endpoint not in EXEMPT_ENDPOINTS:
            check()

    hooks[hooks.index(check)] = check_unless_exempt


_RETRY_AFTER = "federation.retry_after"


def _keep_retry_after(response: Response) -> Response:
    """The answer's own ``Retry-After`` (a 503's, a budget's), which flask-limiter would overwrite."""
    request.environ[_RETRY_AFTER] = response.headers.get("Retry-After")
    return response


def _settle_headers(response: Response) -> Response:
    """``RateLimit-Reset`` as seconds from now; ``Retry-After`` as the answer set it, or the limiter's on
    its own refusals, never on an answer that refused nothing (flask-limiter adds it to every one)."""
    reset = response.headers.get("RateLimit-Reset")
    if reset is not None and reset.isdigit() and int(reset) > 10**9:  # an epoch, not already seconds
        response.headers["RateLimit-Reset"] = str(max(0, int(reset) - int(time.time())))
    own = request.environ.get(_RETRY_AFTER)
    if own is not None:
        response.headers["Retry-After"] = own
    elif response.status_code != 429:
        response.headers.pop("Retry-After", None)
    return response


def rate_limiter(app: Flask) -> Limiter:
    return app.extensions["federation.ratelimits"]
