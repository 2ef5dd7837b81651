"""The event outbox: every state change writes one row in its own transaction."""
