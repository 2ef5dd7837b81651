"""What went wrong with an appeal, said to the person who filed it.

The API answers with problem details made for programs: JSON pointers, English
validator messages, status codes. A person needs something else, so this module
turns them into two things the pages show:

* **field notes**, next to the control they concern, in the page's language:
  each error's pointer names the control (``/identifiers/1/value`` is the
  second filled-in number row), its ``code`` (``phone.invalid``, ``file.empty``)
  or, for schema errors that have none, the empty value (``missing``) picks the
  words; a field without words of its own for that problem gets the field's
  general note. Never the developer's ``detail``, never a pointer.
* a **notice** for limits and refusals (rate limit, an appeal already open or
  recently decided, a file too large, a digest that does not match, an expired
  page): what happened and what to do next, not something to correct.

Pure apart from the words: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..disputes.calendar import WorkingCalendar
from .i18n import format_time, has, translate, zone_name

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Notice:
    title: str
    text: str
    #: Offer the status page (for someone who already filed).
    status_link: bool = False


@dataclass(frozen=True, slots=True)
class Situation:
    """What the words may quote: the clock and the limits in force."""

    now: datetime
    calendar: WorkingCalendar
    repeat_days: int
    upload_max_bytes: int
    max_body_bytes: int
    statement_length: tuple[int, int]
    contact_length: tuple[int, int]


@dataclass(slots=True)
class Problems:
    fields: dict[str, str] = field(default_factory=dict)
    notice: Notice | None = None


def _control(pointer: str, rows: Sequence[int]) -> tuple[str, str] | None:
    """The page control a pointer into the appeal body refers to, and the field's word family."""
    parts = pointer.strip("/").split("/")
    if parts[0] == "identifiers" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(rows):
        row = rows[int(parts[1])]
        return (f"type_{row}", "type") if parts[2:] == ["type"] else (f"value_{row}", "value")
    return {
        ("identifiers",): ("value_0", "identifiers"),
        ("statement",): ("statement", "statement"),
        ("contact",): ("contact", "contact"),
        ("evidence",): ("id_video_file", "id_video"),
        ("id_video",): ("id_video_file", "id_video"),
        ("other_files",): ("other_files", "other_files"),
    }.get(tuple(parts)) or (("id_video_sha256", "id_video_digest") if parts[0] == "evidence" else None)


def field_notes(
    errors: Sequence[Mapping[str, Any]], *, rows: Sequence[int], form: Mapping[str, str], situation: Situation,
    language: str,
) -> Problems:  # fmt: skip
    """Field notes for validation errors; a notice when one cannot be placed or is not the person's to fix."""
    problems = Problems()
    for error in errors:
        code = error.get("code")
        if code == "file.digest_mismatch":
            problems.notice = notice("digest_mismatch", situation, language)
            continue
        found = _control(error.get("pointer", ""), rows)
        if found is None:
            problems.notice = problems.notice or notice("generic", situation, language)
            continue
        control, family = found
        if code is None and not form.get(control, "").strip():
            code = "missing"
        type_ = form.get(control.replace("value_", "type_"), "") if family == "value" else ""
        candidates = [f"err.{family}.{code}", f"err.{family}.{str(code).rsplit('.', 1)[-1]}", f"err.{family}.{type_}"]
        key = next((k for k in candidates if has(k)), f"err.{family}")
        low, high = situation.statement_length if family == "statement" else situation.contact_length
        note = translate(key, language, min=low, max=high, count=len(form.get(control, "").strip()))
        if note not in problems.fields.get(control, ""):
            problems.fields[control] = f"{problems.fields[control]} {note}" if control in problems.fields else note
    return problems


def refusal(status: int, code: str, headers: Mapping[str, str], situation: Situation, language: str) -> Problems:
    """A limit or a refusal of the whole appeal."""
    if status == 429:
        return Problems(notice=notice("rate", situation, language, retry_after=int(headers.get("Retry-After", 3600))))
    if status == 413:
        return Problems(notice=notice("too_large", situation, language))
    if code in ("appeal_open", "repeat_appeal"):
        return Problems(notice=notice(code, situation, language))
    return Problems(notice=notice("generic", situation, language))


def notice(kind: str, situation: Situation, language: str, *, retry_after: int = 0) -> Notice:
    zone = situation.calendar.zone
    params = {
        "time": format_time((situation.now + timedelta(seconds=retry_after)).astimezone(zone), language),
        "zone": zone_name(situation.calendar.time_zone, language),
        "days": situation.repeat_days,
        "mb": situation.upload_max_bytes // MB,
        "total": situation.max_body_bytes // MB,
    }
    return Notice(
        translate(f"notice.{kind}.title", language),
        translate(f"notice.{kind}", language, **params),
        status_link=kind in ("rate", "appeal_open"),
    )
