"""Public delisting appeals (no credentials) and reviewers' decisions on them."""

from __future__ import annotations

from functools import partial

import marshmallow as ma
import orjson
from flask import current_app, has_request_context, request, send_file, url_for

from ..database import utcnow
from ..disputes import appeals, case_files, cases, status_codes
from ..disputes.evidence_files import UploadSpool
from ..errors import ValidationFailed, field_error, flatten_messages
from ..extensions import db
from ..notify import postman
from .auth import current_principal, public, requires
from .disputes import due_process
from .parsing import Blueprint, idempotency_key, read_json_body
from .schemas.cases import AppealCaseSchema
from .schemas.disputes import (
    AppealDecisionSchema,
    AppealReceiptSchema,
    AppealSchema,
    AppealStatusSchema,
    ReviewCaseSchema,
    ReviewerAppealSchema,
    StatusCodeRequestedSchema,
    StatusCodeRequestSchema,
)
from .transactions import after_commit

blp = Blueprint("appeals", __name__, description="Listed people ask to be delisted.")

TOKEN_HEADER = "Appeal-Token"  # noqa: S105 - a header name
#: The one answer to a request for a new status code, whether or not anything was sent.
CODE_REQUESTED = {
    "detail": "If this appeal is open and that is the contact it gave, a new status code is on its way there."
}


def file_appeal_from(
    body: dict, client_address: str, idempotency_key: str | None = None, *, spool: UploadSpool | None = None
) -> appeals.FiledAppeal:
    """Shared by the API and the web form: one path from a validated body to a stored appeal.

    Uploaded files wait in ``spool`` and are moved into place only once the appeal passed its
    validation and limits: a refused appeal leaves nothing on disk.
    """
    settings = due_process()
    filed = appeals.file_appeal(
        db.session,
        identifiers=[(item["type"], item["value"]) for item in body["identifiers"]],
        statement=body["statement"],
        contact=body["contact"],
        evidence=body["evidence"],
        client_address=client_address,
        language=body["language"],
        now=utcnow(),
        identifier_secrets=current_app.extensions["federation.identifiers"],
        contact_box=settings.contact_box,
        limits=settings.limits,
        deadlines=settings.deadlines,
        default_region=current_app.config["DEFAULT_REGION"],
        idempotency_key=idempotency_key,
    )
    if spool is not None:
        spool.keep()  # the appeal passed its checks: its files may stay (committed at the request's end)
    return filed


def status_page_url() -> str:
    """The status page's address for messages to appellants: under ``FEDERATION_PUBLIC_URL`` when set,
    else the request's own host; ``federation tick`` has no request, and without the setting can only
    give the path."""
    base = current_app.config.get("PUBLIC_URL")
    if not base and has_request_context():
        return url_for("web.status_form", _external=True)
    path = current_app.url_map.bind("localhost").build("web.status_form")  # the path, request or not
    return f"{str(base or '').rstrip('/')}{path}"


def request_status_code(ref: str, contact: str, client_address: str) -> None:
    """Shared by the API and the resend page: a new code goes to the appeal's contact, if it is that contact.

    The message is handed to the postman only after the request committed (the new code works by
    then), and delivered on its thread: the request takes the same time either way.
    """
    settings = due_process()
    message = status_codes.request_new_code(
        db.session,
        ref=ref,
        contact=contact,
        client_address=client_address,
        status_url=status_page_url(),
        now=utcnow(),
        identifier_secrets=current_app.extensions["federation.identifiers"],
        contact_box=settings.contact_box,
        limits=settings.code_limits,
    )
    after_commit(partial(postman().post, message))


def _appeal_body(spool: UploadSpool) -> dict:
    """JSON, or multipart with the JSON in part ``appeal`` and evidence files in parts ``files``.

    Each uploaded file is spooled under its SHA-256, which must be one of the declared evidence
    digests: the digest is what reviewers and the dispute refer to.
    """
    if request.mimetype != "multipart/form-data":
        return _load(read_json_body(request), "json")
    try:
        document = orjson.loads(request.form.get("appeal", ""))
    except orjson.JSONDecodeError:
        raise ValidationFailed(
            "Part 'appeal' must hold the appeal as JSON.", errors=[field_error("/appeal", "JSON.")]
        ) from None
    body = _load(document, "form")
    declared = {item["sha256"] for item in body["evidence"]}
    for index, upload in enumerate(request.files.getlist("files")):
        stored = spool.add_upload(upload, pointer=f"/files/{index}")
        if stored.sha256 not in declared:
            raise ValidationFailed(
                "An uploaded file matches no declared evidence digest.",
                errors=[field_error(f"/files/{index}", f"SHA-256 {stored.sha256} is not among the evidence.")],
            )
    return body


