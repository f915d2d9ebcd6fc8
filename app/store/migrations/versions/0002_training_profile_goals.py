"""training: FTP and threshold HR on the profile, an exercise for reps goals

Revision ID: 0002_training
Revises: 0001
Create Date: 2026-11-27 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_training"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("athletes") as batch:
        batch.add_column(sa.Column("ftp_w", sa.Float(), nullable=True))
        batch.add_column(sa.Column("threshold_hr", sa.Integer(), nullable=True))
    with op.batch_alter_table("goals") as batch:
        batch.add_column(sa.Column("exercise_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_goals_exercise_id_exercises"), "exercises", ["exercise_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("goals") as batch:
        batch.drop_constraint(batch.f("fk_goals_exercise_id_exercises"), type_="foreignkey")
        batch.drop_column("exercise_id")
    with op.batch_alter_table("athletes") as batch:
        batch.drop_column("threshold_hr")
        batch.drop_column("ftp_w")
