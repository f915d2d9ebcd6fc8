"""Shared by every export: safe targets, atomic files, spreadsheet-safe text, local dates.

An export only ever writes a regular file it was asked for (`check_target`): it never replaces
a device node, FIFO, socket or symbolic link (even as root: `-o /dev/null` is refused, not
swapped for a file), never replaces an existing file unless `force` is given, never creates
missing parent directories, and gives the file the umask's mode (0644 under umask 022),
not the 0600 of a temporary file. A symbolic link is refused rather than written through:
whoever made it may not expect an export to land where it points.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import IO, Any, Literal, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: A cell starting with one of these is run as a formula by Excel/LibreOffice (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: File name extensions of every export format (`export session -o run.tcx` writes TCX).
SUFFIX_FORMATS = {
    ".csv": "csv",
    ".gpx": "gpx",
    ".tcx": "tcx",
    ".parquet": "parquet",
    ".xlsx": "xlsx",
    ".zip": "zip",
    ".fit": "fit",
}


class TargetRefused(ValueError):
    """An export target that must not be written (the message says why and what to do)."""


def cell_text(value: str | None) -> str | None:
    """Text that a spreadsheet shows as text: a leading formula character gets a quote."""
    if value and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def format_of(path: Path, given: str | None, allowed: tuple[str, ...]) -> str:
    """The format to write `path` in: `given`, else the one its extension names.

    Refuses an extension naming another format than `given` (a CSV in a .tcx file), and a
    path whose extension names no format in `allowed` when none is given.
    """
    named = SUFFIX_FORMATS.get(path.suffix.lower())
    if given is None:
        if named not in allowed:
            raise TargetRefused(
                f"cannot tell the format from {path.name!r}: name it .{' or .'.join(allowed)}"
                " or pass --format"
            )
        return named
    if named is not None and named != given:
        raise TargetRefused(f"{path.name!r} names the {named} format, not {given}")
    return given


def export_target(path: Path, default_name: str, *, force: bool = False) -> Path:
    """Where an export to `path` goes: a directory means `default_name` inside it.

    Raises TargetRefused for what `check_target` refuses.
    """
    if path.is_dir():
        path = path / default_name
    check_target(path, force=force)
    return path


def check_target(path: Path, *, force: bool = False) -> None:
    """Refuse a target that is not ours to write (see the module docstring)."""
    parent = path.parent
    if not parent.is_dir():
        raise TargetRefused(f"directory {str(parent)!r} does not exist: create it first")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise TargetRefused(
            f"{str(path)!r} is a symbolic link: not replaced (give the file it points to)"
        )
    if stat.S_ISDIR(st.st_mode):
        raise TargetRefused(f"{str(path)!r} is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise TargetRefused(
            f"{str(path)!r} is not a regular file (a device, FIFO or socket): not written"
        )
    if not force:
        raise TargetRefused(f"{str(path)!r} exists: pass --force to replace it")


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (threads share it)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _place(tmp: str, path: Path, force: bool) -> None:
    """Move the finished temporary file to `path`, re-checking the target at the last moment.

    Without `force`, a hard link is made (it fails if anything appeared at `path` meanwhile),
    so a file created during the export is never clobbered; file systems without hard links
    fall back to a check and a rename.
    """
    check_target(path, force=force)
    if force:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise TargetRefused(f"{str(path)!r} exists: pass --force to replace it") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        os.replace(tmp, path)
    else:
        os.unlink(tmp)


@overload
def atomic_file(
    path: Path, mode: Literal["w"] = "w", newline: str | None = "", *, force: bool = False
) -> contextlib.AbstractContextManager[IO[str]]: ...


@overload
def atomic_file(
    path: Path, mode: Literal["wb"], newline: str | None = "", *, force: bool = False
) -> contextlib.AbstractContextManager[IO[bytes]]: ...


@contextlib.contextmanager
def atomic_file(
    path: Path, mode: str = "w", newline: str | None = "", *, force: bool = False
) -> Iterator[IO[Any]]:
    """Write to a temporary file beside `path`, moved to `path` only when complete.

    The target is checked before anything is written and again before the move
    (`check_target`: an existing file only with `force`). Text files are UTF-8 with the given
    `newline`; in binary mode `newline` is ignored.
    """
    check_target(path, force=force)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if "b" in mode:
            opened = os.fdopen(fd, mode)
        else:
            opened = os.fdopen(fd, mode, encoding="utf-8", newline=newline)
        with opened as fh:
            os.fchmod(fh.fileno(), 0o666 & ~_umask())  # mkstemp's 0600 is for secrets
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _place(tmp, path, force)
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
