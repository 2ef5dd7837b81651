"""Mainland China resident identity numbers (GB 11643-1999).

Canonical form: 18 characters, 17 digits and an ISO 7064 MOD 11-2 check
character with ``X`` in upper case. Legacy 15-digit numbers (issued before
1999, births in the 1900s, no check character) are upgraded to their 18-digit
form so a person matches whichever card a platform saw. The region prefix,
the birth date and the check character are all verified, because a mistyped
ID must never collide with a real one.
"""

from __future__ import annotations

import re
from datetime import date

from ..errors import InvalidIdentifier
from ._text import fold

#: Leading two digits in use: provinces, autonomous regions, municipalities,
#: and 81/82/83 for Hong Kong, Macao and Taiwan residence permits.
PROVINCE_CODES = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
        71,
        81,
        82,
        83,
    }
)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
_SEPARATORS = re.compile(r"[\s\-]")
_EARLIEST_BIRTH = date(1900, 1, 1)


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def normalize_national_id(raw: str, today: date | None = None) -> str:
    text = _SEPARATORS.sub("", fold("national_id", raw)).upper()
    if len(text) not in (15, 18):
        raise InvalidIdentifier(
            "national_id", "national_id.length", "must be 18 characters (or a legacy 15-digit number)"
        )
    if len(text) == 15:
        if not text.isdigit():
            raise InvalidIdentifier("national_id", "national_id.characters", "a 15-digit number has digits only")
        body = text[:6] + "19" + text[6:]
    else:
        if not (text[:17].isdigit() and (text[17].isdigit() or text[17] == "X")):
            raise InvalidIdentifier("national_id", "national_id.characters", "17 digits followed by a digit or X")
        body = text[:17]
    if int(body[:2]) not in PROVINCE_CODES:
        raise InvalidIdentifier("national_id", "national_id.region", "unknown region code")
    _check_birth_date(body[6:14], today or date.today())
    expected = check_character(body)
    if len(text) == 18 and text[17] != expected:
        raise InvalidIdentifier("national_id", "national_id.checksum", "check character does not match")
    return body + expected


def _check_birth_date(yyyymmdd: str, today: date) -> None:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        raise InvalidIdentifier("national_id", "national_id.birth_date", "birth date does not exist") from None
    if not _EARLIEST_BIRTH <= born <= today:
        raise InvalidIdentifier("national_id", "national_id.birth_date", "birth date is before 1900 or in the future")
