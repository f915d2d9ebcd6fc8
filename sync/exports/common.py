"""Shared by every export: atomic files, spreadsheet-safe text, local dates."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import IO, Any, Literal, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: A cell starting with one of these is run as a formula by Excel/LibreOffice (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: str | None) -> str | None:
    """Text that a spreadsheet shows as text: a leading formula character gets a quote."""
    if value and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@overload
def atomic_file(
    path: Path, mode: Literal["w"] = "w", newline: str | None = ""
) -> contextlib.AbstractContextManager[IO[str]]: ...


@overload
def atomic_file(
    path: Path, mode: Literal["wb"], newline: str | None = ""
) -> contextlib.AbstractContextManager[IO[bytes]]: ...


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "w", newline: str | None = "") -> Iterator[IO[Any]]:
    """Write to a temporary file beside `path`, renamed over it only when complete.

    Text files are UTF-8 with the given `newline`; in binary mode `newline` is ignored.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if "b" in mode:
            opened = os.fdopen(fd, mode)
        else:
            opened = os.fdopen(fd, mode, encoding="utf-8", newline=newline)
        with opened as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def zone(name: str | None) -> tzinfo:
    """The named IANA zone, else UTC (unknown names never crash an export)."""
    if name:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(name)
    return UTC


def local_dt(t_ms: int, tz_name: str | None) -> datetime:
    return datetime.fromtimestamp(t_ms / 1000, UTC).astimezone(zone(tz_name))


def iso_utc(t_ms: int | None) -> str | None:
    if t_ms is None:
        return None
    return datetime.fromtimestamp(t_ms / 1000, UTC).isoformat(timespec="milliseconds")
