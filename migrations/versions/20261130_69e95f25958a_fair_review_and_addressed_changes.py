"""Fair review and addressed changes

Why: issue 11 (points 4-6). A reviewer who decides before the submitter was heard records why
(disputes.expedite_reason); a submitter is reminded once before its answer deadline
(disputes.deadline_warned_at); and the change feed can address a change to one member
(changes.recipient, NULL for public changes) so a submitter learns its entry was disputed
without any other member learning it.

Revision ID: 69e95f25958a
Revises: 5e1c7a9b2f40
Create Date: 2026-11-30 03:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

import federation.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = '69e95f25958a'
down_revision = '5e1c7a9b2f40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_warned_at', federation.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('expedite_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_changes_recipient_members'), 'members', ['recipient'], ['id'])


def downgrade():
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_changes_recipient_members'), type_='foreignkey')
        batch_op.drop_column('recipient')

    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_column('expedite_reason')
        batch_op.drop_column('deadline_warned_at')
