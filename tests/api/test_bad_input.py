"""Every class of bad input a fuzzer once turned into a 500 now gets a 4xx problem+json and writes nothing.

One parametrized case per class (and per place it reached), through the real HTTP API on both
backends: invalid appeal evidence items, identifier types that are not strings, timestamps at the
ends of the calendar, integers beyond 64 bits in the query or path, JSON nested thousands deep;
and values that used to pass validation wrongly: patterns matched only at the start, reviewer
pseudonyms that are phone numbers or e-mails written full-width or spaced out.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from sqlalchemy import func, select

from federation.disputes.models import Appeal, Dispute
from federation.entries.models import Entry
from federation.events.models import Event
from federation.members.assertions import ASSERTION_TYPE
from federation_client.keys import generate_key
from tests.api.test_appeals import appeal_body
from tests.conftest import TOKEN_URL, sign_assertion
from tests.entries.factories import entry_payload, hashed

HUGE = 2**70
DEEP = 5000
VIDEO = {"kind": "id_video", "sha256": hashlib.sha256(b"video").hexdigest()}


def _deep(depth: int = DEEP) -> str:
    return "[" * depth + "]" * depth


def _entry_with(app, **changes: Any) -> dict[str, Any]:
    payload = entry_payload(app, "bad-input")
    for dotted, value in changes.items():
        target, *path, last = [payload, *dotted.split(".")]
        for step in path:
            target = target[int(step)] if isinstance(target, list) else target[step]
        target[last] = value
    return payload


def _lookup_item(app, **changes: Any) -> dict[str, Any]:
    return {**hashed(app, "phone", "13800138000")[0], **changes}


def _token_form(**claims: Any) -> dict[str, str]:
    """A token request whose assertion is well-formed but carries odd claims (signed by an unknown key)."""
    subject = claims.get("iss", "bad-query")
    assertion = sign_assertion(generate_key("EdDSA"), "k1", "bad-query", TOKEN_URL, **{"sub": subject, **claims})
    return {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}


#: (id, scope or None for public, request builder -> (method, path, keyword arguments of the client call)).
CASES = [
    # -- invalid evidence items on POST /v1/appeals
    *[
        (
            f"appeal-evidence-{name}",
            None,
            lambda app, me, items=items: ("POST", "/v1/appeals", {"json": appeal_body("13800138000", evidence=items)}),
        )
        for name, items in {
            "missing-kind": [{"sha256": VIDEO["sha256"]}],
            "number": [1],
            "string": ["id_video"],
            "null": [None],
            "kind-not-string": [{"kind": ["id_video"], "sha256": VIDEO["sha256"]}],
            "one-bad-of-two": [VIDEO, {"kind": "id_video"}],
            "not-a-list": {"kind": "id_video"},
        }.items()
    ],
    # -- identifier type that is not a string
    *[
        (
            f"appeal-type-{name}",
            None,
            lambda app, me, t=t: (
                "POST",
                "/v1/appeals",
                {"json": appeal_body("1", identifiers=[{"type": t, "value": "13800138000"}])},
            ),
        )
        for name, t in {"list": ["phone"], "object": {"phone": 1}, "number": 1, "null": None}.items()
    ],
    *[
        (
            f"lookup-type-{name}",
            "query",
            lambda app, me, t=t: (
                "POST",
                "/v1/lookups",
                {
                    "json": {
                        "purpose": "complaint_intake",
                        "reference": "CMP-1",
                        "identifiers": [_lookup_item(app, type=t)],
                    }
                },
            ),
        )
        for name, t in {"list": ["phone"], "object": {"phone": 1}, "number": 1}.items()
    ],
    *[
        (
            f"lookup-grouped-type-{name}",
            "query",
            lambda app, me, t=t: (
                "POST",
                "/v1/lookups",
                {
                    "json": {
                        "purpose": "complaint_intake",
                        "reference": "CMP-1",
                        "identifiers": [
                            {
                                "type": t,
                                "hashes": [{"key_id": _lookup_item(app)["key_id"], "hash": _lookup_item(app)["hash"]}],
                            }
                        ],
                    }
                },
            ),
        )
        for name, t in {"list": ["phone"], "object": {"phone": 1}}.items()
    ],
    (
        "lookup-item-list",
        "query",
        lambda app, me: (
            "POST",
            "/v1/lookups",
            {"json": {"purpose": "complaint_intake", "reference": "CMP-1", "identifiers": [["phone"]]}},
        ),
    ),
    (
        "lookup-purpose-list",
        "query",
        lambda app, me: (
            "POST",
            "/v1/lookups",
            {"json": {"purpose": ["complaint_intake"], "reference": "CMP-1", "identifiers": [_lookup_item(app)]}},
        ),
    ),
    (
        "lookup-hashes-items",
        "query",
        lambda app, me: (
            "POST",
            "/v1/lookups",
            {
                "json": {
                    "purpose": "complaint_intake",
                    "reference": "CMP-1",
                    "identifiers": [{"type": "phone", "hashes": [1, ["a"], {"key_id": []}]}],
                }
            },
        ),
    ),
    (
        "entry-type-list",
        "submit",
        lambda app, me: ("POST", "/v1/entries", {"json": _entry_with(app, **{"identifiers.0.type": ["phone"]})}),
    ),
    # -- timestamps at the ends of the calendar
    *[
        (
            f"entry-{field}-{name}",
            "submit",
            lambda app, me, field=field, value=value: (
                "POST",
                "/v1/entries",
                {"json": _entry_with(app, **{field: value})},
            ),
        )
        for field in ("occurred_at", "evidence.0.captured_at", "review.reviewed_at")
        for name, value in {
            "year-1-east": "0001-01-01T00:00:00+05:00",
            "year-1-utc": "0001-01-01T00:00:00+00:00",
            "year-9999-west": "9999-12-31T23:59:59-05:00",
            "year-9999-utc": "9999-12-31T23:59:59+00:00",
        }.items()
    ],
    # -- integers beyond 64 bits in the query or the path
    (
        "entries-cursor",
        "submit",
        lambda app, me: (
            "GET",
            "/v1/entries?cursor=" + base64.urlsafe_b64encode(f"e{HUGE}".encode()).decode().rstrip("="),
            {},
        ),
    ),
    (
        "entries-cursor-negative",
        "submit",
        lambda app, me: (
            "GET",
            "/v1/entries?cursor=" + base64.urlsafe_b64encode(f"e-{HUGE}".encode()).decode().rstrip("="),
            {},
        ),
    ),
    ("entries-limit", "submit", lambda app, me: ("GET", f"/v1/entries?limit={HUGE}", {})),
    ("entries-tier", "submit", lambda app, me: ("GET", f"/v1/entries?tier={HUGE}", {})),
    ("changes-after", "query", lambda app, me: ("GET", f"/v1/changes?after={HUGE}", {})),
    ("changes-limit", "query", lambda app, me: ("GET", f"/v1/changes?limit={HUGE}", {})),
    ("lookup-stats-days", "query", lambda app, me: ("GET", f"/v1/lookups/stats?days={HUGE}", {})),
    ("webhook-delete", "query", lambda app, me: ("DELETE", f"/v1/members/{me}/webhooks/{HUGE}", {})),
    ("webhook-deliveries", "query", lambda app, me: ("GET", f"/v1/members/{me}/webhooks/{HUGE}/deliveries", {})),
    (
        "evidence-size",
        "submit",
        lambda app, me: ("POST", "/v1/entries", {"json": _entry_with(app, **{"evidence.0.size": HUGE})}),
    ),
    (
        "appeal-evidence-size",
        None,
        lambda app, me: (
            "POST",
            "/v1/appeals",
            {"json": appeal_body("13800138000", evidence=[{**VIDEO, "size": HUGE}])},
        ),
    ),
    # -- patterns match the whole value, and the reviewer pseudonym check sees the NFKC form
    *[
        (
            f"entry-{name}",
            "submit",
            lambda app, me, changes=changes: ("POST", "/v1/entries", {"json": _entry_with(app, **changes(app))}),
        )
        for name, changes in {
            "case-ref-trailing-junk": lambda app: {"case_ref": "case-1 <script>"},
            "case-ref-trailing-newline": lambda app: {"case_ref": "case-1\n"},
            "hash-trailing-junk": lambda app: {
                "identifiers.0.hash": hashed(app, "phone", "13800138000")[0]["hash"] + "zz"
            },
            "key-id-trailing-junk": lambda app: {
                "identifiers.0.key_id": hashed(app, "phone", "13800138000")[0]["key_id"] + " !"
            },
            "evidence-sha-trailing-junk": lambda app: {"evidence.0.sha256": "a" * 64 + "-x"},
            "reviewer-full-width-phone": lambda app: {"review.human_reviewer": "１３８００１３８０００"},
            "reviewer-spaced-phone": lambda app: {"review.human_reviewer": "138 0013 8000"},
            "reviewer-full-width-email": lambda app: {"review.human_reviewer": "zhang＠qq.com"},
        }.items()
    ],
    (
        "appeal-evidence-sha-trailing-junk",
        None,
        lambda app, me: (
            "POST",
            "/v1/appeals",
            {"json": appeal_body("13800138000", evidence=[{**VIDEO, "sha256": VIDEO["sha256"] + "00"}])},
        ),
    ),
    # -- NUL characters, which PostgreSQL cannot store in text
    (
        "appeal-statement-nul",
        None,
        lambda app, me: (
            "POST",
            "/v1/appeals",
            {"json": appeal_body("13800138000", statement="I never filed that complaint at all.\x00")},
        ),
    ),
    (
        "appeal-contact-nul",
        None,
        lambda app, me: ("POST", "/v1/appeals", {"json": appeal_body("13800138000", contact="a\x00@example.cn")}),
    ),
    (
        "appeal-value-nul",
        None,
        lambda app, me: (
            "POST",
            "/v1/appeals",
            {"json": appeal_body("13800138000", identifiers=[{"type": "phone", "value": "1380013\x008000"}])},
        ),
    ),
    (
        "status-code-contact-nul",
        None,
        lambda app, me: ("POST", "/v1/appeals/A-1/status-code", {"json": {"contact": "a\x00@example.cn"}}),
    ),
    (
        "entry-reviewer-nul",
        "submit",
        lambda app, me: ("POST", "/v1/entries", {"json": _entry_with(app, **{"review.human_reviewer": "rev\x00"})}),
    ),
    (
        "entry-model-nul",
        "submit",
        lambda app, me: ("POST", "/v1/entries", {"json": _entry_with(app, **{"review.ai_model": "m\x00"})}),
    ),
    (
        "entry-uri-nul",
        "submit",
        lambda app, me: ("POST", "/v1/entries", {"json": _entry_with(app, **{"evidence.0.uri": "s3://x\x00"})}),
    ),
    ("entry-retract-nul", "submit", lambda app, me: ("POST", "/v1/entries/E-1/retract", {"json": {"reason": "\x00"}})),
    (
        "lookup-subject-nul",
        "query",
        lambda app, me: (
            "POST",
            "/v1/lookups",
            {
                "json": {
                    "purpose": "complaint_intake",
                    "reference": "CMP-1",
                    "identifiers": [_lookup_item(app, subject="s\x00")],
                }
            },
        ),
    ),
    ("entries-case-ref-query-nul", "submit", lambda app, me: ("GET", "/v1/entries?case_ref=a%00b", {})),
    ("path-nul", "submit", lambda app, me: ("GET", "/v1/entries/E%00-1", {})),
    ("token-iss-nul", None, lambda app, me: ("POST", "/v1/oauth/token", {"data": _token_form(iss="fuzz\x00")})),
    ("token-exp-huge", None, lambda app, me: ("POST", "/v1/oauth/token", {"data": _token_form(exp=10**20)})),
    # -- JSON nested thousands deep
    *[
        (
            f"deep-json-{name}",
            scope,
            lambda app, me, path=path: ("POST", path, {"data": _deep(), "content_type": "application/json"}),
        )
        for name, scope, path in [
            ("appeal", None, "/v1/appeals"),
            ("entry", "submit", "/v1/entries"),
            ("batch", "submit", "/v1/entries:batch"),
            ("lookup", "query", "/v1/lookups"),
            ("status-code", None, "/v1/appeals/A-1/status-code"),
        ]
    ],
    (
        "deep-json-inside-entry",
        "submit",
        lambda app, me: (
            "POST",
            "/v1/entries",
            {"data": '{"case_ref": "x", "identifiers": ' + _deep() + "}", "content_type": "application/json"},
        ),
    ),
    (
        "deep-json-appeal-form",
        None,
        lambda app, me: ("POST", "/v1/appeals", {"data": {"appeal": _deep()}, "content_type": "multipart/form-data"}),
    ),
]


@pytest.fixture
def scoped(make_member, auth) -> dict[str, dict[str, str]]:
    return {role: auth.headers(make_member(f"bad-{role}", roles=[role])) for role in ("query", "submit")}


def _rows(db) -> tuple[int, ...]:
    db.session.rollback()
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Entry, Appeal, Dispute, Event))


@pytest.mark.parametrize(("scope", "build"), [pytest.param(scope, build, id=name) for name, scope, build in CASES])
def test_bad_input_is_a_4xx_problem_and_writes_nothing(client, app, db, scoped, scope, build):
    method, path, kwargs = build(app, f"bad-{scope or 'query'}")
    before = _rows(db)
    response = client.open(path, method=method, headers=scoped[scope] if scope else {}, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == response.status_code and problem["code"] and problem["type"].endswith(problem["code"])
    assert _rows(db) == before


def test_a_batch_item_at_the_ends_of_the_calendar_is_rejected_alone(client, app, db, scoped):
    items = [
        _entry_with(app, occurred_at="0001-01-01T00:00:00+05:00"),
        _entry_with(app, occurred_at="9999-12-31T23:59:59-05:00"),
    ]
    before = _rows(db)
    response = client.post("/v1/entries:batch", json={"entries": items}, headers=scoped["submit"])
    assert response.status_code == 200
    assert [item["status"] for item in response.get_json()["results"]] == ["rejected", "rejected"]
    assert [item["errors"][0]["pointer"] for item in response.get_json()["results"]] == ["/occurred_at"] * 2
    assert _rows(db) == before
