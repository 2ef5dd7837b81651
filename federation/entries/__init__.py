"""Entries: confirmed offenders listed by members, with evidence and review."""
