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
    #: Where workers spool lookup audit lines before they reach the database (``lookups/audit.py``);
    #: ``None``: ``<instance>/audit-spool``. Keep it on a local disk.
    AUDIT_SPOOL_DIR: str | None = None
    #: Identifiers a member may look up per UTC day unless its own quota says otherwise; None: no limit.
    LOOKUP_DAILY_QUOTA: int | None = None
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
