"""One open dispute per member and entry, as a unique index; open-dispute counters recounted

Why: issue 12 point 4. The rule "one open dispute per member and entry" was a SELECT before the
INSERT, so 12 concurrent filings made 7-8 disputes, and ``entries.open_disputes`` (read, then
written back +1) lost counts. The partial unique index makes the rule hold whatever races; the
service now moves the counter in SQL. Counters corrupted by the old race are recounted here.
Duplicates the old race left must be decided first (``federation disputes decide``): the
migration stops and says how many, rather than closing someone's dispute on its own.

Revision ID: 7c3f9a1e5b62
Revises: 4a7e2c91d5b3
Create Date: 2026-11-30 04:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c3f9a1e5b62'
down_revision = '4a7e2c91d5b3'
branch_labels = None
depends_on = None

OPEN = sa.text("state <> 'closed'")


def upgrade():
    duplicates = op.get_bind().scalar(sa.text(
        "SELECT count(*) FROM (SELECT entry_id, filed_by FROM disputes WHERE state <> 'closed' "
        "AND filed_by IS NOT NULL GROUP BY entry_id, filed_by HAVING count(*) > 1) AS twice"
    ))
    if duplicates:
        raise RuntimeError(
            f"{duplicates} member(s) have more than one open dispute of one entry (a race before this "
            "release); decide the extra disputes with `federation disputes decide`, then upgrade again"
        )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index(
            'uq_disputes_open_per_filer', ['entry_id', 'filed_by'], unique=True,
            sqlite_where=OPEN, postgresql_where=OPEN,
        )
    op.execute(
        "UPDATE entries SET open_disputes = (SELECT count(*) FROM disputes d "
        "WHERE d.entry_id = entries.id AND d.state <> 'closed')"
    )


def downgrade():
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index('uq_disputes_open_per_filer', sqlite_where=OPEN, postgresql_where=OPEN)
