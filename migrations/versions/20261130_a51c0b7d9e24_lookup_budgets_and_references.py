"""Lookup budgets sized from a declared volume; lookups carry the member's own reference

Why: issue 13 (enumeration defence). Every member now has a daily lookup budget
with no unlimited default, sized from the volume it declared
(``members.declared_daily_lookups``; ``daily_lookup_quota`` stays as the admin's
override), and counted in the limits storage (Redis, shared by workers) instead
of a database upsert on the lookup hot path: ``lookup_usage`` is dropped (its
counts were only for today's quota; ``/v1/lookups/stats`` reads the audit
records). Lookups are purpose-bound and carry the member's complaint or order
id, audited in ``lookup_records.reference``.

Revision ID: a51c0b7d9e24
Revises: 5a7e2c91d4f0
Create Date: 2026-11-30 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a51c0b7d9e24'
down_revision = '5a7e2c91d4f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declared_daily_lookups', sa.Integer(), nullable=True))
    with op.batch_alter_table('lookup_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=64), nullable=True))
    op.drop_table('lookup_usage')


def downgrade():
    op.create_table('lookup_usage',
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('identifiers', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_lookup_usage_member_id_members')),
    sa.PrimaryKeyConstraint('member_id', 'day', name=op.f('pk_lookup_usage'))
    )
    with op.batch_alter_table('lookup_records', schema=None) as batch_op:
        batch_op.drop_column('reference')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('declared_daily_lookups')
