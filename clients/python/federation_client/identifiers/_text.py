"""Text clean-up shared by the identifier rules.

Members receive identifiers from web forms, OCR and customer-service chats, so
full-width digits (``１３８``), ideographic spaces and stray separators are
everyday input. NFKC folds the compatibility forms into ASCII before any rule
looks at the characters.
"""

from __future__ import annotations

import unicodedata

from ..errors import InvalidIdentifier


def fold(type_: str, raw: object) -> str:
    """NFKC-fold and trim ``raw``; reject non-strings and empty values."""
    if not isinstance(raw, str):
        raise InvalidIdentifier(type_, f"{type_}.not_text", "the value must be a string")
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise InvalidIdentifier(type_, f"{type_}.empty", "the value is empty")
    return text


def has_control_characters(text: str) -> bool:
    """True when ``text`` holds control, format or unassigned code points."""
    return any(unicodedata.category(ch)[0] == "C" for ch in text)
