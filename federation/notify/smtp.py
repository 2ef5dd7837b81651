"""Sending through an SMTP server (the standard library's ``smtplib``).

``FEDERATION_SMTP_URL``: ``smtp://[user:password@]host[:port]`` (port 25; STARTTLS whenever the
server offers it) or ``smtps://...`` (TLS from the start, port 465).
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import unquote, urlsplit

from . import Message

TIMEOUT_SECONDS = 20


class SmtpNotifier:
    def __init__(self, url: str, sender: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("FEDERATION_SMTP_URL must look like smtp://host:port or smtps://host:port")
        if not sender:
            raise ValueError("FEDERATION_MAIL_FROM is required with FEDERATION_SMTP_URL")
        self.implicit_tls = parts.scheme == "smtps"
        self.host, self.port = parts.hostname, parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password or "")
        self.sender = sender

    def deliver(self, message: Message) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, message.to, message.subject
        mail["Date"], mail["Message-ID"] = format_datetime(datetime.now(UTC)), make_msgid(domain="federation")
        mail["Content-Language"] = message.language
        mail.set_content(message.body)
        context = ssl.create_default_context()
        if self.implicit_tls:
            connection: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS)
        with connection:
            connection.ehlo()
            if not self.implicit_tls and connection.has_extn("starttls"):
                connection.starttls(context=context)
                connection.ehlo()
            if self.username:
                connection.login(self.username, self.password)
            connection.send_message(mail)

    def prune(self, now: datetime) -> int:
        return 0  # nothing is kept here
