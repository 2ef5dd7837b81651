"""Members: effective trust from their record, admin overrides, probation; entries: reviewer confirmation

Why: issue 13 point 4. A member's weight in scoring used to be the trust an admin typed at
admission, forever: a member whose listings keep being overturned weighed as much as one whose
listings hold. ``federation tick`` now computes ``effective_trust`` from the member's record
(``members/reputation.py``, docs/scoring.md) and stores the inputs beside it; the lookup's single
matching query reads it instead of ``trust_weight``, which stays as the formula's base. An admin's
override (with its reason) wins over the formula until removed. New members start on probation
(``probation_until``): their listings count as ``review`` at most until another member corroborates
them, a reviewer confirms them (``entries.confirmed_at``), or probation ends.

Existing members are not put on probation and keep their trust (``effective_trust = trust_weight``
until the first tick): they were admitted and vetted before probation existed, and putting them all
on probation at deploy time would turn every current listing into ``review`` overnight.

Revision ID: a3f1c8d27e90
Revises: e4d9a1c7b352
Create Date: 2026-11-30 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import federation.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'a3f1c8d27e90'
down_revision = 'e4d9a1c7b352'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('effective_trust', sa.Float(), server_default='1.0', nullable=False))
        batch_op.add_column(sa.Column('trust_computed_at', federation.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('trust_inputs', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('trust_override', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('trust_override_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('trust_override_at', federation.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('probation_until', federation.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint('effective_trust_0_1', 'effective_trust >= 0 AND effective_trust <= 1')
        batch_op.create_check_constraint('trust_override_0_1', 'trust_override >= 0 AND trust_override <= 1')
    op.execute("UPDATE members SET effective_trust = trust_weight")
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', federation.database.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_column('confirmed_at')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_members_trust_override_0_1'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_members_effective_trust_0_1'), type_='check')
        batch_op.drop_column('probation_until')
        batch_op.drop_column('trust_override_at')
        batch_op.drop_column('trust_override_reason')
        batch_op.drop_column('trust_override')
        batch_op.drop_column('trust_inputs')
        batch_op.drop_column('trust_computed_at')
        batch_op.drop_column('effective_trust')
