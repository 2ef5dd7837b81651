"""Appellants' contact addresses, encrypted at rest and erased when their appeal closes.

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with a key from
``FEDERATION_CONTACT_KEY`` or, for the embedded default, a key file in the
instance folder generated on first start. A database dump alone reveals no
address.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet

from ..secret_files import read_or_create


class ContactBox:
    def __init__(self, key: str | bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, contact: str) -> bytes:
        return self._fernet.encrypt(contact.encode("utf-8"))

    def open(self, sealed: bytes) -> str:
        return self._fernet.decrypt(sealed).decode("utf-8")


def load_contact_box(configured: str | None, instance_path: str) -> ContactBox:
    key = configured or read_or_create(Path(instance_path) / "contact.key", lambda: Fernet.generate_key().decode())
    return ContactBox(key.strip())
