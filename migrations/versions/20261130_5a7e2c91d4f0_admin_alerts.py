"""Admin alerts, and an index for a member's recent listings

Why: issue 13 makes the list hard to misuse. A member sweeping hashes through lookups, or
listing far above its own baseline, raises an alert that admins list, acknowledge and resolve
(``alerts``: kind, member, figures, who worked it and why). The poisoning cap counts a member's
listings of the last 24 hours at each submission transaction: ``ix_entries_for_listing_volume``
serves that count.

Revision ID: 5a7e2c91d4f0
Revises: 3b8d6f1a2c47
Create Date: 2026-11-30 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import federation.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = '5a7e2c91d4f0'
down_revision = '3b8d6f1a2c47'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('alerts',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('raised_at', federation.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('repeats', sa.Integer(), nullable=False),
    sa.Column('acknowledged_by', sa.String(length=128), nullable=True),
    sa.Column('acknowledged_at', federation.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledge_reason', sa.Text(), nullable=True),
    sa.Column('resolved_by', sa.String(length=128), nullable=True),
    sa.Column('resolved_at', federation.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolve_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("state IN ('open', 'acknowledged', 'resolved')", name=op.f('ck_alerts_state_known')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_alerts_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('ref', name=op.f('uq_alerts_ref'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_for_queue', ['state', 'id'], unique=False)
        batch_op.create_index('ix_alerts_for_member_and_kind', ['member_id', 'kind', 'state'], unique=False)

    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.create_index('ix_entries_for_listing_volume', ['member_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_index('ix_entries_for_listing_volume')

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_for_member_and_kind')
        batch_op.drop_index('ix_alerts_for_queue')

    op.drop_table('alerts')
