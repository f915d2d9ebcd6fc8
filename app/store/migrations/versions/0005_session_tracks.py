"""session tracks: each session's per-channel pieces stored, so the days are computed without
reading every sample again

A row is valid while the session's `rev` (migration 0003) and the pieces format
(app.training.track_store.PIECES_VERSION) are those it was made with. The pieces depend only
on the session's samples, pauses and end, never on the athlete's profile, zones or time zone,
so a change of those recomputes the days from these rows. Derived data, dropped with the
session.

Revision ID: 0005_session_tracks
Revises: 0004_temperature
Create Date: 2026-12-02 05:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_session_tracks"
down_revision = "0004_temperature"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_tracks",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("pieces", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_session_tracks_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_session_tracks")),
    )


def downgrade() -> None:
    op.drop_table("session_tracks")
