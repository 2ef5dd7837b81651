"""Reinsertion guard and held entries

Why: once a dispute or appeal is upheld (or conceded), the delisted identifiers
must not match again through a new listing for the guard period unless a
reviewer approves it (issue 11 point 3). The guard keeps its own copy of the
stored hashes until the period ends; a re-listing that hits one is accepted as
``held`` (matching nothing) with an ``entry_holds`` row for the reviewer, and
ends as ``rejected`` if refused.

Revision ID: b9c8e53738d7
Revises: d3bc0894b9d2
Create Date: 2026-11-30 03:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

import federation.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'b9c8e53738d7'
down_revision = 'd3bc0894b9d2'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
OLD_STATES = "state IN ('active', 'suspended', 'retracted', 'delisted', 'expired')"
NEW_STATES = "state IN ('active', 'held', 'suspended', 'retracted', 'delisted', 'expired', 'rejected')"


def upgrade():
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_entries_state_known'), type_='check')
        batch_op.create_check_constraint('state_known', NEW_STATES)

    op.create_table('reinsertion_guards',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('entry_id', BIG_ID, nullable=False),
    sa.Column('cause', sa.String(length=16), nullable=False),
    sa.Column('dispute_ref', sa.String(length=32), nullable=True),
    sa.Column('appeal_ref', sa.String(length=32), nullable=True),
    sa.Column('seen_evidence', sa.JSON(), nullable=False),
    sa.Column('created_at', federation.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('purged_at', federation.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("cause IN ('upheld', 'retracted')", name=op.f('ck_reinsertion_guards_cause_known')),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_reinsertion_guards_entry_id_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reinsertion_guards'))
    )
    with op.batch_alter_table('reinsertion_guards', schema=None) as batch_op:
        batch_op.create_index('ix_reinsertion_guards_for_purge', ['purged_at', 'created_at'], unique=False)

    op.create_table('reinsertion_guard_hashes',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('guard_id', BIG_ID, nullable=False),
    sa.Column('stored_hash', sa.LargeBinary(length=32), nullable=False),
    sa.ForeignKeyConstraint(['guard_id'], ['reinsertion_guards.id'], name=op.f('fk_reinsertion_guard_hashes_guard_id_reinsertion_guards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reinsertion_guard_hashes'))
    )
    with op.batch_alter_table('reinsertion_guard_hashes', schema=None) as batch_op:
        batch_op.create_index('ix_reinsertion_guard_hashes_for_guard', ['guard_id'], unique=False)
        batch_op.create_index('ix_reinsertion_guard_hashes_for_submission', ['stored_hash', 'guard_id'], unique=False)

    op.create_table('entry_holds',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('entry_id', BIG_ID, nullable=False),
    sa.Column('cause', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('guard_ids', sa.JSON(), nullable=False),
    sa.Column('new_evidence', sa.JSON(), nullable=False),
    sa.Column('certified', sa.Boolean(), nullable=False),
    sa.Column('certification', sa.Text(), nullable=True),
    sa.Column('created_at', federation.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=128), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_at', federation.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'approved', 'rejected')", name=op.f('ck_entry_holds_state_known')),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_entry_holds_entry_id_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entry_holds')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_entry_holds_entry_id'))
    )
    with op.batch_alter_table('entry_holds', schema=None) as batch_op:
        batch_op.create_index('ix_entry_holds_for_queue', ['state', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('entry_holds', schema=None) as batch_op:
        batch_op.drop_index('ix_entry_holds_for_queue')
    op.drop_table('entry_holds')
    with op.batch_alter_table('reinsertion_guard_hashes', schema=None) as batch_op:
        batch_op.drop_index('ix_reinsertion_guard_hashes_for_submission')
        batch_op.drop_index('ix_reinsertion_guard_hashes_for_guard')
    op.drop_table('reinsertion_guard_hashes')
    with op.batch_alter_table('reinsertion_guards', schema=None) as batch_op:
        batch_op.drop_index('ix_reinsertion_guards_for_purge')
    op.drop_table('reinsertion_guards')
    # Held and rejected entries cannot exist under the old rules: held ones end as retracted.
    op.execute("UPDATE entries SET state = 'retracted' WHERE state IN ('held', 'rejected')")
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_entries_state_known'), type_='check')
        batch_op.create_check_constraint('state_known', OLD_STATES)
