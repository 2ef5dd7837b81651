"""``service._rows_of``: one row per entry, whichever of an identifier's hashes matched it."""

from __future__ import annotations

from types import SimpleNamespace

from federation.lookups.service import _rows_of


def row(entry_id: int, protected: bool) -> SimpleNamespace:
    return SimpleNamespace(id=entry_id, protected=protected)


def test_the_registered_salts_flag_is_kept_in_either_order():
    """A protective flag sits on the registered salt's row only: merging an entry's rows keeps it."""
    flagged, plain = row(1, True), row(1, False)
    for first, second in ((flagged, plain), (plain, flagged)):
        rows = _rows_of([b"old", b"new"], {b"old": [first], b"new": [second]})
        assert [r.protected for r in rows] == [True]


def test_each_entry_once():
    rows = _rows_of([b"a", b"b"], {b"a": [row(1, False), row(2, False)], b"b": [row(2, False)]})
    assert sorted(r.id for r in rows) == [1, 2]
