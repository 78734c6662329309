"""Export key out of the database (D24): delete the pseudonym secret from the setting table.

The key was in every backup and dump, so it is not carried over to the key file: the next keyed
export starts a new evaluation with a new key, kept outside the database
(reporting/evaluation/keys.py).

Revision ID: 7e1a2b3c4d5e
Revises: 5b1f0c7d9e21
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = '7e1a2b3c4d5e'
down_revision = '5b1f0c7d9e21'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text("DELETE FROM setting WHERE key = 'export_pseudonym_secret'"))


def downgrade():
    pass  # a destroyed key is not restored
