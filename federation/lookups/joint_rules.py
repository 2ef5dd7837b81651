"""The joint rules (规则公示): versioned documents every member shows its users.

Admins publish a version with an effective date; the current version is the
latest one already in effect, so a version can be announced ahead of time.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound, ValidationFailed, field_error
from ..events.service import record
from .actions import RULES
from .models import RuleDocument

VERSION_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,31}")


def read_rule_file(path: Path) -> dict[str, Any]:
    """A TOML or JSON file: ``version``, ``effective_at`` and ``[text]`` with ``zh-CN`` and ``en``."""
    text = path.read_text(encoding="utf-8")
    try:
        document = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise ValidationFailed(f"{path.name} is not valid {path.suffix.lstrip('.').upper()}: {error}") from None
    return document


def publish(session: Session, document: dict[str, Any], *, actor: str, now: datetime) -> RuleDocument:
    version = str(document.get("version", ""))
    effective = document.get("effective_at")
    texts = document.get("text") or {}
    problems = []
    if not VERSION_PATTERN.fullmatch(version):
        problems.append(("/version", "A version like 2026.1."))
    if isinstance(effective, str):
        try:
            effective = datetime.fromisoformat(effective)
        except ValueError:
            effective = None
    if not isinstance(effective, datetime) or effective.tzinfo is None:
        problems.append(("/effective_at", "A date-time with a time zone."))
    for language in ("zh-CN", "en"):
        if not isinstance(texts.get(language), str) or not texts[language].strip():
            problems.append((f"/text/{language}", "The rules text in this language is required."))
    if problems:
        raise ValidationFailed(
            "The rule document is incomplete.",
            errors=[field_error(pointer, detail, location="file") for pointer, detail in problems],
        )
    if session.scalars(select(RuleDocument).where(RuleDocument.version == version)).first():
        raise Conflict(
            f"Rules version {version} is already published; versions are immutable.", code="rules_version_exists"
        )
    rules = RuleDocument(
        version=version,
        effective_at=effective,
        published_at=now,
        published_by=actor,
        text_zh=texts["zh-CN"].strip(),
        text_en=texts["en"].strip(),
    )
    session.add(rules)
    record(
        session,
        "rules:published",
        f"rules:{version}",
        actor=actor,
        now=now,
        payload={"version": version, "effective_at": effective.isoformat()},
    )
    session.flush()
    return rules


def current(session: Session, now: datetime) -> RuleDocument:
    rules = session.scalars(
        select(RuleDocument)
        .where(RuleDocument.effective_at <= now)
        .order_by(RuleDocument.effective_at.desc(), RuleDocument.id.desc())
        .limit(1)
    ).first()
    if rules is None:
        raise NotFound("No joint rules are in effect yet.", code="no_rules")
    return rules


def ladder_terms(config: Any) -> dict[str, Any]:
    """The ladder as it is applied, published beside the rules text: parameters and every rule in order.

    Members show these to their users, so they come from the same table ``actions.recommend``
    implements, never from a separate description that could drift.
    """
    return {
        "freeze_days": config["FREEZE_DAYS"],
        "freeze_counted_from": "listed_at",
        "strike_threshold": config["STRIKE_THRESHOLD"],
        "review_threshold": config["REVIEW_THRESHOLD"],
        "police_referral_thresholds": config["POLICE_REFERRAL_THRESHOLDS"],
        "tier_ttl_days": config["TIER_TTL_DAYS"],
        "rules": [
            {"action": action, "rule": rule, "when": {"en": english, "zh-CN": chinese}}
            for action, rule, english, chinese in RULES
        ],
    }
