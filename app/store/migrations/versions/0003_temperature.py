"""temperature: a nullable sample channel (°C), as FIT records and GPX atemp carry it

Revision ID: 0003_temperature
Revises: 0002_training
Create Date: 2026-12-02 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_temperature"
down_revision = "0002_training"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column without a default: SQLite adds it without rewriting the table.
    op.add_column("samples", sa.Column("temperature", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("samples") as batch:
        batch.drop_column("temperature")
