"""Phone numbers: parsed with libphonenumber's rules, written in E.164.

A number without a country code is read in the member's default region
(``CN`` unless configured), so ``138 0013 8000``, ``+86 138-0013-8000`` and
``0086 13800138000`` are one person. Numbers that libphonenumber does not
consider valid for their region are rejected: a typo must not hash to a value
that could match someone else.
"""

from __future__ import annotations

import phonenumbers

from ..errors import InvalidIdentifier
from ._text import fold

DEFAULT_REGION = "CN"


def normalize_phone(raw: str, default_region: str = DEFAULT_REGION) -> str:
    text = fold("phone", raw)
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidIdentifier("phone", "phone.unparseable", "not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier("phone", "phone.invalid", "not a valid number for its country or region")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
