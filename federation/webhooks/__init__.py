"""Webhooks: the change feed pushed to members, signed, retried, logged."""
