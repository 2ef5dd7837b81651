"""``FederationClient``: one HTTP session, tokens handled, errors typed.

The client signs its own RFC 7523 client assertions with the member's private
key, exchanges them for 15-minute access tokens, caches the token and renews
it a minute before it expires (or at once if the server says it is no longer
valid).

Idempotent requests (GET and the like, lookups, which only read, and
submissions, which the server deduplicates by ``case_ref`` or
``Idempotency-Key``) are retried on connection errors, read timeouts, broken
responses, 429 and 5xx, with exponential backoff and jitter, honouring
``Retry-After``, within a budget: at most ``max_retries`` retries and
``retry_budget`` seconds from the first attempt. The defaults ride out an
outage of at least 5 s (a database or server restart: the server answers 503
with ``Retry-After: 3`` meanwhile); when the budget is spent the last failure
is raised as the SDK's own error (``TransportError``, ``RequestTimeout``,
``ServerError``, ``RateLimited``).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import requests

from .errors import ProblemError, RateLimited, RequestTimeout, TransportError, error_for
from .identifiers import HashedIdentifier, IdentifierHashes, hash_all_salts
from .keys import PrivateKey, algorithm_of, load_private_key
from .models import (
    BatchItem,
    Change,
    Dispute,
    Entry,
    Key,
    LookupResult,
    Member,
    ProtectiveRegistration,
    RekeyResult,
    SubjectResult,
)
from .salts import Salt

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The request may not have reached the server, or its answer was lost: retried like a 503.
TRANSPORT_FAILURES = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
ASSERTION_LIFETIME = 300  # seconds; the server accepts up to 3600
TOKEN_RENEW_MARGIN = 60  # seconds before expiry
SALTS_TTL = 300.0  # seconds a fetched salt list is used before asking again (rotations reach clients)
MAX_BATCH = 1000
RawIdentifiers = dict[str, str | list[str]]


class FederationClient:
    def __init__(
        self,
        base_url: str,
        member_id: str,
        private_key: PrivateKey | str | bytes,
        kid: str,
        *,
        timeout: float = 10.0,
        max_retries: int = 6,
        backoff: float = 0.25,
        max_backoff: float = 4.0,
        retry_budget: float = 20.0,
        session: requests.Session | None = None,
        salts_ttl: float = SALTS_TTL,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.member_id = member_id
        self.kid = kid
        self.timeout = timeout
        #: Retry budget: retries after the first attempt, the first wait (doubling up to ``max_backoff``),
        #: and the seconds from the first attempt after which no retry starts.
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.retry_budget = retry_budget
        self._key = load_private_key(private_key)
        self._alg = algorithm_of(self._key)
        self._http = session or requests.Session()
        self._http.headers["User-Agent"] = "federation-client-python/0.1"
        self._token: str | None = None
        self._token_expires = 0.0
        self._lock = threading.Lock()
        self.salts_ttl = salts_ttl
        self._salts: list[Salt] = []
        self._salts_fetched = 0.0

    # -- tokens -----------------------------------------------------------------------------------
    @property
    def token_url(self) -> str:
        return f"{self.base_url}/v1/oauth/token"

    def client_assertion(self) -> str:
        now = int(time.time())
        claims = {
            "iss": self.member_id,
            "sub": self.member_id,
            "aud": self.token_url,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=self._alg, headers={"kid": self.kid})

    def access_token(self, *, renew: bool = False) -> str:
        with self._lock:
            if renew or self._token is None or time.time() > self._token_expires - TOKEN_RENEW_MARGIN:
                form = {
                    "grant_type": "client_credentials",
                    "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": self.client_assertion(),
                }
                # A fresh assertion per attempt: a retried one would be refused as a replay.
                body = self._send("POST", self.token_url, data=form, retry=True, fresh_body=self._fresh_form)
                self._token = body["access_token"]
                self._token_expires = time.time() + float(body["expires_in"])
            return self._token

    def _fresh_form(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**kwargs, "data": {**kwargs["data"], "client_assertion": self.client_assertion()}}

    # -- requests ---------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        idempotent: bool | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Call the API; ``idempotent`` (default: by method) allows retries."""
        retry = method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent
        url = f"{self.base_url}{path}"
        token = self.access_token()
        try:
            return self._send(method, url, json=json, params=params, retry=retry, auth=token, extra_headers=headers)
        except ProblemError as error:
            if error.status != 401:
                raise
            # The token was revoked, expired early or the server rotated keys: renew once.
            renewed = self.access_token(renew=True)
            return self._send(method, url, json=json, params=params, retry=retry, auth=renewed, extra_headers=headers)

    def _send(
        self,
        method: str,
        url: str,
        *,
        retry: bool,
        auth: str | None = None,
        fresh_body: Any = None,
        extra_headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        headers = {"Authorization": f"Bearer {auth}"} if auth else {}
        headers.update(extra_headers or {})
        attempts = 1 + (self.max_retries if retry else 0)
        give_up_at = time.monotonic() + self.retry_budget
        for attempt in range(attempts):
            if attempt and fresh_body is not None:
                kwargs = fresh_body(kwargs)
            last = attempt == attempts - 1
            try:
                response = self._http.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
            except TRANSPORT_FAILURES as exc:
                if last or not self._wait(attempt, None, give_up_at):
                    raise self._transport_error(exc) from exc
                continue
            if response.status_code in RETRY_STATUSES and not last:
                if self._wait(attempt, response.headers.get("Retry-After"), give_up_at):
                    continue
            return self._decode(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, attempt: int, retry_after: str | None, give_up_at: float) -> bool:
        """Sleep before retry ``attempt + 1``; False (no sleep) if that would end past the budget."""
        delay = min(self.backoff * (2**attempt), self.max_backoff) * (0.5 + random.random())  # noqa: S311 - jitter
        if retry_after and retry_after.isdigit():
            if time.monotonic() + float(retry_after) > give_up_at:
                return False  # e.g. a daily lookup budget spent: retrying before it resets is pointless
            delay = max(delay, min(float(retry_after), 30.0))
        if time.monotonic() + delay > give_up_at:
            return False
        time.sleep(delay)
        return True

    def _transport_error(self, exc: requests.RequestException) -> TransportError:
        if isinstance(exc, requests.Timeout) and not isinstance(exc, requests.ConnectTimeout):
            return RequestTimeout(f"{self.base_url} did not answer within {self.timeout} s")
        return TransportError(f"cannot reach {self.base_url}: {exc}")

    @staticmethod
    def _decode(response: requests.Response) -> Any:
        if response.status_code < 400:
            return response.json() if response.content else None
        try:
            problem = response.json()
        except ValueError:
            problem = {"code": "http_error", "detail": response.text[:500]}
        error = error_for(response.status_code, problem if isinstance(problem, dict) else {})
        if isinstance(error, RateLimited) and response.headers.get("Retry-After", "").isdigit():
            error.retry_after = float(response.headers["Retry-After"])
        raise error

    # -- members ----------------------------------------------------------------------------------
    def member(self, member_id: str | None = None) -> Member:
        """Your own member record with your standing (or another's, for admins)."""
        return Member.from_dict(self.request("GET", f"/v1/members/{member_id or self.member_id}"))

    def keys(self) -> list[Key]:
        return [Key.from_dict(item) for item in self.request("GET", f"/v1/members/{self.member_id}/keys")]

    def register_key(self, public_jwk: dict[str, Any]) -> Key:
        """Register another public key (for rotation); its ``kid`` is taken from the JWK."""
        body = {
            "public_key": {k: v for k, v in public_jwk.items() if k not in ("kid", "alg", "use")},
            "kid": public_jwk.get("kid"),
        }
        return Key.from_dict(self.request("POST", f"/v1/members/{self.member_id}/keys", json=body))

    def revoke_key(self, kid: str) -> Key:
        return Key.from_dict(self.request("POST", f"/v1/members/{self.member_id}/keys/{kid}/revoke", idempotent=True))

    # -- salts and hashing ---------------------------------------------------------------------------
    def salts(self) -> list[Salt]:
        """Every salt the federation accepts, current first (fetched now)."""
        body = self.request("GET", "/v1/salts")
        ordered = sorted(body["salts"], key=lambda item: not item["current"])
        salts = [
            Salt(
                key_id=item["key_id"],
                secret=bytes.fromhex(item["salt_hex"]),
                status=item.get("status", "current" if item["current"] else "accepted"),
            )
            for item in ordered
        ]
        self._salts, self._salts_fetched = salts, time.monotonic()
        return salts

    def accepted_salts(self) -> list[Salt]:
        """The salts to hash under, fetched again once ``salts_ttl`` has passed so a rotation reaches us."""
        if not self._salts or time.monotonic() - self._salts_fetched > self.salts_ttl:
            return self.salts()
        return self._salts

    def hash(self, type_: str, raw: str, *, default_region: str = "CN") -> list[IdentifierHashes]:
        """Normalise and hash locally under every accepted salt; raw values never leave.

        Each item is one identifier (``ip`` also yields its ``ip_net``) with a hash
        per salt, current first: sent as it is, it matches a listing made under any
        of them, and the server answers once for it.
        """
        salts = [(salt.key_id, salt.secret) for salt in self.accepted_salts()]
        return hash_all_salts(type_, raw, salts, default_region=default_region)

    def hash_raw(self, raw: RawIdentifiers, *, default_region: str = "CN") -> list[IdentifierHashes]:
        """``{"phone": "138...", "device": [...]}`` hashed as :meth:`hash` does, in order."""
        salts = [(salt.key_id, salt.secret) for salt in self.accepted_salts()]
        return [
            hashed
            for type_, values in raw.items()
            for value in ([values] if isinstance(values, str) else values)
            for hashed in hash_all_salts(type_, value, salts, default_region=default_region)
        ]

    # -- lookups --------------------------------------------------------------------------------------
    def lookup(
        self,
        identifiers: list[IdentifierHashes | HashedIdentifier | dict[str, Any]],
        *,
        reference: str,
        purpose: str = "complaint_intake",
        subject: str | None = None,
    ) -> LookupResult:
        """Match hashed identifiers (up to 1,000). ``subject`` labels them all as one person.

        ``purpose`` is ``complaint_intake`` or ``order_screening``, and ``reference`` your own complaint or
        order id for it (audited with the lookup; never a person's phone number, id or address). Each
        identifier counts against your daily lookup budget (``me()``); over it the server answers 429
        (:class:`RateLimited`, ``code`` ``quota_exceeded`` or ``burst_exceeded``).
        Read-only on the server's side, so it is retried like a GET.
        """
        items = [dict(item) if isinstance(item, dict) else item.as_dict() for item in identifiers]
        if subject is not None:
            items = [{**item, "subject": subject} for item in items]
        body = {"purpose": purpose, "reference": reference, "identifiers": items}
        return LookupResult.from_dict(self.request("POST", "/v1/lookups", json=body, idempotent=True))

    def check_complainant(
        self, raw: RawIdentifiers, *, reference: str, purpose: str = "complaint_intake"
    ) -> SubjectResult:
        """Hash a complainant's raw identifiers locally and return the recommendation for them as one person.

        ``raw`` maps types to values: ``{"phone": "138 0013 8000", "device": "...", "ip": "..."}``.
        Each is hashed under every accepted salt, so a listing made before a salt rotation still matches.
        ``reference`` is the complaint's id in your own system.
        """
        hashed = self.hash_raw(raw)
        return self.lookup(hashed, reference=reference, purpose=purpose, subject="complainant").subjects["complainant"]

    def me(self) -> dict[str, Any]:
        """Your member record, with ``lookup_budget``: daily budget, burst per minute and today's use."""
        return self.request("GET", "/v1/members/me")

    def rules(self) -> dict[str, Any]:
        """The joint rules in force (规则公示), for users' confirmation pop-ups."""
        return self.request("GET", "/v1/rules/current")

    # -- entries --------------------------------------------------------------------------------------
    def submit_entry(self, entry: dict[str, Any], *, idempotency_key: str | None = None) -> Entry:
        """List a confirmed offender. Safe to retry: the server deduplicates by case_ref or key."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return Entry.from_dict(self.request("POST", "/v1/entries", json=entry, idempotent=True, headers=headers))

    def submit_entries(self, entries: list[dict[str, Any]]) -> list[BatchItem]:
        """Up to 1,000 entries, each accepted or rejected on its own."""
        body = self.request("POST", "/v1/entries:batch", json={"entries": entries}, idempotent=True)
        return [BatchItem.from_dict(item) for item in body["results"]]

    def rekey_entries(self, raw_by_ref: dict[str, RawIdentifiers]) -> list[RekeyResult]:
        """After a salt rotation: add the new salts' hashes to your entries, from your own case records.

        ``raw_by_ref`` maps an entry's ref to the raw identifiers it was listed
        with (as for :meth:`check_complainant`). Each is hashed under every
        accepted salt; the server adds only hashes of identifiers the entry
        already holds (proved by a matching hash), so a member hashing with the
        new salt alone finds the entry too. Safe to repeat.
        """
        items = [
            {"ref": ref, "identifiers": [h.as_dict() for h in self.hash_raw(raw)]} for ref, raw in raw_by_ref.items()
        ]
        results: list[RekeyResult] = []
        for start in range(0, len(items), MAX_BATCH):
            body = self.request(
                "POST", "/v1/entries:rekey", json={"entries": items[start : start + MAX_BATCH]}, idempotent=True
            )
            results += [RekeyResult.from_dict(item) for item in body["results"]]
        return results

    def entry(self, ref: str) -> Entry:
        return Entry.from_dict(self.request("GET", f"/v1/entries/{ref}"))

    def entries(self, **filters: Any) -> Iterator[Entry]:
        """Your entries, newest first, following cursors transparently."""
        params = {key: value for key, value in filters.items() if value is not None}
        while True:
            page = self.request("GET", "/v1/entries", params=params)
            yield from (Entry.from_dict(item) for item in page["entries"])
            if not page.get("next_cursor"):
                return
            params["cursor"] = page["next_cursor"]

    def retract_entry(self, ref: str, reason: str) -> Entry:
        return Entry.from_dict(
            self.request("POST", f"/v1/entries/{ref}/retract", json={"reason": reason}, idempotent=True)
        )

    # -- protective registration ---------------------------------------------------------------------
    def register_protection(
        self, case_ref: str, raw: RawIdentifiers, *, reason: str, evidence: list[str]
    ) -> ProtectiveRegistration:
        """Flag your customer's identifiers as an identity-theft victim's (docs/disputes.md): hashed here
        under every accepted salt; ``evidence`` the SHA-256 digests of the proof. Safe to retry by ``case_ref``."""
        identifiers = [item.as_dict() for item in self.hash_raw(raw) if item.type != "ip_net"]
        body = {"case_ref": case_ref, "identifiers": identifiers, "reason": reason, "evidence": evidence}
        return ProtectiveRegistration.from_dict(
            self.request("POST", "/v1/protective-registrations", json=body, idempotent=True)
        )

    def protective_registrations(self) -> list[ProtectiveRegistration]:
        body = self.request("GET", "/v1/protective-registrations")
        return [ProtectiveRegistration.from_dict(item) for item in body["registrations"]]

    def withdraw_protection(self, ref: str, reason: str) -> ProtectiveRegistration:
        path = f"/v1/protective-registrations/{ref}/withdraw"
        return ProtectiveRegistration.from_dict(self.request("POST", path, json={"reason": reason}, idempotent=True))

    # -- due process and the change feed --------------------------------------------------------------
    def dispute(self, entry_ref: str, reason: str, evidence: list[dict[str, Any]] | None = None) -> Dispute:
        """Dispute another member's entry (its submitter must answer in time, or it is suspended)."""
        body = {"reason": reason, "evidence": evidence or []}
        return Dispute.from_dict(self.request("POST", f"/v1/entries/{entry_ref}/disputes", json=body))

    def disputes(self, role: str = "submitter", *, open_only: bool = False) -> list[Dispute]:
        """Disputes of your entries (``submitter``), filed by you (``filer``), or the ``reviewer`` queue."""
        params = {"role": role, "open": "true" if open_only else "false"}
        return [Dispute.from_dict(item) for item in self.request("GET", "/v1/disputes", params=params)["disputes"]]

    def answer_dispute(
        self, ref: str, answer: str, *, note: str = "", evidence: list[dict[str, Any]] | None = None
    ) -> Dispute:
        """``uphold`` (with evidence: a reviewer decides) or ``retract`` (the entry ends at once)."""
        body = {"answer": answer, "note": note, "evidence": evidence or []}
        return Dispute.from_dict(self.request("POST", f"/v1/disputes/{ref}/answer", json=body))

    def changes(self, after: int = 0, *, limit: int = 100) -> Iterator[Change]:
        """Every change after ``after``, in order, following the cursor until the feed is exhausted.

        Store the last ``position`` you processed and pass it next time: nothing is skipped.
        """
        while True:
            page = self.request("GET", "/v1/changes", params={"after": after, "limit": limit})
            yield from (Change.from_dict(item) for item in page["changes"])
            if not page["changes"]:
                return
            after = page["next_cursor"]

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FederationClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
