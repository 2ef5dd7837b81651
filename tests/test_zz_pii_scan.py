"""Late in the suite: no raw identifier or contact address anywhere the server keeps anything.

Named to run last (pytest runs files in order). It first pushes a canary set through every public
path that takes raw personal data (the appeal API as JSON and multipart, the appeal page, the
status-code request on the API and the page, refused and invalid variants, the tick that matches
appeals and mails codes), then scans, for each canary and each phone number and appellant address
the suite's own sources use:

* the database: the SQLite file's bytes (with its WAL and journal, free pages included) or every
  table of the PostgreSQL test schema through ``COPY ... TO STDOUT``;
* every file under the session's temporary folder: instance folders (audit spools, uploads,
  secrets), SQLite databases, exports, and the session log (``session_log``: every record
  logged); only the operator's own import files (``OPERATOR_INPUTS``) are skipped.

Allowed, by design: the appeal's contact, Fernet-encrypted (ciphertext does not match), and the
mail outbox (``outbox.jsonl``), which is the queue of messages *to* that contact: it may hold the
contact address (and is pruned after 7 days), never an identifier.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

TESTS = Path(__file__).parent
#: Operator settings that look like addresses, not anyone's personal data.
OPERATOR_ADDRESSES = {"privacy@example.cn", "appeals@fed.test", "p%40ss@mail.example"}
#: Files tests write as the operator's own input to ``federation import``: raw by nature, on the
#: operator's side (the command hashes locally before anything reaches the server).
OPERATOR_INPUTS = {"cases.csv", "cases.jsonl"}
CANARY_PHONES = ["13511112222", "15811113333", "18611114444", "17711115555"]
CANARY_CONTACT = "canary.contact@pii-scan.example"
CANARY_EMAIL = "canary.person@pii-scan.example"
CANARY_INVALID = ["1351111666", "canary-not-an-address@"]
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}")


def suite_values() -> tuple[set[str], set[str]]:
    """(identifiers, contacts) written in the suite's sources, plus the canaries."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in TESTS.rglob("*.py"))
    phones = set(PHONE.findall(text)) | set(CANARY_PHONES) | {CANARY_INVALID[0]}
    addresses = (set(EMAIL.findall(text)) - OPERATOR_ADDRESSES) | {CANARY_CONTACT, CANARY_EMAIL}
    return phones | {CANARY_EMAIL, CANARY_INVALID[1]}, addresses


def appeal(phone: str, *, contact: str = CANARY_CONTACT, email: str | None = None, video: bytes = b"v") -> dict:
    identifiers = [{"type": "phone", "value": phone}] + ([{"type": "email", "value": email}] if email else [])
    return {
        "identifiers": identifiers,
        "statement": "I never complained on that platform; the account is not mine at all.",
        "contact": contact,
        "evidence": [{"kind": "id_video", "sha256": hashlib.sha256(video).hexdigest()}],
    }


def push_canaries(client, cli) -> None:
    addresses = iter(f"198.18.{n // 200}.{n % 200 + 1}" for n in range(1000))

    def post(body, **kwargs):
        return client.post("/v1/appeals", environ_base={"REMOTE_ADDR": next(addresses)}, **kwargs, json=body)

    filed = post(appeal(CANARY_PHONES[0], email=CANARY_EMAIL))
    assert filed.status_code == 202, filed.get_json()
    ref = filed.get_json()["appeal"]
    video = b"\x00\x00\x00 ftypmp42 canary"
    multipart = client.post(
        "/v1/appeals",
        data={"appeal": json.dumps(appeal(CANARY_PHONES[1], video=video)), "files": (io.BytesIO(video), "id.mp4")},
        content_type="multipart/form-data",
        environ_base={"REMOTE_ADDR": next(addresses)},
    )
    assert multipart.status_code == 202, multipart.get_json()
    for bad in (
        appeal(CANARY_INVALID[0]),
        {**appeal(CANARY_PHONES[2]), "identifiers": [{"type": "email", "value": CANARY_INVALID[1]}]},
        {**appeal(CANARY_PHONES[2]), "identifiers": [{"type": 7, "value": CANARY_PHONES[2]}]},
    ):
        assert post(bad).status_code == 422
    for contact in (CANARY_CONTACT, "canary.wrong@pii-scan.example"):
        asked = client.post(
            f"/v1/appeals/{ref}/status-code", json={"contact": contact}, environ_base={"REMOTE_ADDR": next(addresses)}
        )
        assert asked.status_code == 202
    page = client.get("/appeal").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {
        "csrf_token": csrf,
        "nonce": "pii-scan",
        "type_0": "phone",
        "value_0": CANARY_PHONES[3],
        "statement": "这个手机号从未在该平台下单，我没有投诉过任何人。",
        "contact": CANARY_CONTACT,
        "id_video_file": (io.BytesIO(b"\x00 canary page video"), "id.mp4"),
    }
    assert client.post("/appeal", data=form, environ_base={"REMOTE_ADDR": next(addresses)}).status_code == 202
    resend = client.post(
        "/appeal/resend",
        data={"csrf_token": csrf, "appeal": ref, "contact": CANARY_CONTACT},
        environ_base={"REMOTE_ADDR": next(addresses)},
    )
    assert resend.status_code == 202
    cli("tick")  # matching, mail, spools moved into the database


def database_dump(app, db) -> bytes:
    """What a thief of the database gets: the file's bytes, or every row of every table."""
    db.session.commit()
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        base = Path(url.database)
        return b"".join(p.read_bytes() for p in (base, Path(f"{base}-wal"), Path(f"{base}-journal")) if p.exists())
    chunks = []
    with db.engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        for table in sa.inspect(connection).get_table_names():
            with cursor.copy(f'COPY "{table}" TO STDOUT') as copy:
                chunks.extend(bytes(block) for block in copy)
    return b"".join(chunks)


def found_in(haystack: bytes, needles: set[str]) -> set[str]:
    lowered = haystack.lower()
    return {needle for needle in needles if needle.lower().encode() in lowered}


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_no_raw_identifier_or_contact_is_kept_anywhere(app, db, client, cli, session_log, tmp_path_factory):
    push_canaries(client, cli)
    identifiers, contacts = suite_values()
    everything = identifiers | contacts
    leaks: dict[str, set[str]] = {}
    if hits := found_in(database_dump(app, db), everything):
        leaks["database"] = hits
    for path in sorted(tmp_path_factory.getbasetemp().rglob("*")):
        if not path.is_file() or path.name in OPERATOR_INPUTS:
            continue
        allowed_here = identifiers if path.name == "outbox.jsonl" else everything
        if hits := found_in(path.read_bytes(), allowed_here):
            leaks[str(path)] = hits
    assert session_log.exists()
    assert leaks == {}
