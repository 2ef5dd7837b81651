"""``POST /v1/oauth/token`` and ``GET /.well-known/jwks.json``.

Token errors are problem details that also carry RFC 6749's ``error`` and
``error_description`` members, so standard OAuth clients understand them.
"""

from __future__ import annotations

import json

from flask import Response, request

from ..database import utcnow
from ..errors import FederationError
from ..extensions import db
from ..members.oauth import OAuthRequestError, grant_client_credentials
from .auth import auth_state, token_url
from .parsing import Blueprint, UnsupportedMediaType
from .schemas.members import TokenFormSchema, TokenSchema

blp = Blueprint("oauth", __name__, description="Access tokens for members (OAuth 2.0 client credentials).")

FORM_TYPE = "application/x-www-form-urlencoded"


def oauth_error_name(error: FederationError) -> str:
    if isinstance(error, OAuthRequestError):
        return error.code
    return {401: "invalid_client", 403: "unauthorized_client"}.get(error.status, "invalid_request")


@blp.route("/v1/oauth/token", methods=["POST"])
@blp.doc(requestBody={"content": {FORM_TYPE: {"schema": TokenFormSchema}}})
@blp.response(200, TokenSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
def issue_token():
    """Exchange a signed client assertion (RFC 7523 private_key_jwt) for a 15-minute access token."""
    try:
        if request.mimetype != FORM_TYPE:
            raise UnsupportedMediaType(f"Send the token request as {FORM_TYPE} (RFC 6749).")
        state = auth_state()
        issued = grant_client_credentials(
            db.session,
            request.form.to_dict(),
            token_url=token_url(),
            issuer=state.issuer,
            key_set=state.key_set,
            replay_store=state.replay_store(),
            now=utcnow(),
        )
    except FederationError as error:
        error.extra = {"error": oauth_error_name(error), "error_description": error.detail}
        raise
    return issued, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"}


@blp.route("/.well-known/jwks.json")
@blp.response(200, content_type="application/jwk-set+json", description="A JWK set (RFC 7517).")
def jwks():
    """The public keys that verify access tokens (EdDSA)."""
    body = json.dumps(auth_state().key_set.jwks())
    return Response(body, mimetype="application/jwk-set+json", headers={"Cache-Control": "public, max-age=300"})
