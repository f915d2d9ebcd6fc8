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


def classify(exc: BaseException, path: object) -> BaseException:
    """Turn a sqlite3 error with a user-facing cause into DatabaseUnavailable, else return it."""
    orig = getattr(exc, "orig", exc)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None and (code & 0xFF) in _USER_FACING:
        return DatabaseUnavailable(f"{path}: {_USER_FACING[code & 0xFF]} ({orig})")
    return exc
