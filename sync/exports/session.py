"""One session as CSV, GPX, TCX or Parquet, written atomically."""

from __future__ import annotations

import csv
from pathlib import Path

from app.domain.samples import CHANNELS
from app.store.repo import SessionInfo, Store
from sync.files.gpx import session_to_gpx
from sync.files.tcx import has_positions, session_to_tcx
from sync.lake.schema import SAMPLES
from sync.lake.tables import session_tables
from sync.lake.writer import write_parquet_file

from .common import atomic_file, iso_utc

FORMATS = ("csv", "gpx", "tcx", "parquet")
CSV_HEADER = ("time_utc", "t_ms", *CHANNELS, "rr_ms", "received_ms")


class ExportError(ValueError):
    """The session cannot be exported in that format (the message says why)."""


def _session(store: Store, session_id: int) -> SessionInfo:
    info = store.get_session(session_id)
    if info is None:
        raise LookupError(f"no session {session_id}")
    return info


def write_session_csv(store: Store, session_id: int, path: Path) -> Path:
    """Every sample, one row each; RR intervals of a reading joined by ';'."""
    _session(store, session_id)
    cols = ", ".join(("t_ms", *CHANNELS, "received_ms"))
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT {cols} FROM samples WHERE session_id = ? ORDER BY t_ms, id", (session_id,)
        )
        rr: dict[int, list[float]] = {}
        for t_ms, rr_ms in conn.exec_driver_sql(
            "SELECT t_ms, rr_ms FROM rr_intervals WHERE session_id = ? ORDER BY t_ms, id",
            (session_id,),
        ):
            rr.setdefault(t_ms, []).append(rr_ms)
        with atomic_file(path) as fh:
            w = csv.writer(fh)
            w.writerow(CSV_HEADER)
            for row in rows:
                t_ms, *channels, received = row
                values = ["" if v is None else v for v in channels]
                rr_text = ";".join(f"{v:g}" for v in rr.pop(t_ms, []))
                w.writerow([iso_utc(t_ms), t_ms, *values, rr_text, received or ""])
    return path


def write_session_gpx(store: Store, session_id: int, path: Path) -> Path:
    info = _session(store, session_id)
    samples = store.load_samples(session_id)
    if not has_positions(samples):
        raise ExportError(f"session {session_id} has no GPS positions; export TCX or CSV")
    text = session_to_gpx(info, samples)
    with atomic_file(path, newline="\n") as fh:
        fh.write(text)
    return path


def write_session_tcx(store: Store, session_id: int, path: Path) -> Path:
    info = _session(store, session_id)
    laps = [t for kind, t, _ in store.load_markers(session_id) if kind == "lap"]
    text = session_to_tcx(info, store.load_samples(session_id), laps)
    with atomic_file(path, newline="\n") as fh:
        fh.write(text)
    return path


def write_session_parquet(store: Store, session_id: int, path: Path) -> Path:
    """The session's samples in the lake's `samples` schema (zstd, UTC timestamps)."""
    _session(store, session_id)
    return write_parquet_file(SAMPLES, session_tables(store, session_id).tables[SAMPLES], path)


def export_session(store: Store, session_id: int, fmt: str, path: Path) -> Path:
    """Write the session in `fmt` (one of FORMATS) to `path`."""
    writers = {
        "csv": write_session_csv,
        "gpx": write_session_gpx,
        "tcx": write_session_tcx,
        "parquet": write_session_parquet,
    }
    if fmt not in writers:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return writers[fmt](store, session_id, path)
