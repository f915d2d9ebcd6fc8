"""Where activity files come from: files, folders, .zip/.gz, a Strava bulk export.

`expand(paths)` lists candidates without reading them (the importer's progress total);
`read_candidate` opens one, sniffs its content (never trusting the name: a GPX named .fit
is read as GPX), decompresses gzip/bz2/xz as a capped stream and hands it to a reader.
A Strava bulk export is a folder or zip with `activities.csv`: its rows give each file's
title and sport, and rows without a file (manual entries) are reported as skipped.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING

from .fit import read_fit
from .model import Activity, ByteStream, CorruptFile, ImportRefused, UnsupportedFile
from .xmlfiles import Capped, read_xml

if TYPE_CHECKING:
    from typing_extensions import Buffer

#: Extensions picked up when a folder or archive is imported (anything else is ignored there;
#: a file named on the command line is read whatever its name).
ACTIVITY_SUFFIXES = (".fit", ".tcx", ".gpx", ".fit.gz", ".tcx.gz", ".gpx.gz")
STRAVA_INDEX = "activities.csv"

#: Strava "Activity Type" -> Pulsedeck sport.
STRAVA_SPORTS = {
    "run": "run", "trail run": "trail_run", "virtual run": "virtual_run", "ride": "ride",
    "virtual ride": "virtual_ride", "e-bike ride": "ride", "gravel ride": "ride",
    "mountain bike ride": "ride", "walk": "walk", "hike": "hike", "swim": "swim",
    "rowing": "row", "weight training": "strength", "workout": "gym",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Candidate:
    """One file to import; `open` gives its raw bytes (maybe compressed)."""

    label: str  # what the report shows: a path, or archive.zip:member
    open: Callable[[], IO[bytes]]
    title: str | None = None  # from a Strava export's activities.csv
    sport: str | None = None
    skip_reason: str | None = None  # a Strava row with no file: reported, not read


def _has_activity_suffix(name: str) -> bool:
    return name.lower().endswith(ACTIVITY_SUFFIXES)


def expand(paths: list[Path]) -> Iterator[Candidate]:
    """Every candidate under `paths`, in a stable order (folders sorted by name)."""
    for path in paths:
        if path.is_dir():
            index = path / STRAVA_INDEX
            if index.is_file():
                yield from _strava_rows(index.read_bytes(), partial(_open_in, path), str(path))
                continue
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if _has_activity_suffix(child.name) or child.name.lower().endswith(".zip"):
                    yield from expand([child])
        elif path.is_file() and _is_zip(path):
            yield from _zip(path)
        else:
            yield Candidate(str(path), partial(_open_file, path))


def _open_file(path: Path) -> IO[bytes]:
    return path.open("rb")


def _open_in(base: Path, rel: str) -> IO[bytes]:
    return (base / rel).open("rb")


def _empty() -> IO[bytes]:
    return io.BytesIO()


def _is_zip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def _zip(path: Path) -> Iterator[Candidate]:
    try:
        archive = zipfile.ZipFile(path)
        names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        yield Candidate(str(path), _empty, skip_reason=f"unreadable zip: {exc}")
        return
    index = next((n for n in names if PurePosixPath(n).name == STRAVA_INDEX), None)

    if index is not None:
        base = str(PurePosixPath(index).parent)
        prefix = "" if base == "." else base + "/"
        yield from _strava_rows(
            archive.read(index), partial(_zip_member, path, prefix), f"{path}:", sep=""
        )
        return
    for name in sorted(names):
        if not name.endswith("/") and _has_activity_suffix(name):
            yield Candidate(f"{path}:{name}", partial(_zip_member, path, "", name))


def _zip_member(path: Path, prefix: str, member: str) -> IO[bytes]:
    return zipfile.ZipFile(path).open(prefix + member)


def _strava_rows(
    data: bytes, open_rel: Callable[[str], IO[bytes]], where: str, sep: str = "/"
) -> Iterator[Candidate]:
    text = data.decode("utf-8-sig", "replace")
    for row in csv.DictReader(io.StringIO(text)):
        rel = (row.get("Filename") or "").strip()
        activity_id = (row.get("Activity ID") or "?").strip()
        title = (row.get("Activity Name") or "").strip() or None
        sport = STRAVA_SPORTS.get((row.get("Activity Type") or "").strip().lower())
        if not rel:
            yield Candidate(
                f"{where}{sep}activity {activity_id}",
                _empty,
                skip_reason="no file in the export (an activity entered by hand)",
            )
            continue
        yield Candidate(
            f"{where}{sep}{rel}", partial(open_rel, rel), title=title, sport=sport or "other"
        )


class _Prefixed(io.RawIOBase):
    """A stream whose first bytes were already read for sniffing."""

    def __init__(self, head: bytes, rest: ByteStream) -> None:
        self.head = head
        self.rest = rest

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n is None or n < 0:
                out, self.head = self.head + self.rest.read(), b""
                return out
            out, self.head = self.head[:n], self.head[n:]
            if len(out) < n:
                out += self.rest.read(n - len(out))
            return out
        return self.rest.read(n)

    def readinto(self, b: Buffer) -> int:
        view = memoryview(b).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def sniff(head: bytes) -> str:
    """fit | xml | gzip | bz2 | xz | zip | 7z | rar | unknown, from a file's first bytes."""
    if len(head) >= 12 and head[0] in (12, 14) and head[8:12] == b".FIT":
        return "fit"
    for magic, kind in (
        (b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"), (b"PK\x03\x04", "zip"),
        (b"7z\xbc\xaf\x27\x1c", "7z"), (b"Rar!", "rar"),
    ):  # fmt: skip
        if head.startswith(magic):
            return kind
    body = head
    for bom in _BOMS:
        if body.startswith(bom):
            return "xml"
    if body[:2] in (b"<\x00", b"\x00<"):  # UTF-16 without a BOM
        return "xml"
    if body.lstrip(b" \t\r\n").startswith(b"<"):
        return "xml"
    return "unknown"


def read_stream(
    raw: ByteStream, name: str, cancel: Callable[[], None] | None = None, depth: int = 0
) -> Activity:
    """Sniff and read one (possibly compressed) activity stream."""
    head = raw.read(64)
    kind = sniff(head)
    stream = _Prefixed(head, raw)
    if kind in ("gzip", "bz2", "xz"):
        if depth:
            raise UnsupportedFile("compressed twice: not read")
        opener = {"gzip": gzip.GzipFile, "bz2": bz2.BZ2File, "xz": lzma.LZMAFile}[kind]
        inner = opener(fileobj=stream)
        try:
            return read_stream(Capped(inner), name, cancel, depth + 1)
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise CorruptFile(f"damaged {kind} data: {exc}") from None
    if kind == "fit":
        activity = read_fit(io.BufferedReader(stream), name, cancel)
    elif kind == "xml":
        activity = read_xml(stream, cancel)
    elif kind == "zip":
        raise UnsupportedFile("a ZIP archive inside an archive or under a non-.zip name: unzip it")
    elif kind in ("7z", "rar"):
        raise UnsupportedFile(f"a {kind} archive: not supported (extract it, or use zip/gzip)")
    elif not head:
        raise UnsupportedFile("empty file")
    else:
        raise UnsupportedFile("not a FIT, TCX or GPX file")
    suffix = name.lower().removesuffix(".gz").rsplit(".", 1)[-1]
    if suffix in ("fit", "tcx", "gpx") and suffix != activity.format:
        note = f"read as {activity.format.upper()}: the content is not .{suffix}"
        activity.notes = f"{activity.notes}; {note}" if activity.notes else note
    return activity


def read_candidate(c: Candidate, cancel: Callable[[], None] | None = None) -> Activity:
    """Open and read one candidate; ImportRefused (with the reason) for anything wrong."""
    try:
        with c.open() as raw:
            return read_stream(raw, c.label, cancel)
    except ImportRefused:
        raise
    except FileNotFoundError:
        raise UnsupportedFile("file not found (listed in activities.csv?)") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise CorruptFile(f"cannot be read: {exc}") from None
