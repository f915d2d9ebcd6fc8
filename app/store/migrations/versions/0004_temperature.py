"""temperature: a nullable sample channel (°C), as FIT records and GPX atemp carry it

Revision ID: 0004_temperature
Revises: 0003_day_cache
Create Date: 2026-12-02 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_temperature"
down_revision = "0003_day_cache"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column without a default: SQLite adds it without rewriting the table.
    op.add_column("samples", sa.Column("temperature", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("samples", "temperature")  # in place (SQLite >= 3.35), no table rebuild
