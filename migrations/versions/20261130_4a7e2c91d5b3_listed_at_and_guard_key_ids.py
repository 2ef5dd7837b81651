"""Entries: listed_at, when the federation published the listing; guard hashes keep their salt key id

Why: issue 11 point 1. The ladder's 15-day freeze counts from the moment a strike was confirmed
and published, and members read that moment as ``reported_at``. For most entries it is the
submission, but a re-listing held by the reinsertion guard is published only when a reviewer
approves it: counting its freeze from the submission would shorten it by the time the review
took, or end it before it was ever shown. Held entries have no listed_at until approved.
Issue 11 points 2 and 3 together: a reinsertion guard must not go blind when the salt its hashes
were made under is retired, so its hashes keep their key id and ``federation salts retire``
refuses while a live guard holds hashes under the retiring salt alone.
Issue 11 point 8 (the privacy notice says how long things are kept): appeals.erased_at marks a
decided appeal whose statement, identifier hashes and address tag were erased after
FEDERATION_APPEAL_RETENTION_DAYS. Issue 11 point 4 on holds: reinsertion_guards.parties names the
members that were parties to the overturned case, so none of their reviewers decides a re-listing.

Revision ID: 4a7e2c91d5b3
Revises: 69e95f25958a
Create Date: 2026-11-30 03:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

import federation.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = '4a7e2c91d5b3'
down_revision = '69e95f25958a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listed_at', federation.database.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE entries SET listed_at = created_at WHERE state <> 'held'")
    op.execute(
        "UPDATE entries SET listed_at = (SELECT h.decided_at FROM entry_holds h "
        "WHERE h.entry_id = entries.id AND h.state = 'approved') "
        "WHERE EXISTS (SELECT 1 FROM entry_holds h WHERE h.entry_id = entries.id AND h.state = 'approved')"
    )
    with op.batch_alter_table('reinsertion_guard_hashes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=32), nullable=True))
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', federation.database.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('reinsertion_guards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parties', sa.JSON(), nullable=True))
    op.execute("UPDATE reinsertion_guards SET parties = '[]'")
    with op.batch_alter_table('reinsertion_guards', schema=None) as batch_op:
        batch_op.alter_column('parties', existing_type=sa.JSON(), nullable=False)


def downgrade():
    with op.batch_alter_table('reinsertion_guards', schema=None) as batch_op:
        batch_op.drop_column('parties')
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
    with op.batch_alter_table('reinsertion_guard_hashes', schema=None) as batch_op:
        batch_op.drop_column('key_id')
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_column('listed_at')
