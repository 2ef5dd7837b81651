"""The baseline: a bare Flask endpoint doing the same indexed query, nothing else.

Same request body, same peppered hashing (it is how the keys are formed), the
same SQL through SQLAlchemy Core; no authentication, no validation, no
scoring, no audit. Run: ``gunicorn 'bench.baseline:create_app()'``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, Response, json, request
from sqlalchemy import bindparam, create_engine, text

from federation.identifiers.secrets import load_identifier_secrets
from federation.lookups.matching import COLUMNS, JOINS

#: The same two forms the server uses (federation/lookups/matching.py), so the query is the same.
QUERY_SQLITE = text(f"{COLUMNS}FROM entry_identifiers ei {JOINS} WHERE ei.stored_hash IN :hashes").bindparams(
    bindparam("hashes", expanding=True)
)
QUERY_POSTGRESQL = text(
    f"{COLUMNS}FROM unnest(CAST(:hashes AS bytea[])) AS q(h) JOIN entry_identifiers ei ON ei.stored_hash = q.h {JOINS}"
)


def create_app() -> Flask:
    instance = Path(os.environ["FEDERATION_INSTANCE_PATH"])
    secrets = load_identifier_secrets(instance / "salts.json", instance / "pepper.hex")
    engine = create_engine(os.environ["FEDERATION_DATABASE_URL"], pool_size=10)
    app = Flask(__name__)

    @app.post("/lookup")
    def lookup() -> Response:
        body = json.loads(request.get_data())
        keys = [secrets.stored_hash(i["key_id"], i["type"], i["hash"]) for i in body["identifiers"]]
        now = datetime.now(UTC)
        if engine.dialect.name == "sqlite":  # stored as naive UTC text, as UTCDateTime writes it
            now = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        else:
            now = now.replace(tzinfo=None)
        with engine.connect() as connection:
            query = QUERY_POSTGRESQL if engine.dialect.name == "postgresql" else QUERY_SQLITE
            rows = connection.execute(query, {"hashes": keys}).all()
        shown = [row for row in rows if row.state in ("active", "suspended") and str(row.expires_at) > str(now)]
        return Response(
            json.dumps({"rows": [[row.ref, row.tier, str(row.occurred_at)] for row in shown]}),
            mimetype="application/json",
        )

    return app
