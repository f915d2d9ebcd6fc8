"""One session as CSV, GPX, TCX, Parquet or XLSX, written atomically.

Every writer takes optional `progress` / `cancel` keywords (sync.progress): CSV reports
per chunk of samples, the others per stage (load, render, write in chunks). A cancel raises
`Cancelled` before the temporary file is renamed, so nothing partial is ever left at `path`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import IO, AnyStr

from app.domain.samples import CHANNELS
from app.store.repo import SessionInfo, Store
from sync.files.fit import write_session_fit
from sync.files.gpx import GpxLoss, session_to_gpx
from sync.files.tcx import has_positions, session_to_tcx
from sync.lake.schema import SAMPLES
from sync.lake.tables import session_tables
from sync.lake.writer import to_parquet_bytes
from sync.progress import CancelCheck, Progress, Steps

from .common import atomic_file, check_target, iso_utc

FORMATS = ("csv", "gpx", "tcx", "parquet", "xlsx", "fit")
#: Samples per CSV chunk: one progress report and one cancel check each (~10 ms of work).
CHUNK_ROWS = 5_000
#: Characters (or bytes) written per chunk of a rendered file, with a cancel check each.
CHUNK_CHARS = 1 << 20
#: Each channel's column names its unit (app.domain.samples.Sample); steps and met have none.
CSV_UNITS = {
    "hr": "hr_bpm",
    "cadence": "cadence_per_min",
    "speed": "speed_m_s",
    "power": "power_w",
    "distance": "distance_m",
    "lat": "lat_deg",
    "lon": "lon_deg",
    "altitude": "altitude_m",
    "steps": "steps",
    "met": "met",
    "temperature": "temperature_c",
}
CSV_HEADER = ("time_utc", "t_ms", *(CSV_UNITS[c] for c in CHANNELS), "rr_ms", "received_ms")


class ExportError(ValueError):
    """The session cannot be exported in that format (the message says why)."""


def _session(store: Store, session_id: int) -> SessionInfo:
    info = store.get_session(session_id)
    if info is None:
        raise LookupError(f"no session {session_id}")
    return info


def _write_chunks(fh: IO[AnyStr], data: AnyStr, steps: Steps) -> None:
    """Write `data` in chunks, checking for cancel before each."""
    for i in range(0, len(data), CHUNK_CHARS):
        steps.check()
        fh.write(data[i : i + CHUNK_CHARS])


def write_session_csv(
    store: Store,
    session_id: int,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    force: bool = False,
) -> Path:
    """Every sample, one row each; RR intervals of a reading joined by ';'."""
    _session(store, session_id)
    cols = ", ".join(("t_ms", *CHANNELS, "received_ms"))
    with store.engine.connect() as conn:
        count = conn.exec_driver_sql(
            "SELECT count(*) FROM samples WHERE session_id = ?", (session_id,)
        ).scalar_one()
        steps = Steps(count, progress, cancel)
        steps.start()
        rows = conn.exec_driver_sql(
            f"SELECT {cols} FROM samples WHERE session_id = ? ORDER BY t_ms, id", (session_id,)
        )
        rr: dict[int, list[float]] = {}
        for t_ms, rr_ms in conn.exec_driver_sql(
            "SELECT t_ms, rr_ms FROM rr_intervals WHERE session_id = ? ORDER BY t_ms, id",
            (session_id,),
        ):
            rr.setdefault(t_ms, []).append(rr_ms)
        with atomic_file(path, force=force) as fh:
            w = csv.writer(fh)
            w.writerow(CSV_HEADER)
            while chunk := rows.fetchmany(CHUNK_ROWS):
                steps.check()
                for row in chunk:
                    t_ms, *channels, received = row
                    values = ["" if v is None else v for v in channels]
                    rr_text = ";".join(f"{v:g}" for v in rr.pop(t_ms, []))
                    w.writerow([iso_utc(t_ms), t_ms, *values, rr_text, received or ""])
                steps.step(len(chunk))
            steps.check()  # the last chance: after this the file is renamed into place
    steps.finish()
    return path


#: Stages of the rendered formats: load the samples, render, write (reported as 3 units).
_STAGES = 3


def _write_rendered(path: Path, data: str | bytes, steps: Steps, force: bool) -> Path:
    """The write stage: chunked, with the last cancel check before the rename."""
    if isinstance(data, bytes):
        with atomic_file(path, "wb", newline=None, force=force) as raw:
            _write_chunks(raw, data, steps)
            steps.step()
    else:
        with atomic_file(path, "w", newline="\n", force=force) as text:
            _write_chunks(text, data, steps)
            steps.step()
    steps.finish()
    return path


def _staged(
    store: Store,
    session_id: int,
    path: Path,
    render: Callable[[SessionInfo], str | bytes],
    progress: Progress | None,
    cancel: CancelCheck | None,
    force: bool,
) -> Path:
    """The rendered formats' three stages: load and render (`render`), then write."""
    check_target(path, force=force)  # refused before the work, not after it
    steps = Steps(_STAGES, progress, cancel)
    steps.start()
    info = _session(store, session_id)
    steps.step()
    data = render(info)
    steps.step()
    return _write_rendered(path, data, steps, force)


