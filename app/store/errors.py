"""Storage errors a user must see, told apart from bugs by SQLite's error code."""

from __future__ import annotations

import sqlite3


class StoreError(Exception):
    """Base for storage problems the user can act on; the message is shown as is."""


class NewerSchemaError(StoreError):
    """The database was written by a newer Pulsedeck; we refuse to touch it."""


class DatabaseUnavailable(StoreError):
    """Disk full, read-only, locked or corrupt: the user must act, retrying will not help."""


#: SQLite primary result codes that mean "environment problem", not "our bug".
_USER_FACING = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the database is read-only",
    sqlite3.SQLITE_BUSY: "the database is locked by another program",
    sqlite3.SQLITE_LOCKED: "the database is locked",
    sqlite3.SQLITE_CORRUPT: "the database file is corrupt",
    sqlite3.SQLITE_NOTADB: "the file is not a Pulsedeck database",
    sqlite3.SQLITE_CANTOPEN: "the database file cannot be opened",
    sqlite3.SQLITE_IOERR: "a disk I/O error occurred",
    sqlite3.SQLITE_PERM: "permission denied",
}


#: Codes worth retrying: another connection holds the lock for a moment.
_TRANSIENT = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def _sqlite_error(exc: BaseException) -> sqlite3.Error | None:
    """The sqlite3 error behind `exc` (SQLAlchemy's `.orig`, or a cause in the chain)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        orig = getattr(current, "orig", current)
        if isinstance(orig, sqlite3.Error) and getattr(orig, "sqlite_errorcode", None):
            return orig
        current = current.__cause__ or current.__context__
    return None


def classify(exc: BaseException, path: object = None) -> BaseException:
    """Turn a sqlite3 error with a user-facing cause into DatabaseUnavailable, else return it."""
    if isinstance(exc, StoreError):
        return exc
    orig = _sqlite_error(exc)
    code = None if orig is None else orig.sqlite_errorcode & 0xFF
    if orig is not None and code in _USER_FACING:
        where = f"{path}: " if path is not None else ""
        return DatabaseUnavailable(f"{where}{_USER_FACING[code]} ({orig})")
    return exc


def is_transient(exc: BaseException) -> bool:
    """True when retrying soon may succeed (locked or busy), False for full, corrupt, bugs."""
    orig = _sqlite_error(exc)
    return orig is not None and (orig.sqlite_errorcode & 0xFF) in _TRANSIENT
