"""report correction draft

Revision ID: 5b1f0c7d9e21
Revises: 20865b9a2bcf
Create Date: 2026-12-06 07:20:00

Issue 15: a submitted report that is being corrected keeps the worker's unsent corrections
(autosaved) in ``correction_answers`` until they are submitted or thrown away; ``answers`` keeps
what was submitted, so the evaluators' data never hold a half-done correction.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5b1f0c7d9e21'
down_revision = '20865b9a2bcf'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('correction_answers', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('correction_answers')
