"""Replay stores for client-assertion ids (``jti``).

RFC 7523 lets a server refuse a ``jti`` it has seen. A ``jti`` only needs
remembering while the verifier would still accept its assertion: until its
``exp`` plus the clock-skew leeway (``VerifiedAssertion.replay_until``, at
most an hour and a minute). Callers pass that instant as ``expires_at``; each
store keeps the record exactly that long. The database store is the zero-set-up default;
Redis takes over with ``FEDERATION_REDIS_URL`` when several servers share it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import SpentAssertion


class ReplayStore(Protocol):
    def claim(self, member_id: str, jti: str, expires_at: datetime, now: datetime) -> bool:
        """Record ``jti``; False when it was already recorded (a replay)."""


class DatabaseReplayStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, member_id: str, jti: str, expires_at: datetime, now: datetime) -> bool:
        self.session.execute(delete(SpentAssertion).where(SpentAssertion.expires_at < now))
        try:
            with self.session.begin_nested():
                self.session.add(SpentAssertion(member_id=member_id, jti=jti, expires_at=expires_at))
        except IntegrityError:
            return False
        return True


class RedisReplayStore:
    def __init__(self, client: object, prefix: str = "federation:jti:") -> None:
        self.client = client
        self.prefix = prefix

    def claim(self, member_id: str, jti: str, expires_at: datetime, now: datetime) -> bool:
        ttl_ms = max(1, int((expires_at - now).total_seconds() * 1000))
        return bool(self.client.set(f"{self.prefix}{member_id}:{jti}", b"1", nx=True, px=ttl_ms))
