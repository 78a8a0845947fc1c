"""Answers and truths up to 32 characters: a number now carries a minus sign and decimal points besides its
twelve digits.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 04:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # batch mode: SQLite cannot alter a column in place, so Alembic copies the table there.
    with op.batch_alter_table("corrections") as batch:
        batch.alter_column("predicted", existing_type=sa.String(length=12), type_=sa.String(length=32))
        batch.alter_column("truth", existing_type=sa.String(length=12), type_=sa.String(length=32))


def downgrade():
    with op.batch_alter_table("corrections") as batch:
        batch.alter_column("predicted", existing_type=sa.String(length=32), type_=sa.String(length=12))
        batch.alter_column("truth", existing_type=sa.String(length=32), type_=sa.String(length=12))
