"""Reporter reputation and probation (issue 13 point 4): trust that follows a member's record.

``formula``: the maths, pure. ``standing``: recomputing, overriding, probation. ``confirmation``:
a reviewer confirms another member's listing. Above ``members`` and ``entries``: it reads both.
"""
