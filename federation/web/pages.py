"""The appeal form, its receipt, and the status page.

The handlers read the form into the same dictionary the JSON API takes, load
it with the same schema and call the same service (``api.appeals``), so the
page and the API cannot drift apart. Uploaded files are checked and spooled by
``disputes.evidence_files`` and kept only once the appeal is filed (a refused attempt
leaves nothing: the person attaches the video again). What goes wrong is said
in the person's words (``problems.py``), never as the API's problem details.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import marshmallow as ma
from flask import Blueprint, current_app, g, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import validate_csrf
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import ValidationError as CSRFError

from ..api.appeals import file_appeal_from, request_status_code
from ..api.disputes import due_process
from ..api.problems import REDIS_UNAVAILABLE_ERRORS
from ..api.schemas.disputes import CONTACT_LENGTH, STATEMENT_LENGTH, AppealSchema
from ..database import UNAVAILABLE_ERRORS, UNAVAILABLE_RETRY_AFTER, utcnow
from ..disputes import appeals
from ..disputes.evidence_files import UploadSpool
from ..disputes.service import overdue
from ..errors import FederationError, flatten_messages
from ..extensions import db
from .i18n import DEFAULT, LANGUAGES, format_date, format_time, translate, zone_name
from .problems import Notice, Problems, Situation, field_notes, notice, refusal

blp = Blueprint("web", __name__, template_folder="templates")
logger = logging.getLogger(__name__)

TYPES = appeals.APPEALABLE_TYPES
ROWS = 3


@blp.before_request
def _language() -> None:
    wanted = request.args.get("lang")
    g.language = wanted if wanted in LANGUAGES else DEFAULT


@blp.before_request
def _drop_nul() -> None:
    """U+0000 cannot be typed, and PostgreSQL cannot store it: it is dropped from the form's fields
    (the API refuses it with a 422; a person gets the page as if it had never been there)."""
    if request.method != "POST":
        return
    try:
        fields = request.form
    except RequestEntityTooLarge:
        return  # the view explains it in the person's words
    if any("\x00" in key or "\x00" in value for key, value in fields.items(multi=True)):
        request.form = ImmutableMultiDict(
            [(key.replace("\x00", ""), value.replace("\x00", "")) for key, value in fields.items(multi=True)]
        )


@blp.app_context_processor
def _words() -> dict[str, Any]:
    language = g.get("language", DEFAULT)

    def t(key: str, **params: Any) -> str:
        return translate(key, language, **params)

    config = current_app.config
    contact = config.get("OPERATOR_CONTACT")
    href = f"mailto:{contact}" if contact and "@" in contact and " " not in contact else None
    if contact and contact.startswith(("https://", "http://")):
        href = contact
    return {
        "t": t,
        "language": language,
        "other_language": "en" if language == "zh-CN" else "zh-CN",
        "operator_name": config.get("OPERATOR_NAME") or t("site"),
        "operator_contact": contact,
        "operator_href": href,
    }


def _situation() -> Situation:
    settings = due_process()
    return Situation(
        now=utcnow(),
        calendar=settings.deadlines.calendar,
        repeat_days=settings.limits.repeat_days,
        upload_max_bytes=settings.upload_max_bytes,
        max_body_bytes=current_app.config["MAX_BODY_BYTES"],
        statement_length=STATEMENT_LENGTH,
        contact_length=CONTACT_LENGTH,
    )


def _deadline(instant) -> str:
    """A deadline as the person reads it: the local working day, in their language and zone."""
    calendar = due_process().deadlines.calendar
    return translate(
        "decide_by_value",
        g.language,
        date=format_date(calendar.local_date(instant), g.language),
        zone=zone_name(calendar.time_zone, g.language),
    )


def _local_time(instant) -> str:
    calendar = due_process().deadlines.calendar
    moment = format_time(instant.astimezone(calendar.zone), g.language)
    return translate("local_time", g.language, time=moment, zone=zone_name(calendar.time_zone, g.language))


def _form_page(problems: Problems, status: int = 200, *, form: Any = None):
    """The form keeps its nonce across corrections: nothing was filed, and a resubmission of the
    same form after a lost answer must find the appeal it filed (the API's ``Idempotency-Key``)."""
    settings = due_process()
    form = request.form if form is None else form
    return render_template(
        "appeal_form.html",
        form=form,
        nonce=form.get("nonce") or secrets.token_urlsafe(18),
        problems=problems,
        notice=problems.notice,
        rows=ROWS,
        types=TYPES,
        statement_length=STATEMENT_LENGTH,
        upload_mb=settings.upload_max_bytes // (1024 * 1024),
        deadlines=settings.deadlines,
    ), status


@blp.get("/appeal")
def appeal_form():
    return _form_page(Problems())


@blp.post("/appeal")
def file_appeal():
    situation = _situation()
    try:
        form = request.form
    except RequestEntityTooLarge:
        return _form_page(Problems(notice=notice("too_large", situation, g.language)), 413, form={})
    body: dict[str, Any] = {}
    rows = [n for n in range(ROWS) if form.get(f"value_{n}", "").strip()]
    spool = due_process().spool()  # files are kept only if the appeal is filed
    try:
        validate_csrf(form.get("csrf_token"))
        body = _body_from_form(rows, spool)
        nonce = form.get("nonce", "")[:128] or None
        filed = file_appeal_from(AppealSchema().load(body), request.remote_addr or "", nonce, spool=spool)
    except CSRFError:
        return _form_page(Problems(notice=notice("csrf", situation, g.language)), 400)
    except ma.ValidationError as error:
        raw = [(item["type"], item["value"]) for item in body["identifiers"]]
        errors = flatten_messages({"form": error.messages}) + appeals.identifier_errors(
            raw, current_app.config["DEFAULT_REGION"]
        )
        return _form_page(_notes(errors, rows, situation), 422)
    except FederationError as error:
        if error.status == 422:
            return _form_page(_notes(error.errors or [], rows, situation), 422)
        return _form_page(refusal(error.status, error.code, error.headers, situation, g.language), error.status)
    finally:
        spool.discard()
        for upload in request.files.values():  # spooled to disk when large: close now, not at collection
            upload.close()
    receipt = {"appeal": filed.appeal.ref, "token": filed.status_token, "decide_by": _deadline(filed.appeal.decide_by)}
    return render_template("appeal_receipt.html", receipt=receipt, deadlines=due_process().deadlines), 202


def _notes(errors: list[dict[str, Any]], rows: list[int], situation: Situation) -> Problems:
    return field_notes(errors, rows=rows, form=request.form, situation=situation, language=g.language)


def _body_from_form(rows: list[int], spool: UploadSpool) -> dict[str, Any]:
    """The JSON API's body, from the form fields (the filled-in ``rows``) and uploaded files."""
    form, files = request.form, request.files
    identifiers = [{"type": form.get(f"type_{n}", ""), "value": form.get(f"value_{n}", "").strip()} for n in rows]
    evidence = []
    video, declared = files.get("id_video_file"), form.get("id_video_sha256", "").strip().lower() or None
    if video and video.filename:
        stored = spool.add_upload(video, pointer="/id_video", declared=declared)
        evidence.append({"kind": "id_video", "sha256": stored.sha256, "size": stored.size})
    elif declared:
        evidence.append({"kind": "id_video", "sha256": declared})
    for upload in files.getlist("other_files"):
        if upload and upload.filename:
            stored = spool.add_upload(upload, pointer="/other_files")
            evidence.append({"kind": "other", "sha256": stored.sha256, "size": stored.size})
    return {
        "identifiers": identifiers,
        "statement": form.get("statement", ""),
        "contact": form.get("contact", ""),
        "evidence": evidence,
        "language": g.language,
    }


def _status_page(appeal=None, notice_: Notice | None = None, status: int = 200):
    shown = None
    if appeal is not None:
        shown = {
            "ref": appeal.ref,
            "state": appeal.state,
            "received_at": _local_time(appeal.created_at),
            "decide_by": _deadline(appeal.decide_by),
            "overdue": overdue(appeal, utcnow()),
            "decided_at": appeal.decided_at and _local_time(appeal.decided_at),
            "reason": appeal.decision_reason,
        }
    return render_template("appeal_status.html", appeal=shown, notice=notice_), status


@blp.get("/appeal/status")
def status_form():
    return _status_page()


@blp.post("/appeal/status")
def status():
    try:
        validate_csrf(request.form.get("csrf_token"))
    except CSRFError:
        return _status_page(notice_=notice("csrf", _situation(), g.language), status=400)
    try:
        found = appeals.appeal_for_token(
            db.session, request.form.get("appeal", "").strip(), request.form.get("token", "").strip()
        )
    except FederationError:
        missing = Notice(translate("not_found_title", g.language), translate("not_found", g.language))
        return _status_page(notice_=missing, status=404)
    return _status_page(found)


@blp.get("/appeal/resend")
def resend_form():
    return _resend_page()


@blp.post("/appeal/resend")
def resend():
    """A new status code to the appeal's contact; the page says the same whether or not one was sent."""
    ref, contact = request.form.get("appeal", "").strip(), request.form.get("contact", "").strip()
    situation = _situation()
    try:
        validate_csrf(request.form.get("csrf_token"))
        if not ref or not 3 <= len(contact) <= 200:
            invalid = Notice(translate("resend_title", g.language), translate("resend_invalid", g.language))
            return _resend_page(invalid, 422)
        request_status_code(ref, contact, request.remote_addr or "")
    except CSRFError:
        return _resend_page(notice("csrf", situation, g.language), 400)
    except FederationError as error:  # the rate limits: the only refusal, the same for any appeal number
        retry_after = int(error.headers.get("Retry-After", 3600))
        return _resend_page(notice("resend_rate", situation, g.language, retry_after=retry_after), error.status)
    return render_template("appeal_resend.html", sent=True, form={}), 202


def _resend_page(notice_: Notice | None = None, status: int = 200):
    return render_template("appeal_resend.html", sent=False, notice=notice_, form=request.form), status


def _unavailable(error: Exception):
    """The database (or Redis) down: the page says so in the person's words, 503 with ``Retry-After``,
    instead of the API's problem details."""
    logger.warning("page served while a dependency is unavailable: %s", type(error).__name__)
    words = Notice(translate("notice.unavailable.title", g.language), translate("notice.unavailable", g.language))
    endpoint = request.endpoint or ""
    if endpoint.startswith("web.status"):
        page, status = _status_page(notice_=words, status=503)
    elif endpoint.startswith("web.resend"):
        page, status = _resend_page(words, 503)
    else:
        page, status = _form_page(Problems(notice=words), 503, form={})
    return page, status, {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)}


for _kind in (*UNAVAILABLE_ERRORS, *REDIS_UNAVAILABLE_ERRORS):
    blp.register_error_handler(_kind, _unavailable)


@blp.errorhandler(RateLimitExceeded)
def _too_many(error: RateLimitExceeded):
    """The per-address rate limit (``api/ratelimits.py``) refused the page before it ran: said in words,
    429; flask-limiter adds ``Retry-After`` and the ``RateLimit-*`` headers to the answer."""
    _language()  # the limiter ran before this blueprint's own hooks
    retry_after = max(1, int(error.limit.limit.get_expiry()))
    words = notice("too_many", _situation(), g.language, retry_after=retry_after)
    endpoint = request.endpoint or ""
    if endpoint.startswith("web.status"):
        return _status_page(notice_=words, status=429)
    if endpoint.startswith("web.resend"):
        return _resend_page(words, 429)
    return _form_page(Problems(notice=words), 429, form={})
