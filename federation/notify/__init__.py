"""Messages to people outside the federation: a new appeal status code, sent to the appellant.

Two backends behind one ``deliver(message)``: :class:`~.smtp.SmtpNotifier` for production
(``FEDERATION_SMTP_URL``, ``FEDERATION_MAIL_FROM``) and, by default, :class:`~.outbox.OutboxNotifier`,
which appends each message to a local file for the operator to forward (and is what a test or a
demo reads). Delivery runs on one background thread (:class:`Postman`): a request that sends a
message must take as long as one that does not, or its timing would say which one it was.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Message:
    to: str
    subject: str
    body: str
    language: str


class Notifier(Protocol):
    def deliver(self, message: Message) -> None: ...

    def prune(self, now: datetime) -> int: ...


class Postman:
    """Hands messages to a backend on one worker thread, in order; failures are logged, never raised.

    A failed delivery is not retried: the person asks again (the request is rate-limited), and
    the message is not kept anywhere it could leak from.
    """

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="federation-notify")

    def post(self, message: Message | None) -> None:
        if message is not None:
            self._worker.submit(self._deliver, message)

    def _deliver(self, message: Message) -> None:
        try:
            self.notifier.deliver(message)
        except Exception as error:  # noqa: BLE001 - a mail server's failure must not reach the worker
            log.error("a message could not be delivered: %s", type(error).__name__)  # no address, no body

    def drain(self, timeout: float = 10) -> None:
        """Wait until everything posted so far was handed over (tests, shutdown)."""
        self._worker.submit(lambda: None).result(timeout)


def load_notifier(config: Any, instance_path: str) -> Notifier:
    if config.get("SMTP_URL"):
        from .smtp import SmtpNotifier

        return SmtpNotifier(str(config["SMTP_URL"]), str(config["MAIL_FROM"]))
    from .outbox import OutboxNotifier

    path = Path(config.get("MAIL_OUTBOX_FILE") or Path(instance_path) / "outbox.jsonl")
    return OutboxNotifier(path, keep=timedelta(days=int(config["MAIL_OUTBOX_DAYS"])))


def init_notify(app) -> None:  # noqa: ANN001 - a Flask app; the backends stay Flask-free
    app.extensions["federation.postman"] = Postman(load_notifier(app.config, app.instance_path))


def postman() -> Postman:
    from flask import current_app

    return current_app.extensions["federation.postman"]
