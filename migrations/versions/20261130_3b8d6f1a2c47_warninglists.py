"""Warninglists: values that must never be listed

Why: published test numbers, service hotlines, role mailboxes and shared
networks (CGNAT, private, documentation ranges) match strangers, and a member
hashing by hand gets past the SDK's checks (issue 13 point 3). The server keeps
each list's values in stored-hash form under every accepted salt
(``warninglist_hashes``; never the values) and marks the entry identifiers on
a ``downweight`` list (or on a ``refuse`` list imported after they were
listed) so lookups weigh them by the list's weight through the one matching
query.

Revision ID: 3b8d6f1a2c47
Revises: a3f1c8d27e90
Create Date: 2026-11-30 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import federation.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = '3b8d6f1a2c47'
down_revision = 'a3f1c8d27e90'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('warninglists',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('types', sa.JSON(), nullable=False),
    sa.Column('listed_values', sa.Integer(), nullable=False),
    sa.Column('hashed_values', sa.Integer(), nullable=False),
    sa.Column('skipped_values', sa.Integer(), nullable=False),
    sa.Column('key_ids', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', federation.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', federation.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("action IN ('refuse', 'downweight')", name=op.f('ck_warninglists_action_known')),
    sa.CheckConstraint('weight >= 0 AND weight <= 1', name=op.f('ck_warninglists_weight_0_1')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warninglists')),
    sa.UniqueConstraint('name', name=op.f('uq_warninglists_name'))
    )
    op.create_table('warninglist_hashes',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('warninglist_id', BIG_ID, nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('stored_hash', sa.LargeBinary(length=32), nullable=False),
    sa.ForeignKeyConstraint(['warninglist_id'], ['warninglists.id'], name=op.f('fk_warninglist_hashes_warninglist_id_warninglists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warninglist_hashes'))
    )
    with op.batch_alter_table('warninglist_hashes', schema=None) as batch_op:
        batch_op.create_index('ix_warninglist_hashes_for_salt', ['warninglist_id', 'key_id'], unique=False)
        batch_op.create_index('ix_warninglist_hashes_for_submission', ['stored_hash', 'warninglist_id'], unique=False)

    with op.batch_alter_table('entry_identifiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warninglist_id', BIG_ID, nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_entry_identifiers_warninglist_id_warninglists'), 'warninglists', ['warninglist_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_entry_identifiers_for_warninglist', ['warninglist_id'], unique=False)


def downgrade():
    with op.batch_alter_table('entry_identifiers', schema=None) as batch_op:
        batch_op.drop_index('ix_entry_identifiers_for_warninglist')
        batch_op.drop_constraint(batch_op.f('fk_entry_identifiers_warninglist_id_warninglists'), type_='foreignkey')
        batch_op.drop_column('warninglist_id')

    with op.batch_alter_table('warninglist_hashes', schema=None) as batch_op:
        batch_op.drop_index('ix_warninglist_hashes_for_submission')
        batch_op.drop_index('ix_warninglist_hashes_for_salt')

    op.drop_table('warninglist_hashes')
    op.drop_table('warninglists')
