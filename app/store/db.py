"""Open the SQLite database: pragmas, refuse newer schemas, back up, migrate to head."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError

from .errors import NewerSchemaError, StoreError, classify

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

#: The newest Alembic revision in migrations/versions. Kept here so that opening an up-to-date
#: database needs no Alembic import (start-up time); tests/test_store.py checks it is the head.
SCHEMA_HEAD = "0005_session_tracks"

MIGRATIONS = Path(__file__).with_name("migrations")
DB_FILENAME = "pulsedeck.db"
#: How long a writer waits for another connection's lock before reporting "locked".
BUSY_TIMEOUT_MS = 5_000


def alembic_config() -> Config:
    """Alembic configuration pointing at the packaged migrations (no alembic.ini needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    # WAL: readers never block the writer; NORMAL: durable across process crashes (only an
    # OS crash/power cut can lose the last transactions); FK on: cascades actually happen.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.close()


def make_engine(path: Path) -> Engine:
    """An engine on `path` with our pragmas on every connection; no schema work."""
    engine = create_engine(f"sqlite:///{path}", future=True)
    event.listen(engine, "connect", _on_connect)
    return engine


def _on_connect_read_only(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.close()


def make_read_only_engine(path: Path) -> Engine:
    """An engine that can only read `path` (a read-only folder: a USB stick, a share).

    Without a write-ahead log beside it the file is opened immutable (no lock or -shm file
    is needed, so nothing is written); with one, SQLite reads the log too.
    """
    wal = path.with_name(path.name + "-wal")
    immutable = "&immutable=1" if not wal.exists() or wal.stat().st_size == 0 else ""
    engine = create_engine(f"sqlite:///file:{path}?mode=ro{immutable}&uri=true", future=True)
    event.listen(engine, "connect", _on_connect_read_only)
    return engine


def is_read_only(engine: Engine) -> bool:
    """True for an engine from make_read_only_engine."""
    return engine.url.query.get("mode") == "ro"


def _writable(data_dir: Path, path: Path) -> bool:
    """Whether this process may write the database (and its -wal/-shm files) here."""
    if not os.access(data_dir, os.W_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def head_revision() -> str:
    """The newest migration this build knows (asks Alembic; see SCHEMA_HEAD)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision stamped in the database, or None for an empty database."""
    with engine.connect() as conn:
        has_table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).first()
        if has_table is None:
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return None if row is None else str(row[0])


def backup_path(path: Path, revision: str | None) -> Path:
    return path.with_name(f"{path.name}.before-{revision or 'empty'}-{int(time.time())}.bak")


def migrate(engine: Engine, path: Path | None = None) -> None:
    """Bring the schema to head; refuse a database stamped by a newer Pulsedeck."""
    current = current_revision(engine)
    if current == SCHEMA_HEAD:
        return  # the common case, without importing Alembic
    from alembic import command
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    if current == head:
        return
    if current is not None:
        try:
            script.get_revision(current)
        except Exception as exc:  # alembic raises CommandError/ResolutionError subclasses
            raise NewerSchemaError(
                f"{path or 'database'} was written by a newer Pulsedeck (schema {current}); "
                "this version knows schemas up to "
                f"{head}. Upgrade Pulsedeck; the file was not changed."
            ) from exc
        if path is not None and path.exists():
            # Copy before altering a populated database: a failed migration must be undoable.
            backup = backup_path(path, current)
            with sqlite3.connect(path) as src, sqlite3.connect(backup) as dst:
                src.backup(dst)
            log.info("backed up %s to %s before migrating", path, backup)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    engine.dispose()  # the migration ran with foreign keys off (env.py); new connections have them
    log.info("database schema at %s", head)


def open_database(data_dir: Path) -> tuple[Engine, Path]:
    """Create the data dir if needed, open `pulsedeck.db` in it and migrate it to head.

    A database in a folder this process cannot write is opened read-only (reads work, every
    write fails as "the database is read-only"); it must already be at this build's schema.
    """
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create data directory {data_dir}: {exc.strerror}") from exc
    path = data_dir / DB_FILENAME
    if path.exists() and not _writable(data_dir, path):
        return _open_read_only(path), path
    engine = make_engine(path)
    try:
        if current_revision(engine) != SCHEMA_HEAD:
            # Several processes may open a new or old database at once (GUI + CLI, or two
            # CLIs): migrate under an exclusive file lock and re-check inside it.
            with _migration_lock(data_dir):
                migrate(engine, path)
    except DBAPIError as exc:
        engine.dispose()
        raise classify(exc, path) from exc
    except sqlite3.Error as exc:
        engine.dispose()
        raise classify(exc, path) from exc
    return engine, path


def _open_read_only(path: Path) -> Engine:
    engine = make_read_only_engine(path)
    try:
        current = current_revision(engine)
    except (DBAPIError, sqlite3.Error) as exc:
        engine.dispose()
        raise classify(exc, path) from exc
    if current != SCHEMA_HEAD:
        engine.dispose()
        raise StoreError(
            f"{path} is in a read-only folder and its schema ({current}) is not this "
            f"Pulsedeck's ({SCHEMA_HEAD}): open it where it can be written, or copy it"
        )
    log.info("%s opened read-only (the folder cannot be written)", path)
    return engine


@contextlib.contextmanager
def _migration_lock(data_dir: Path) -> Iterator[None]:
    """Blocking exclusive lock on `<data_dir>/pulsedeck.migrate.lock` (released on exit/kill)."""
    fd = os.open(data_dir / "pulsedeck.migrate.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
