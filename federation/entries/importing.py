"""Importing a member's historical cases from files of raw identifiers.

Rows (JSON Lines or CSV) carry raw identifiers; they are normalised and hashed
here under every accepted federation salt, exactly as the SDK does on a member's side, and
the raw values go no further: no raw value is stored, printed or kept on an
error. Each row becomes the same wire payload ``POST /v1/entries`` takes, so
the import obeys every rule the API does. Re-running an import is safe: rows
already listed come back as ``existing`` (idempotent by ``case_ref``), and
re-running it after a salt rotation re-keys them (``rekeying.py``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ..errors import Conflict, ValidationFailed, field_error
from ..identifiers import PRIMARY_TYPES, InvalidIdentifier, hash_all_salts
from ..identifiers.secrets import IdentifierSecrets
from . import rekeying, rules, service

#: CSV columns holding raw identifiers; several values in one cell are separated by ";".
CSV_IDENTIFIER_COLUMNS = PRIMARY_TYPES
COMMIT_EVERY = 200


class RowError(Exception):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass
class ImportReport:
    created: int = 0
    existing: int = 0
    rejected: int = 0
    problems: list[tuple[int, str, list[dict[str, str]]]] = field(default_factory=list)

    def reject(self, line: int, code: str, errors: list[dict[str, str]]) -> None:
        self.rejected += 1
        self.problems.append((line, code, errors))


def count_rows(path: Path, fmt: str) -> int:
    with path.open(encoding="utf-8") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if fmt == "csv" else lines


def read_rows(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """``(line number, row)``; a row that is not an object is ``None``."""
    with path.open(encoding="utf-8", newline="") as handle:
        if fmt == "csv":
            for number, row in enumerate(csv.DictReader(handle), start=2):
                yield number, dict(row)
            return
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    row = None
                yield number, row if isinstance(row, dict) else None


def row_to_payload(row: dict[str, Any], fmt: str, secrets: IdentifierSecrets) -> dict[str, Any]:
    """The wire payload for one row, its identifiers hashed. Raises :class:`RowError`."""
    return _csv_payload(row, secrets) if fmt == "csv" else _jsonl_payload(row, secrets)


def _hash_raw(pairs: list[tuple[str, str]], secrets: IdentifierSecrets) -> list[dict[str, str]]:
    hashed: list[dict[str, str]] = []
    errors: list[dict[str, str]] = []
    for index, (type_, raw) in enumerate(pairs):
        try:
            hashed += [h.as_dict() for h in hash_all_salts(type_, raw, _salts_current_first(secrets))]
        except InvalidIdentifier as error:  # the message never holds the raw value
            errors.append(field_error(f"/identifiers/{index}", f"{error.code}: {error.reason}", location="row"))
    if errors:
        raise RowError(errors)
    return hashed


def _salts_current_first(secrets: IdentifierSecrets) -> list[tuple[str, bytes]]:
    """Every accepted salt: during a rotation an imported case matches lookups hashed under any of them."""
    table = secrets.table
    return sorted(table.salts.items(), key=lambda item: item[0] != table.current_key_id)


def _jsonl_payload(row: dict[str, Any], secrets: IdentifierSecrets) -> dict[str, Any]:
    raw = row.get("identifiers")
    if isinstance(raw, dict):  # {"phone": ["138..."], "device": "..."}
        pairs = [(t, v) for t, values in raw.items() for v in (values if isinstance(values, list) else [values])]
    elif isinstance(raw, list):  # [{"type": "phone", "value": "138..."}]
        pairs = [(str(item.get("type")), item.get("value")) for item in raw if isinstance(item, dict)]
    else:
        raise RowError([field_error("/identifiers", "Give raw identifiers.", location="row")])
    payload = {key: value for key, value in row.items() if key != "identifiers"}
    if isinstance(payload.get("amount"), str | int | float):
        payload["amount"] = {"value": str(payload["amount"]), "currency": payload.pop("currency", "CNY")}
    return {**payload, "identifiers": _hash_raw(pairs, secrets)}


def _csv_payload(row: dict[str, str], secrets: IdentifierSecrets) -> dict[str, Any]:
    pairs = [(t, v.strip()) for t in CSV_IDENTIFIER_COLUMNS for v in (row.get(t) or "").split(";") if v.strip()]
    payload: dict[str, Any] = {
        "case_ref": row.get("case_ref"),
        "category": row.get("category"),
        "tier": int(row["tier"]) if (row.get("tier") or "").isdigit() else row.get("tier"),
        "occurred_at": row.get("occurred_at"),
        "identifiers": _hash_raw(pairs, secrets),
        "evidence": [
            {
                "kind": row.get("evidence_kind"),
                "sha256": row.get("evidence_sha256"),
                "size": int(row["evidence_size"]) if (row.get("evidence_size") or "").isdigit() else None,
                "captured_at": row.get("evidence_captured_at"),
            }
        ],
        "review": {
            "ai_score": _number(row.get("ai_score")),
            "ai_model": row.get("ai_model"),
            "human_reviewer": row.get("human_reviewer"),
            "reviewed_at": row.get("reviewed_at"),
        },
    }
    if row.get("amount"):
        payload["amount"] = {"value": row["amount"], "currency": row.get("currency") or "CNY"}
    return payload


def _number(text: str | None) -> float | str | None:
    try:
        return float(text) if text else None
    except ValueError:
        return text


def import_rows(
    session: Session,
    member_id: str,
    rows: Iterator[tuple[int, dict[str, Any] | None]],
    *,
    fmt: str,
    validate: Callable[[dict[str, Any]], rules.Submission],
    policy: rules.Policy,
    identifier_secrets: IdentifierSecrets,
    now: datetime,
    progress: Callable[[int], None] = lambda _: None,
) -> ImportReport:
    """Submit row by row, committing every ``COMMIT_EVERY`` rows so an interrupted run keeps its work.

    ``validate`` turns a wire payload into a :class:`rules.Submission` or
    raises :class:`ValidationFailed`; the caller passes the API's schema.
    """
    report = ImportReport()
    for done, (line, row) in enumerate(rows, start=1):
        try:
            if row is None:
                raise RowError([field_error("/", "Not a JSON object.", location="row")])
            submission = validate(row_to_payload(row, fmt, identifier_secrets))
            outcome = service.submit(
                session, member_id, submission, policy=policy, identifier_secrets=identifier_secrets, now=now
            )
        except RowError as error:
            report.reject(line, "invalid_row", error.errors)
        except ValidationFailed as error:
            report.reject(line, error.code, error.errors or [])
        except Conflict as error:
            report.reject(line, error.code, [field_error("/case_ref", error.detail, location="row")])
        else:
            if outcome.created:
                report.created += 1
            else:  # imported before a salt rotation: add the hashes under the new salt, screened as a listing's
                item = rekeying.RekeyItem(outcome.entry.ref, submission.identifiers)
                try:
                    with session.begin_nested():
                        rekeying.rekey(
                            session,
                            member_id,
                            [item],
                            identifier_secrets=identifier_secrets,
                            now=now,
                            guard_days=policy.reinsertion_guard_days,
                        )
                except ValidationFailed as error:
                    report.reject(line, error.code, error.errors or [])
                else:
                    report.existing += 1
        if done % COMMIT_EVERY == 0:
            session.commit()
        progress(1)
    session.commit()
    return report
