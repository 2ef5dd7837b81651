"""Appeal cases, idempotent filing and new status codes

Why: a retried appeal must find its first filing again (idempotency_tag) and
hand back a working status code (token_generation); a person who lost the
code may ask for a new one, rate-limited per client and appeal whether or not
the appeal exists (appeal_code_requests); a second person appealing about the
same identifier joins the open case instead of being refused (case_ref).

Revision ID: 5e1c7a9b2f40
Revises: b9c8e53738d7
Create Date: 2026-11-30 03:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

import federation.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = '5e1c7a9b2f40'
down_revision = 'b9c8e53738d7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'appeal_code_requests',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('ref', sa.String(length=32), nullable=False),
        sa.Column('client_tag', sa.String(length=64), nullable=False),
        sa.Column('created_at', federation.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal_code_requests')),
    )
    with op.batch_alter_table('appeal_code_requests', schema=None) as batch_op:
        batch_op.create_index('ix_appeal_code_requests_for_client', ['client_tag', 'created_at'], unique=False)
        batch_op.create_index('ix_appeal_code_requests_for_ref', ['ref', 'created_at'], unique=False)

    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_generation', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('idempotency_tag', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('case_ref', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_appeals_idempotency_tag'), ['idempotency_tag'])
    op.execute("UPDATE appeals SET case_ref = ref")  # every earlier appeal is a case of its own
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.alter_column('case_ref', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index('ix_appeals_for_case', ['case_ref', 'state'], unique=False)


def downgrade():
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index('ix_appeals_for_case')
        batch_op.drop_constraint(batch_op.f('uq_appeals_idempotency_tag'), type_='unique')
        batch_op.drop_column('case_ref')
        batch_op.drop_column('idempotency_tag')
        batch_op.drop_column('token_generation')

    with op.batch_alter_table('appeal_code_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_appeal_code_requests_for_ref')
        batch_op.drop_index('ix_appeal_code_requests_for_client')
    op.drop_table('appeal_code_requests')
