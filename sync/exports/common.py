"""Shared by every export: atomic files, spreadsheet-safe text, local dates."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: A cell starting with one of these is run as a formula by Excel/LibreOffice (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: str | None) -> str | None:
    """Text that a spreadsheet shows as text: a leading formula character gets a quote."""
    if value and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "w", newline: str | None = "") -> Iterator[IO]:  # type: ignore[type-arg]
    """Write to a temporary file beside `path`, renamed over it only when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        kwargs = {"encoding": "utf-8", "newline": newline} if "b" not in mode else {}
        with os.fdopen(fd, mode, **kwargs) as fh:
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
