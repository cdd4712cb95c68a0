"""a worker's death on the record (when, where, the cause's category, the remains, the heirs) and
a former worker's past placement; a worker abroad outside the procedure

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('died_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('death_country', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('death_cause', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('remains_repatriated', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('remains_arrive_on', sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column('heirs', sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column('past_placement', sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column(
                'non_procedural', sa.Boolean(), nullable=False, server_default=sa.text('false')
            )
        )
        batch_op.add_column(sa.Column('family_account', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_column('family_account')
        batch_op.drop_column('non_procedural')
        batch_op.drop_column('past_placement')
        batch_op.drop_column('heirs')
        batch_op.drop_column('remains_arrive_on')
        batch_op.drop_column('remains_repatriated')
        batch_op.drop_column('death_cause')
        batch_op.drop_column('death_country')
        batch_op.drop_column('died_on')
