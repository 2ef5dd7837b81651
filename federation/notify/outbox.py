"""The embedded default: each message appended as one JSON line to a local file.

The file holds the messages themselves (an address and a status code), so it is personal data:
it is readable by the server's user only, and ``federation tick`` deletes lines older than
``FEDERATION_MAIL_OUTBOX_DAYS`` (7). An operator without a mail server forwards them by hand.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import Message


class OutboxNotifier:
    def __init__(self, path: Path, *, keep: timedelta) -> None:
        self.path, self.keep = path, keep
        self._lock = threading.Lock()

    def deliver(self, message: Message) -> None:
        line = {"at": datetime.now(UTC).isoformat(), "to": message.to, "subject": message.subject}
        line |= {"language": message.language, "body": message.body}
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(descriptor, "a", encoding="utf-8") as outbox:
                outbox.write(json.dumps(line, ensure_ascii=False) + "\n")

    def read(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]

    def prune(self, now: datetime) -> int:
        """Drop messages older than the retention period; returns how many went."""
        with self._lock:
            lines = self.read()
            kept = [line for line in lines if datetime.fromisoformat(line["at"]) > now - self.keep]
            if len(kept) != len(lines):
                temporary = self.path.with_suffix(".tmp")
                descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(descriptor, "w", encoding="utf-8") as outbox:
                    outbox.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in kept)
                temporary.replace(self.path)
        return len(lines) - len(kept)
