"""``federation import``, ``export`` and ``purge`` against the real database."""

from __future__ import annotations

import csv
import hashlib
import json
from decimal import Decimal

from sqlalchemy import func, select

from federation.entries.models import Entry, EntryIdentifier
from tests.entries.factories import OCCURRED, entry_payload


def jsonl_row(app, case_ref: str, **identifiers) -> dict:
    row = entry_payload(app, case_ref)
    row["identifiers"] = identifiers or {"phone": ["138 0013 8000"], "device": "35-209900-176148-1"}
    return row


def test_jsonl_import_hashes_locally_reports_rejects_and_resumes(app, db, cli_result, make_member, tmp_path):
    make_member("shop-a", roles=["submit"])
    rows = [
        jsonl_row(app, "h1"),
        jsonl_row(app, "h2", national_id="110105194912310021"),  # wrong check character
        {**jsonl_row(app, "h3", phone="13900139000"), "tier": 7},
        jsonl_row(app, "h4", phone=["+86 137 0013 7000"], ip="114.114.114.114"),
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\nnot json\n", encoding="utf-8")

    result = cli_result("import", str(path), "--member", "shop-a")
    assert "created 2, already listed 0, rejected 3" in result.output
    assert "line 2: invalid_row: /identifiers/0: national_id.checksum" in result.output
    assert "line 3: validation_failed: /tier" in result.output
    assert "line 5: invalid_row" in result.output
    assert "110105194912310021" not in result.output and "13900139000" not in result.output
    h4 = db.session.scalars(select(Entry).where(Entry.case_ref == "h4")).one()
    assert sorted(i.type for i in h4.identifiers) == ["ip", "ip_net", "phone"]

    again = cli_result("import", str(path), "--member", "shop-a")
    assert "created 0, already listed 2, rejected 3" in again.output
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 2


def test_csv_import(app, db, cli_result, make_member, tmp_path):
    make_member("shop-a", roles=["submit"])
    path = tmp_path / "cases.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "case_ref",
                "category",
                "tier",
                "amount",
                "currency",
                "occurred_at",
                "phone",
                "device",
                "evidence_kind",
                "evidence_sha256",
                "evidence_size",
                "evidence_captured_at",
                "ai_score",
                "ai_model",
                "human_reviewer",
                "reviewed_at",
            ]
        )
        writer.writerow(
            [
                "c1",
                "extortion",
                "2",
                "880.00",
                "CNY",
                OCCURRED.isoformat(),
                "13800138000;13900139000",
                "",
                "chat_log",
                hashlib.sha256(b"x").hexdigest(),
                "100",
                OCCURRED.isoformat(),
                "0.8",
                "m1",
                "rev-2",
                OCCURRED.isoformat(),
            ]
        )
    assert "created 1" in cli_result("import", str(path), "--member", "shop-a").output
    entry = db.session.scalars(select(Entry)).one()
    assert (entry.category, entry.tier, entry.amount, entry.currency) == ("extortion", 2, Decimal("880"), "CNY")
    assert db.session.scalar(select(func.count()).select_from(EntryIdentifier)) == 2


def test_import_for_an_unknown_member_fails(cli_result, tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text("{}\n")
    assert "member_not_found" in cli_result("import", str(path), "--member", "ghost", ok=False).output


def test_export_writes_every_entry_without_hashes(app, db, cli_result, make_member, tmp_path, client, auth):
    headers = auth.headers(make_member("shop-a", roles=["submit"]))
    for index in range(3):
        client.post("/v1/entries", json=entry_payload(app, f"e{index}", phone=f"1380013800{index}"), headers=headers)
    out = tmp_path / "export.jsonl"
    cli_result("export", "--member", "shop-a", "--out", str(out))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(line["case_ref"] for line in lines) == ["e0", "e1", "e2"]
    assert all(set(i) == {"type", "key_id", "key_ids"} for line in lines for i in line["identifiers"])


def test_purge_command(cli_result, make_member):
    assert "expired 0, purged identifiers of 0 entries" in cli_result("purge").output
