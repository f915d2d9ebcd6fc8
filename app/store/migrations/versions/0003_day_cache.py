"""day cache: daily summaries and morning readings kept across restarts, a per-session revision

`sessions.rev` changes (a random 64-bit value, set by triggers) on every insert or update of
the session row, on every change of its markers and on every update of its samples or RR
intervals, so a cached day (day_summaries) or reading (session_readings) can be trusted while
the revisions of its sessions are the same. No trigger on inserts or deletes of samples and
RR (a per-row trigger made a bulk delete 4x slower): samples and RR inserted into a finished
session always come with an update of its row (`sample_count`, `ended_ms`), a session still
recording is never cached, and samples and RR are only ever deleted with their session (which
then leaves every stamp). A future edit that trims samples must update the session row.

Revision ID: 0003_day_cache
Revises: 0002_training
Create Date: 2026-12-02 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_day_cache"
down_revision = "0002_training"
branch_labels = None
depends_on = None

_BUMP = "UPDATE sessions SET rev = random() WHERE id = {ref}.session_id;"
TRIGGERS = {
    "sessions_rev_insert": (
        "AFTER INSERT ON sessions BEGIN UPDATE sessions SET rev = random() WHERE id = NEW.id; END"
    ),
    # Recursive triggers are off, and the WHEN clause stops a second round if they were on.
    "sessions_rev_update": (
        "AFTER UPDATE ON sessions WHEN NEW.rev IS OLD.rev "
        "BEGIN UPDATE sessions SET rev = random() WHERE id = NEW.id; END"
    ),
    "markers_rev_insert": "AFTER INSERT ON markers BEGIN " + _BUMP.format(ref="NEW") + " END",
    "markers_rev_update": "AFTER UPDATE ON markers BEGIN "
    + _BUMP.format(ref="NEW")
    + " "
    + _BUMP.format(ref="OLD")
    + " END",
    "markers_rev_delete": "AFTER DELETE ON markers BEGIN " + _BUMP.format(ref="OLD") + " END",
    "samples_rev_update": "AFTER UPDATE ON samples BEGIN "
    + _BUMP.format(ref="NEW")
    + " "
    + _BUMP.format(ref="OLD")
    + " END",
    "rr_rev_update": "AFTER UPDATE ON rr_intervals BEGIN "
    + _BUMP.format(ref="NEW")
    + " "
    + _BUMP.format(ref="OLD")
    + " END",
}


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("rev", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "day_summaries",
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("context", sa.String(64), nullable=False),
        sa.Column("stamp", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_day_summaries_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("athlete_id", "day", name=op.f("pk_day_summaries")),
    )
    op.create_table(
        "session_readings",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("whole", sa.Boolean(), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.Column("rmssd_ms", sa.Float(), nullable=True),
        sa.Column("hr", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_session_readings_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "whole", name=op.f("pk_session_readings")),
    )
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("session_readings")
    op.drop_table("day_summaries")
    # Not batch mode: recreating `sessions` with foreign keys on would cascade-delete every
    # session's samples. SQLite >= 3.35 drops a plain column in place.
    op.drop_column("sessions", "rev")
