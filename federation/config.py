"""Settings: defaults in classes, overrides from ``FEDERATION_*`` variables.

``FEDERATION_DATABASE_URL=...`` becomes ``app.config["DATABASE_URL"]``
(Flask's ``from_prefixed_env``; values that parse as JSON are typed, so
``FEDERATION_MAX_BODY_BYTES=1048576`` is an int). Tests subclass
:class:`Config` instead of touching the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from .lookups.scoring import DEFAULT_HALF_LIFE_DAYS, DEFAULT_TYPE_WEIGHTS

ENV_PREFIX = "FEDERATION"


class Config:
    #: ``None`` means the embedded SQLite database ``<instance>/federation.db``.
    DATABASE_URL: str | None = None
    #: Region assumed for phone numbers written without ``+country``.
    DEFAULT_REGION = "CN"
    #: Largest request body accepted (413 above it); a 1,000-entry batch fits.
    MAX_BODY_BYTES = 8 * 1024 * 1024
    #: ``iss`` of the access tokens this server issues.
    ISSUER = "blacklist-federation"
    #: External base URL (``https://federation.example``) when behind a proxy; it fixes the
    #: token endpoint URL members put in ``aud``. ``None``: taken from the request.
    PUBLIC_URL: str | None = None
    #: Private JWK set that signs access tokens; ``None``: ``<instance>/signing-keys.json``,
    #: generated on first start.
    SIGNING_KEYS_FILE: str | None = None
    #: Redis for shared short-lived state (client-assertion replay store, rate limits, the sweep
    #: detector's counters); ``None``: the database for replays, each worker's memory for limits.
    REDIS_URL: str | None = None
    #: Federation salts ``{"current": KID, "salts": {KID: hex}, "retired": [KID]}``; ``None``:
    #: ``<instance>/salts.json``, generated on first start. Members hash identifiers with them;
    #: ``federation salts`` rotates them and running workers re-read the file when it changes.
    SALTS_FILE: str | None = None
    #: Server pepper (hex), never shared; ``None``: ``<instance>/pepper.hex``, generated on first start.
    PEPPER_FILE: str | None = None
    #: How long a listing lasts, by tier, counted from the offence (``occurred_at``).
    TIER_TTL_DAYS = {"1": 180, "2": 365, "3": 1095}
    #: Tier 3 (police referral) needs an amount at or above this, per currency.
    POLICE_REFERRAL_THRESHOLDS = {"CNY": "5000", "HKD": "5500", "USD": "700", "EUR": "650"}
    #: Match confidence (docs/scoring.md): weight and half-life per identifier type, how much a
    #: member's repeated reports add, how much a disputed entry still counts.
    SCORING_TYPE_WEIGHTS = dict(DEFAULT_TYPE_WEIGHTS)
    SCORING_HALF_LIFE_DAYS = dict(DEFAULT_HALF_LIFE_DAYS)
    SCORING_REPEAT_FACTOR = 0.3
    SCORING_DISPUTE_DISCOUNT = 0.5
    #: The ladder: an entry counts as a strike from this strength; below it, review from this confidence.
    STRIKE_THRESHOLD = 0.6
    REVIEW_THRESHOLD = 0.2
    #: First strike: complaint rights frozen this many days.
    FREEZE_DAYS = 15
    # -- reputation and probation (docs/scoring.md, ``reputation/formula.py``) --
    #: Effective trust = base x (1 - a x overturned share) x (1 - b x retracted share) x age factor,
    #: shares smoothed by a prior of REPUTATION_PRIOR_ENTRIES clean entries; the age factor grows from
    #: REPUTATION_AGE_FLOOR at admission to 1 at REPUTATION_FULL_AGE_DAYS. ``federation tick`` recomputes it.
    REPUTATION_PRIOR_ENTRIES = 10
    REPUTATION_OVERTURNED_PENALTY = 2.0
    REPUTATION_RETRACTED_PENALTY = 0.5
    REPUTATION_AGE_FLOOR = 0.8
    REPUTATION_FULL_AGE_DAYS = 365
    #: New members' probation (0: none), ended early by this many listings confirmed by reviewers.
    PROBATION_DAYS = 90
    PROBATION_CONFIRMED_ENTRIES = 5
    # -- end reputation --
    #: Where workers spool lookup audit lines before they reach the database (``lookups/audit.py``);
    #: ``None``: ``<instance>/audit-spool``. Keep it on a local disk.
    AUDIT_SPOOL_DIR: str | None = None
    # -- rate limits and lookup budgets (issue 13; docs/security.md "Rate limits and lookup budgets") --
    #: Requests per member token across ``/v1`` (flask-limiter syntax, "N per period"; several separated
    #: by ";"), and per client address on public endpoints and for requests without a valid token.
    RATE_LIMIT_MEMBER = "1200 per minute"
    RATE_LIMIT_PUBLIC = "120 per minute"
    #: The token endpoint, per client address, on top of the public limit: assertions are signature checks.
    RATE_LIMIT_OAUTH = "30 per minute"
    #: Off only for local experiments; ``RATE_LIMIT_KEY_PREFIX`` separates federations sharing a Redis.
    RATE_LIMITS_ENABLED = True
    RATE_LIMIT_KEY_PREFIX = "federation"
    #: A member's daily lookup budget, in identifiers per UTC day (``lookups/budget.py``):
    #: ``max(LOOKUP_BUDGET_FLOOR, LOOKUP_BUDGET_MULTIPLIER x declared_daily_lookups)`` unless an admin set the
    #: member's own ``daily_lookup_quota``. There is no unlimited default.
    LOOKUP_BUDGET_FLOOR = 2000
    LOOKUP_BUDGET_MULTIPLIER = 2.0
    #: Burst: identifiers per minute, ``max(LOOKUP_BURST_FLOOR, LOOKUP_BURST_SHARE x daily budget)``, never
    #: below one full batch (1,000) unless the daily budget itself is smaller.
    LOOKUP_BURST_FLOOR = 1000
    LOOKUP_BURST_SHARE = 0.05
    #: With Redis each worker leases allowance in blocks of ``clamp(ceil(LOOKUP_BUDGET_LEASE_SHARE x burst), cost,
    #: LOOKUP_BUDGET_LEASE_MAX)`` identifiers instead of a round trip per lookup (``lookups/budget_redis.py``):
    #: the budget is never exceeded; other workers' unused leases can refuse a member early. 0: no leasing.
    LOOKUP_BUDGET_LEASE_SHARE = 0.05
    LOOKUP_BUDGET_LEASE_MAX = 10_000
    #: Due process (docs/disputes.md): days a submitter has to answer a dispute before its entry is
    #: suspended, and days a reviewer has to decide a member's dispute after receipt.
    DISPUTE_RESPONSE_DAYS = 14
    REVIEW_DECISION_DAYS = 30
    #: Days after a dispute or appeal is upheld (or conceded) during which a new listing of the same
    #: identifiers, by any member, is held for a reviewer instead of matching (docs/disputes.md).
    REINSERTION_GUARD_DAYS = 180
    #: The share of new listings (0..1) held for a reviewer's quality check before they take effect.
    #: It is also why a hold says nothing about a person: a held answer may be a sample.
    HOLD_SAMPLE_RATE = 0.02
    #: Protective registration (docs/disputes.md): days a member's registration holds before a
    #: reviewer confirms it, and days a reviewer's (or a confirmed one) holds from then.
    PROTECTIVE_MEMBER_DAYS = 90
    PROTECTIVE_CONFIRMED_DAYS = 365
    #: Days before its answer deadline that a submitter is reminded (change feed and webhooks).
    DEADLINE_WARNING_DAYS = 3
    #: Working days a reviewer has to decide a person's appeal, counted on the working-day calendar
    #: (``disputes/calendar.py``): Monday to Friday in ``CALENDAR_TZ``, minus ``HOLIDAYS``, plus the
    #: make-up working days ``EXTRA_WORKING_DAYS`` (ISO dates, from the State Council's yearly notice).
    APPEAL_DECISION_WORKING_DAYS = 15
    CALENDAR_TZ = "Asia/Shanghai"
    HOLIDAYS: tuple[str, ...] = ()
    EXTRA_WORKING_DAYS: tuple[str, ...] = ()
    #: Who runs this federation, and how the people it lists reach them: named on the public pages
    #: (with their privacy notice). ``None``: the site's name, and no contact line.
    OPERATOR_NAME: str | None = None
    OPERATOR_CONTACT: str | None = None
    #: Public appeals: per client address per hour, per identifier per day (from one address, and
    #: from all), the window in which a
    #: repeat appeal needs new evidence, and how many identifiers one appeal may name.
    APPEAL_RATE_PER_ADDRESS_HOURLY = 5
    APPEAL_RATE_PER_IDENTIFIER_DAILY = 3
    APPEAL_RATE_PER_IDENTIFIER_DAILY_ALL = 20
    APPEAL_REPEAT_DAYS = 90
    #: Days after its decision that an appeal keeps the person's statement, identifier hashes and
    #: address tag (``disputes/retention.py``); at least ``APPEAL_REPEAT_DAYS``.
    APPEAL_RETENTION_DAYS = 365
    APPEAL_MAX_IDENTIFIERS = 5
    #: Evidence files an appellant may upload, each at most this big; ``None`` folder:
    #: ``<instance>/appeal-files``.
    APPEAL_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    APPEAL_UPLOAD_DIR: str | None = None
    #: Fernet key that encrypts appellants' contact addresses; ``None``: ``<instance>/contact.key``,
    #: generated on first start.
    CONTACT_KEY: str | None = None
    #: A person who lost an appeal's status code may have a new one sent to the contact they gave:
    #: at most this many requests per client address per hour and per appeal per day.
    APPEAL_CODE_REQUESTS_PER_ADDRESS_HOURLY = 5
    APPEAL_CODE_REQUESTS_PER_APPEAL_DAILY = 3
    #: Mail to appellants: ``smtp://[user:password@]host:port`` (STARTTLS when offered) or ``smtps://``,
    #: and the sender address. ``None``: messages are appended to ``MAIL_OUTBOX_FILE`` (``None``:
    #: ``<instance>/outbox.jsonl``), whose lines ``federation tick`` deletes after ``MAIL_OUTBOX_DAYS``.
    SMTP_URL: str | None = None
    MAIL_FROM: str | None = None
    MAIL_OUTBOX_FILE: str | None = None
    MAIL_OUTBOX_DAYS = 7
    #: Reverse proxies in front of the server that set ``X-Forwarded-For``/``-Proto``/``-Host``:
    #: the number of them to trust (0: none, take the socket's address). Appeals are rate-limited
    #: per client address; behind a proxy without this, every appellant shares the proxy's.
    TRUSTED_PROXIES = 0
    #: Webhook URLs must be https unless this is set (local development and tests).
    WEBHOOK_ALLOW_HTTP = False
    #: Let webhook URLs resolve to loopback, private, link-local or other non-public addresses.
    #: Never in production (it opens SSRF into the server's network); the tests' receivers need it.
    WEBHOOK_ALLOW_PRIVATE = False
    #: Warninglists (docs/warninglists.md): a ``cidr`` network up to this many addresses is also hashed
    #: address by address (``ip``), one up to this many /24s or /64s as each of them (``ip_net``); a
    #: list may expand to at most ``WARNINGLIST_MAX_VALUES`` values. Imported documents are kept, encrypted,
    #: in ``WARNINGLISTS_DIR`` (``None``: ``<instance>/warninglists``) to hash them under later salts.
    WARNINGLIST_MAX_ADDRESSES_PER_NETWORK = 65_536
    WARNINGLIST_MAX_NETS_PER_NETWORK = 65_536
    WARNINGLIST_MAX_VALUES = 1_000_000
    WARNINGLISTS_DIR: str | None = None
    # -- Issue 13: the sweep detector and listing-surge caps (docs/security.md, "Sweeps and surges") --
    #: Miss-ratio rule: from this many identifiers in the last hour (or day), a hit ratio below this is a sweep.
    SWEEP_MIN_IDENTIFIERS = 2000
    SWEEP_MIN_HIT_RATIO = 0.01
    #: Volume rule: more identifiers in the last hour than max(floor, factor x the member's usual hourly
    #: volume), at a hit ratio below ``SWEEP_VOLUME_HIT_RATIO``, is a sweep.
    SWEEP_VOLUME_FLOOR = 5000
    SWEEP_VOLUME_FACTOR = 10.0
    SWEEP_VOLUME_HIT_RATIO = 0.02
    #: Seconds a detected sweep pauses the member's lookups, unless an admin resolves the alert first.
    SWEEP_THROTTLE_SECONDS = 86400
    #: Each worker counts lookups in memory and sends them to the shared store (one Redis round trip) once
    #: this many identifiers are pending or the last send is this many seconds old; it judges every lookup on
    #: the last counts read plus its own pending ones. A sweep is answered at most
    #: ``SWEEP_MIN_IDENTIFIERS - 1 + (workers - 1) x (SWEEP_FLUSH_IDENTIFIERS - 1)`` identifiers (docs/security.md).
    SWEEP_FLUSH_IDENTIFIERS = 250
    SWEEP_FLUSH_SECONDS = 1.0
    #: Prefix of the detector's Redis keys (tests use their own).
    SWEEP_KEY_PREFIX = "federation:sweep:"
    #: Listings a member may make in 24 h before the excess is held for a reviewer:
    #: max(floor, factor x its median daily listings over the previous ``..._HISTORY_DAYS`` days).
    LISTING_SURGE_FLOOR = 200
    LISTING_SURGE_FACTOR = 5.0
    LISTING_SURGE_HISTORY_DAYS = 30
    # -- end of issue 13's detector settings --
    #: Log SQL statements (never in production: statements carry hashes).
    SQL_ECHO = False

    API_TITLE = "Blacklist Federation"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"


class TestConfig(Config):
    TESTING = True
    WEBHOOK_ALLOW_HTTP = True  # the tests' receivers listen on http://127.0.0.1
    HOLD_SAMPLE_RATE = 0.0  # deterministic listings; tests that sample set it themselves
    WEBHOOK_ALLOW_PRIVATE = True  # ... which is not a public address
    # Members admitted by a test are in good standing unless the test is about reputation (those put a
    # member on probation through the admin API, or compute the formula with its defaults).
    PROBATION_DAYS = 0
    REPUTATION_AGE_FLOOR = 1.0
    # Generous: the suite's tests share member ids and addresses; tests of the limits lower them.
    RATE_LIMIT_MEMBER = "100000 per minute"
    RATE_LIMIT_PUBLIC = "100000 per minute"
    RATE_LIMIT_OAUTH = "100000 per minute"
    LOOKUP_BUDGET_FLOOR = 1_000_000
    LOOKUP_BURST_FLOOR = 1_000_000


def load_config(app: Flask, config: type[Config] | None, overrides: dict[str, Any] | None) -> None:
    """Defaults, then the environment, then explicit overrides (tests)."""
    app.config.from_object(config or Config)
    app.config.from_prefixed_env(ENV_PREFIX)
    app.config.update(overrides or {})
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_BODY_BYTES"]
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app)
    app.config["SQLALCHEMY_ECHO"] = app.config["SQL_ECHO"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["SQLALCHEMY_DATABASE_URI"])


def database_url(app: Flask) -> str:
    url = app.config.get("DATABASE_URL")
    if url:
        return str(url)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'federation.db'}"


def engine_options(url: str) -> dict[str, Any]:
    # Statement parameters hold hashes, contact ciphertexts and statements: never in an
    # exception's text (which is logged) nor in echoed SQL.
    private = {"hide_parameters": True}
    if url.startswith("sqlite"):
        # Wait for a writer instead of failing at once: gunicorn runs several workers.
        return {**private, "connect_args": {"timeout": 15}}
    # Pre-ping: after a database restart every pooled connection is dead; each is tested and replaced on
    # checkout instead of failing a request. A database host that does not answer at all fails a new
    # connection after 5 s (503, ``api.problems.handle_database_unavailable``) instead of the kernel's minutes,
    # and a request waits at most 10 s for a pooled connection.
    return {
        **private,
        "pool_pre_ping": True,
        "pool_size": 10,
        "max_overflow": 10,
        "pool_timeout": 10,
        "connect_args": {"connect_timeout": 5},
    }


def limits_storage_uri(config: Any) -> str:
    """Where rate limits and lookup counters live: ``REDIS_URL`` (shared by every worker), else memory.

    Memory is per worker process: with several workers and no Redis each enforces its own share.
    """
    return config.get("REDIS_URL") or "memory://"


def redis_for(config: Any) -> Any:
    """A Redis client for ``REDIS_URL`` with short timeouts (a dead Redis costs a second, then the
    worker's memory), or None: what the lookup budget and the sweep detector count in."""
    if not config.get("REDIS_URL"):
        return None
    import redis

    return redis.Redis.from_url(config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1)
