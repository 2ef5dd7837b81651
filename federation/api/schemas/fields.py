"""Fields whose values must also fit the database and the date arithmetic behind them.

A fuzzer found that well-formed values at the edges went through validation and failed later as
500s: ``0001-01-01T00:00:00+05:00`` overflows when converted to UTC, ``9999-12-31`` overflows when
a retention period is added to it, and an integer beyond 64 bits overflows a BIGINT parameter.
These fields refuse such values as the field errors they are.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma

#: The largest id or position the database stores (a signed 64-bit BIGINT).
MAX_ID = 2**63 - 1
#: Timestamps the server accepts: anything a complaint, its evidence or its review can carry,
#: with centuries to spare for the periods added to them.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class Timestamp(ma.fields.AwareDateTime):
    """An ISO 8601 timestamp with its offset, between 1970 and 2200 (UTC)."""

    default_error_messages = {"range": "A timestamp between 1970-01-01 and 2200-01-01 (UTC)."}

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"description": self.default_error_messages["range"], **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            in_utc = moment.astimezone(UTC)
        except OverflowError:
            raise self.make_error("range") from None
        if not EARLIEST <= in_utc < LATEST:
            raise self.make_error("range")
        return moment


def row_id(**kwargs: Any) -> ma.fields.Integer:
    """A non-negative integer that fits a BIGINT column (``after`` positions, ids)."""
    return ma.fields.Integer(validate=ma.validate.Range(min=0, max=MAX_ID), **kwargs)


class FullMatch(ma.validate.Regexp):
    """A pattern the WHOLE value must match: marshmallow's ``Regexp`` anchors only the start, so
    ``case-1 anything at all`` passed as a case_ref and a valid hash followed by junk as a hash.

    The documented pattern is anchored too (``^(?:...)$``), as JSON Schema's patterns are not.
    """

    def __init__(self, pattern: re.Pattern[str], *, error: str | None = None) -> None:
        super().__init__(re.compile(f"^(?:{pattern.pattern})$", pattern.flags), error=error)

    def __call__(self, value: Any) -> Any:
        if self.regex.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value
