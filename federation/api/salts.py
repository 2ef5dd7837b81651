"""``GET /v1/salts``: the federation salts members hash identifiers with.

Members are the salt's rightful holders; serving it to authenticated members
makes onboarding and rotation an API call instead of a courier. The pepper is
never served.
"""

from __future__ import annotations

import marshmallow as ma
from flask import current_app

from .auth import requires
from .parsing import Blueprint

blp = Blueprint("salts", __name__, description="Identifier salts for members.")


class SaltSchema(ma.Schema):
    key_id = ma.fields.String()
    salt_hex = ma.fields.String()
    current = ma.fields.Boolean()
    status = ma.fields.String(
        metadata={"description": "current (hash new identifiers with it) or accepted (hashes under it still match)"}
    )


class SaltsSchema(ma.Schema):
    current_key_id = ma.fields.String()
    salts = ma.fields.List(ma.fields.Nested(SaltSchema))


@blp.route("/v1/salts")
@requires("query", "submit")
@blp.response(200, SaltsSchema)
def salts():
    """Every salt still accepted, the current one first: hash each identifier under all of them
    (one request, ``hashes``) so it matches whichever salt it was listed under."""
    table = current_app.extensions["federation.identifiers"].table  # one consistent reading
    ordered = sorted(table.salts.items(), key=lambda item: item[0] != table.current_key_id)
    return (
        {
            "current_key_id": table.current_key_id,
            "salts": [
                {
                    "key_id": kid,
                    "salt_hex": salt.hex(),
                    "current": kid == table.current_key_id,
                    "status": table.status(kid),
                }
                for kid, salt in ordered
            ],
        },
        200,
        {"Cache-Control": "no-store"},
    )
