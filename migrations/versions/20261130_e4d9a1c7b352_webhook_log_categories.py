"""Webhook delivery log: failure categories instead of exception text

Why: the delivery log is shown to the member, and its ``error`` used to hold
the HTTP library's exception text (internal host names, addresses, library
internals). Deliveries now record a category (``timeout``, ``tls_error``,
``http_500``, ...; issue 12 point 8); this rewrites the old free-text rows to
``connection_error`` and the status-code-only failures to ``http_<status>``.
No schema change.

Revision ID: e4d9a1c7b352
Revises: 7c3f9a1e5b62
Create Date: 2026-11-30 04:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e4d9a1c7b352'
down_revision = '7c3f9a1e5b62'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE webhook_attempts SET error = 'connection_error' WHERE error IS NOT NULL")
    op.execute(
        "UPDATE webhook_attempts SET error = 'http_' || CAST(status_code AS VARCHAR(8)) "
        "WHERE status_code IS NOT NULL AND (status_code < 200 OR status_code >= 300)"
    )


def downgrade():
    pass  # the old text is gone by design