def write_session_gpx(
    store: Store,
    session_id: int,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    force: bool = False,
    on_note: Callable[[str], None] | None = None,
) -> Path:
    """GPX of the located points; `on_note` hears how many points GPX could not hold.

    Written, not refused, when some points lack a position: GPX is chosen for the route, and
    a GPS drop-out (a tunnel, the seconds before the first fix) must not block it. The note
    names the count and TCX/FIT, which keep every reading; no position at all is refused.
    """

    def render(info: SessionInfo) -> str:
        samples = store.load_samples(session_id)
        if not has_positions(samples):
            raise ExportError(f"session {session_id} has no GPS positions; export TCX or FIT")

        def noted(loss: GpxLoss) -> None:
            text = loss.message()
            if text is not None and on_note is not None:
                on_note(text)

        return session_to_gpx(info, samples, noted)

    return _staged(store, session_id, path, render, progress, cancel, force)


def write_session_tcx(
    store: Store,
    session_id: int,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    force: bool = False,
) -> Path:
    def render(info: SessionInfo) -> str:
        laps = [t for kind, t, _ in store.load_markers(session_id) if kind == "lap"]
        samples = store.load_samples(session_id)
        return session_to_tcx(info, samples, laps, store.load_pauses(session_id))

    return _staged(store, session_id, path, render, progress, cancel, force)


def write_session_parquet(
    store: Store,
    session_id: int,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    force: bool = False,
) -> Path:
    """The session's samples in the lake's `samples` schema (zstd, UTC timestamps)."""

    def render(_info: SessionInfo) -> bytes:  # the same bytes write_parquet_file writes
        return to_parquet_bytes(SAMPLES, session_tables(store, session_id).tables[SAMPLES])

    return _staged(store, session_id, path, render, progress, cancel, force)


def write_session_xlsx(
    store: Store,
    session_id: int,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    force: bool = False,
) -> Path:
    """A one-session workbook (summary and strength sets, as `pulsedeck export xlsx`)."""
    from .workbook import write_workbook

    steps = Steps(_STAGES, progress, cancel)
    steps.start()
    info = _session(store, session_id)
    steps.step()
    write_workbook(store, [info], path, cancel=steps.check, force=force)
    steps.finish()
    return path


def export_session(
    store: Store,
    session_id: int,
    fmt: str,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    force: bool = False,
    on_note: Callable[[str], None] | None = None,
) -> Path:
    """Write the session in `fmt` (one of FORMATS) to `path`; `Cancelled` leaves no file.

    An existing file at `path` is replaced only with `force`; anything else that is not a
    regular file is refused (common.TargetRefused). `on_note` hears what the format could
    not hold (GPX: points without a position, power), one line each.
    """
    writers = {
        "csv": write_session_csv,
        "gpx": write_session_gpx,
        "tcx": write_session_tcx,
        "parquet": write_session_parquet,
        "xlsx": write_session_xlsx,
        "fit": write_session_fit,
    }
    if fmt not in writers:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "gpx":
        return write_session_gpx(
            store, session_id, path, progress=progress, cancel=cancel, force=force,
            on_note=on_note,
        )  # fmt: skip
    return writers[fmt](store, session_id, path, progress=progress, cancel=cancel, force=force)