def _load(document, location: str) -> dict:
    try:
        return AppealSchema().load(document)
    except ma.ValidationError as error:
        raise ValidationFailed(
            "The appeal has invalid fields; see errors.", errors=flatten_messages({location: error.messages})
        ) from None


@blp.route("/v1/appeals", methods=["POST"])
@public
@blp.doc(
    requestBody={
        "content": {
            "application/json": {"schema": AppealSchema},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "appeal": {"type": "string", "description": "the JSON body"},
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            },
        }
    }
)
@blp.response(202, AppealReceiptSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
@blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string", "maxLength": 128}}])
def file_appeal():
    """File an appeal. The answer is the same whether or not anything is listed: keep the token.

    Send an ``Idempotency-Key``: a retry with the same key and content returns the same appeal and code.
    """
    with due_process().spool() as spool:
        return file_appeal_from(_appeal_body(spool), request.remote_addr or "", idempotency_key(request), spool=spool)


@blp.route("/v1/appeals/<ref>")
@public
@blp.response(200, AppealStatusSchema)
@blp.doc(parameters=[{"in": "header", "name": TOKEN_HEADER, "required": True, "schema": {"type": "string"}}])
def appeal_status(ref):
    """Progress, deadline and decision of an appeal, for the holder of its status token."""
    return appeals.appeal_for_token(db.session, ref, request.headers.get(TOKEN_HEADER, ""))


@blp.route("/v1/appeals/<ref>/status-code", methods=["POST"])
@public
@blp.arguments(StatusCodeRequestSchema)
@blp.response(202, StatusCodeRequestedSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def new_status_code(body, ref):
    """Lost the status code? A new one is sent to the contact the appeal gave, if ``contact`` is that one.

    The answer is the same whether or not the appeal exists or the contact matches; the old code stops working.
    """
    request_status_code(ref, body["contact"], request.remote_addr or "")
    return CODE_REQUESTED


@blp.route("/v1/review/appeals")
@requires("review")
@blp.response(200)
def review_appeals():
    """Appeals waiting for a decision, oldest deadline first, and the cases they form (decided together)."""
    queue = case_files.appeal_queue(db.session, current_principal().member_id)
    return {
        "appeals": ReviewerAppealSchema(many=True).dump(queue),
        "cases": ReviewCaseSchema(many=True).dump(cases.by_case(queue)),
    }


@blp.route("/v1/appeals/<ref>/case")
@requires("review")
@blp.response(200, AppealCaseSchema)
def appeal_case(ref):
    """Everything a reviewer needs to decide: the statement, the files, every matched entry and its dispute."""
    principal = current_principal()
    return case_files.appeal_case(db.session, ref, principal.member_id, now=utcnow(), folder=due_process().upload_dir)


@blp.route("/v1/appeals/<ref>/evidence/<sha256>")
@requires("review")
@blp.response(200, content_type="application/octet-stream")
def appeal_evidence(ref, sha256):
    """An evidence file the appellant uploaded, for reviewers only; served as a download, never rendered."""
    path = case_files.evidence_file(
        db.session, ref, sha256, current_principal().member_id, folder=due_process().upload_dir
    )
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True, download_name=sha256)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/v1/appeals/<ref>/decision", methods=["POST"])
@requires("review")
@blp.arguments(AppealDecisionSchema)
@blp.response(200, ReviewerAppealSchema)
def decide_appeal(body, ref):
    """Decide an appeal's case, every appeal joined to it and every dispute they opened: ``upheld`` delists,
    ``rejected`` keeps, or ``closed_no_match``.

    The rules of a dispute decision hold for every dispute: no reviewer whose member listed a matched entry,
    and an ``expedite_reason`` if a submitter may still answer.
    """
    appeal = appeals.decide_appeal(db.session, current_principal().member_id, ref, now=utcnow(), **body)
    return appeal
