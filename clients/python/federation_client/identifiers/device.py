"""Device identifiers: IMEI, advertising/UUID-shaped ids, other fingerprints.

Three shapes, tried in order:

1. IMEI: 14 or 15 digits (spaces and hyphens allowed, as printed on boxes and
   in ``*#06#`` screens). A 15-digit IMEI must pass its Luhn check; the
   14-digit form gets its check digit appended, so both spellings match.
2. UUID-shaped ids (IDFA, OAID, Android ids in UUID form): any spelling
   Python's :class:`uuid.UUID` accepts, written lowercase and hyphenated.
3. Anything else is an opaque fingerprint: trimmed and lowercased, 8 to 256
   characters, no control characters.

All-zero IMEIs and the nil UUID are placeholders (emulators, "limit ad
tracking") shared by millions of devices; hashing them would make everyone
match everyone, so they are rejected.
"""

from __future__ import annotations

import re
import uuid

from ..errors import InvalidIdentifier
from ._text import fold, has_control_characters

_IMEI_SPELLING = re.compile(r"[\d \-]+")
_UUID_SPELLING = re.compile(
    r"(urn:uuid:)?\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?",
    re.IGNORECASE,
)
MIN_FINGERPRINT = 8
MAX_FINGERPRINT = 256


def luhn_check_digit(digits: str) -> str:
    """The Luhn check digit to append to ``digits``."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:  # doubled: the rightmost payload digit and every second one
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def normalize_device(raw: str) -> str:
    text = fold("device", raw)
    if _IMEI_SPELLING.fullmatch(text):
        digits = re.sub(r"[ \-]", "", text)
        if len(digits) in (14, 15):
            return _imei(digits)
    if _UUID_SPELLING.fullmatch(text):
        value = uuid.UUID(text)
        if value.int == 0:
            raise InvalidIdentifier("device", "device.placeholder", "the all-zero id is a placeholder")
        return str(value)
    return _fingerprint(text)


def _imei(digits: str) -> str:
    if set(digits) == {"0"}:
        raise InvalidIdentifier("device", "device.placeholder", "the all-zero IMEI is a placeholder")
    expected = luhn_check_digit(digits[:14])
    if len(digits) == 15 and digits[14] != expected:
        raise InvalidIdentifier("device", "device.imei_checksum", "IMEI check digit does not match")
    return digits[:14] + expected


def _fingerprint(text: str) -> str:
    if has_control_characters(text):
        raise InvalidIdentifier("device", "device.characters", "control characters are not allowed")
    if len(text) < MIN_FINGERPRINT:
        raise InvalidIdentifier(
            "device", "device.too_short", f"a device fingerprint has at least {MIN_FINGERPRINT} characters"
        )
    if len(text) > MAX_FINGERPRINT:
        raise InvalidIdentifier(
            "device", "device.too_long", f"a device fingerprint has at most {MAX_FINGERPRINT} characters"
        )
    return text.lower()
