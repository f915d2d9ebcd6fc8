"""Alembic environment: runs on the connection app.store.db hands over (never opens its own)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from app.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # `alembic` CLI use during development
    from sqlalchemy import create_engine

    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    connection = engine.connect()


def _foreign_keys_off(conn: Connection) -> None:
    """Batch mode rebuilds a table (copy, DROP, rename): with foreign keys on, that DROP
    cascade-deletes every child row (0002's rebuild of `goals` emptied goal_achievements, a
    downgrade through it every session). SQLite ignores the pragma inside a transaction."""
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if conn.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("foreign keys are still on (inside a transaction): not migrating")


def _check_references(conn: Connection) -> None:
    """Refuse (and so roll back) a migration that left rows pointing at missing rows."""
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise RuntimeError(
            f"migration left {len(broken)} rows pointing at missing rows "
            f"(first: {table} row {rowid} -> {parent}); nothing was changed"
        )


_foreign_keys_off(connection)
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things: batch mode copies the table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
    _check_references(connection)
# The connection keeps foreign keys off until it is closed: callers dispose of the engine's
# pool after migrating (app.store.db.migrate), so no later statement runs without them.
