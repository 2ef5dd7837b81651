"""The notifier's backends: which one the settings choose, the outbox's retention, and SMTP delivery."""

from __future__ import annotations

import logging
import stat
from datetime import datetime, timedelta

import pytest

from federation.notify import Message, Postman, load_notifier
from federation.notify.outbox import OutboxNotifier
from federation.notify.smtp import SmtpNotifier

MESSAGE = Message(to="appellant@example.cn", subject="您的申诉查询码", body="新查询码：abc", language="zh-CN")
SETTINGS = {"SMTP_URL": None, "MAIL_FROM": None, "MAIL_OUTBOX_FILE": None, "MAIL_OUTBOX_DAYS": 7}


def test_without_smtp_the_outbox_in_the_instance_folder_is_used(tmp_path):
    notifier = load_notifier(SETTINGS, str(tmp_path))
    assert isinstance(notifier, OutboxNotifier) and notifier.path == tmp_path / "outbox.jsonl"
    smtp = load_notifier({**SETTINGS, "SMTP_URL": "smtps://u:p%40ss@mail.example:2465", "MAIL_FROM": "a@b"}, "/x")
    assert isinstance(smtp, SmtpNotifier) and (smtp.host, smtp.port, smtp.password) == ("mail.example", 2465, "p@ss")


@pytest.mark.parametrize(
    ("url", "sender"), [("http://mail.example", "a@b"), ("smtp://", "a@b"), ("smtp://mail.example", "")]
)
def test_a_wrong_smtp_setting_fails_at_start(url, sender):
    with pytest.raises(ValueError, match="FEDERATION_"):
        SmtpNotifier(url, sender)


def test_the_outbox_is_private_to_the_server_and_keeps_messages_for_its_retention_period(tmp_path):
    outbox = OutboxNotifier(tmp_path / "outbox.jsonl", keep=timedelta(days=7))
    outbox.deliver(MESSAGE)
    assert stat.S_IMODE(outbox.path.stat().st_mode) == 0o600
    [line] = outbox.read()
    assert (line["to"], line["body"]) == (MESSAGE.to, MESSAGE.body)
    sent = datetime.fromisoformat(line["at"])
    assert outbox.prune(sent + timedelta(days=7) - timedelta(seconds=1)) == 0
    assert outbox.prune(sent + timedelta(days=7)) == 1 and outbox.read() == []
    assert stat.S_IMODE(outbox.path.stat().st_mode) == 0o600


def test_a_message_reaches_a_real_smtp_server(smtp_inbox):
    SmtpNotifier(smtp_inbox.url, "appeals@fed.test").deliver(MESSAGE)
    received = smtp_inbox.next()
    assert received["Subject"] == MESSAGE.subject and received.get_content().strip() == MESSAGE.body


def test_a_failed_delivery_is_logged_without_the_address_and_never_raised(caplog):
    class Broken:
        def deliver(self, message: Message) -> None:
            raise ConnectionRefusedError(message.to)

        def prune(self, now: datetime) -> int:
            return 0

    postman = Postman(Broken())
    with caplog.at_level(logging.ERROR):
        postman.post(MESSAGE)
        postman.post(None)  # nothing to send
        postman.post(MESSAGE)  # the worker survived the first failure
        postman.drain()
    assert [r.getMessage() for r in caplog.records] == ["a message could not be delivered: ConnectionRefusedError"] * 2
