"""Outbox retry (issue 17): attempt count and next-attempt time on every outbox mail.

Failed mails are retried with exponential backoff by the daily job and given up after the last
attempt (reporting/core/mailer.py). Mails already sent or failed have had one attempt.

Revision ID: 4c2e9a7b1d03
Revises: 7e1a2b3c4d5e
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

from reporting.core.extensions import UTCDateTime

revision = '4c2e9a7b1d03'
down_revision = '7e1a2b3c4d5e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_mail_next_attempt_at'), ['next_attempt_at'], unique=False)
    op.execute(sa.text("UPDATE outbox_mail SET attempts = 1 WHERE status <> 'queued'"))


def downgrade():
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_mail_next_attempt_at'))
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
