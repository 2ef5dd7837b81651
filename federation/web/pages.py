"""The appeal form, its receipt, and the status page.

The handlers read the form into the same dictionary the JSON API takes, load
it with the same schema and call the same service (``api.appeals``), so the
page and the API cannot drift apart. Uploaded files are stored and checked by
``disputes.evidence_files`` before anything is filed.
"""

from __future__ import annotations

import secrets
from typing import Any

import marshmallow as ma
from flask import Blueprint, g, render_template, request
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError as CSRFError

from ..api.appeals import file_appeal_from, request_status_code
from ..api.disputes import due_process
from ..api.schemas.disputes import AppealSchema
from ..disputes import appeals
from ..errors import FederationError, flatten_messages
from ..extensions import db
from .i18n import DEFAULT, LANGUAGES, translate

blp = Blueprint("web", __name__, template_folder="templates")

TYPES = appeals.APPEALABLE_TYPES
ROWS = 3


@blp.before_request
def _language() -> None:
    wanted = request.values.get("lang")
    g.language = wanted if wanted in LANGUAGES else DEFAULT


@blp.app_context_processor
def _words() -> dict[str, Any]:
    def t(key: str) -> str:
        return translate(key, g.get("language", DEFAULT))

    other = "en" if g.get("language", DEFAULT) == "zh-CN" else "zh-CN"
    return {"t": t, "language": g.get("language", DEFAULT), "other_language": other, "types": TYPES}


def _form_page(errors: list[str], status: int = 200):
    """The form keeps its nonce across corrections: nothing was filed, and a resubmission of the
    same form after a lost answer must find the appeal it filed (the API's ``Idempotency-Key``)."""
    nonce = request.form.get("nonce") or secrets.token_urlsafe(18)
    return render_template("appeal_form.html", errors=errors, form=request.form, rows=ROWS, nonce=nonce), status


@blp.get("/appeal")
def appeal_form():
    return _form_page([])


@blp.post("/appeal")
def file_appeal():
    try:
        validate_csrf(request.form.get("csrf_token"))
        body = _body_from_form()
        nonce = request.form.get("nonce", "")[:128] or None
        filed = file_appeal_from(AppealSchema().load(body), request.remote_addr or "", nonce)
    except CSRFError:
        return _form_page([translate("csrf", g.language)], 400)
    except ma.ValidationError as error:
        return _form_page([f"{e['pointer']}: {e['detail']}" for e in flatten_messages({"form": error.messages})], 422)
    except FederationError as error:
        db.session.rollback()
        details = [f"{e['pointer']}: {e['detail']}" for e in error.errors or []]
        return _form_page([error.detail or error.code, *details], error.status)
    finally:
        for upload in request.files.values():  # spooled to disk when large: close now, not at collection
            upload.close()
    return render_template("appeal_receipt.html", appeal=filed.appeal.ref, token=filed.status_token), 202


def _body_from_form() -> dict[str, Any]:
    """The JSON API's body, from the form fields and uploaded files."""
    form, files = request.form, request.files
    identifiers = [
        {"type": form.get(f"type_{n}", ""), "value": form.get(f"value_{n}", "").strip()}
        for n in range(ROWS)
        if form.get(f"value_{n}", "").strip()
    ]
    settings = due_process()
    evidence = []
    video, declared = files.get("id_video_file"), form.get("id_video_sha256", "").strip().lower() or None
    if video and video.filename:
        stored = settings.store(video, pointer="/id_video", declared=declared)
        evidence.append({"kind": "id_video", "sha256": stored.sha256, "size": stored.size})
    elif declared:
        evidence.append({"kind": "id_video", "sha256": declared})
    for upload in files.getlist("other_files"):
        if upload and upload.filename:
            stored = settings.store(upload, pointer="/other_files")
            evidence.append({"kind": "other", "sha256": stored.sha256, "size": stored.size})
    return {
        "identifiers": identifiers,
        "statement": form.get("statement", ""),
        "contact": form.get("contact", ""),
        "evidence": evidence,
        "language": g.language,
    }


@blp.get("/appeal/status")
def status_form():
    return render_template("appeal_status.html", appeal=None, errors=[])


@blp.post("/appeal/status")
def status():
    try:
        validate_csrf(request.form.get("csrf_token"))
    except CSRFError:
        return render_template("appeal_status.html", appeal=None, errors=[translate("csrf", g.language)]), 400
    try:
        found = appeals.appeal_for_token(
            db.session, request.form.get("appeal", "").strip(), request.form.get("token", "")
        )
    except FederationError:
        return render_template("appeal_status.html", appeal=None, errors=[translate("not_found", g.language)]), 404
    return render_template("appeal_status.html", appeal=found, errors=[])


@blp.get("/appeal/resend")
def resend_form():
    return render_template("appeal_resend.html", sent=False, errors=[], form={})


@blp.post("/appeal/resend")
def resend():
    """A new status code to the appeal's contact; the page says the same whether or not one was sent."""
    ref, contact = request.form.get("appeal", "").strip(), request.form.get("contact", "").strip()
    try:
        validate_csrf(request.form.get("csrf_token"))
        if not ref or not 3 <= len(contact) <= 200:
            return _resend_page([translate("resend_invalid", g.language)], 422)
        request_status_code(ref, contact, request.remote_addr or "")
    except CSRFError:
        return _resend_page([translate("csrf", g.language)], 400)
    except FederationError as error:  # the rate limits: the only refusal, the same for any appeal number
        db.session.rollback()
        return _resend_page([translate("resend_limited", g.language)], error.status)
    return render_template("appeal_resend.html", sent=True, errors=[], form={}), 202


def _resend_page(errors: list[str], status: int):
    return render_template("appeal_resend.html", sent=False, errors=errors, form=request.form), status
