"""Protective registration

Why: a person whose phone or ID card was used by fraudsters must not be frozen,
banned or reported on that identifier alone (issue 13 point 6). Registrations
keep the victim's identifiers as stored hashes only, under every salt; the flag
is copied onto the matching ``entry_identifiers`` rows (``protected_until``) so
the one lookup query reads it without another round trip.

Revision ID: a7c3e5f1d208
Revises: a51c0b7d9e24
Create Date: 2026-11-30 06:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

import federation.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'a7c3e5f1d208'
down_revision = 'a51c0b7d9e24'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('protective_registrations',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=True),
    sa.Column('case_ref', sa.String(length=128), nullable=True),
    sa.Column('appeal_ref', sa.String(length=32), nullable=True),
    sa.Column('types', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', federation.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', federation.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by', sa.String(length=128), nullable=True),
    sa.Column('confirmed_at', federation.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by', sa.String(length=128), nullable=True),
    sa.Column('withdrawn_at', federation.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdraw_reason', sa.Text(), nullable=True),
    sa.Column('purged_at', federation.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("source IN ('member', 'appeal')", name=op.f('ck_protective_registrations_source_known')),
    sa.CheckConstraint("state IN ('active', 'withdrawn')", name=op.f('ck_protective_registrations_state_known')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_protective_registrations_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protective_registrations')),
    sa.UniqueConstraint('member_id', 'case_ref', name=op.f('uq_protective_registrations_member_id_case_ref')),
    sa.UniqueConstraint('ref', name=op.f('uq_protective_registrations_ref'))
    )
    with op.batch_alter_table('protective_registrations', schema=None) as batch_op:
        batch_op.create_index('ix_protective_registrations_for_queue', ['state', 'confirmed_at', 'id'], unique=False)

    op.create_table('protective_registration_hashes',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('registration_id', BIG_ID, nullable=False),
    sa.Column('stored_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['registration_id'], ['protective_registrations.id'], name=op.f('fk_protective_registration_hashes_registration_id_protective_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protective_registration_hashes'))
    )
    with op.batch_alter_table('protective_registration_hashes', schema=None) as batch_op:
        batch_op.create_index('ix_protective_registration_hashes_for_flagging', ['stored_hash', 'registration_id'], unique=False)
        batch_op.create_index('ix_protective_registration_hashes_for_registration', ['registration_id'], unique=False)

    with op.batch_alter_table('entry_identifiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protected_until', federation.database.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('entry_identifiers', schema=None) as batch_op:
        batch_op.drop_column('protected_until')

    with op.batch_alter_table('protective_registration_hashes', schema=None) as batch_op:
        batch_op.drop_index('ix_protective_registration_hashes_for_registration')
        batch_op.drop_index('ix_protective_registration_hashes_for_flagging')

    op.drop_table('protective_registration_hashes')
    with op.batch_alter_table('protective_registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_protective_registrations_for_queue')

    op.drop_table('protective_registrations')
