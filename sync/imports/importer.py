"""Activity files into sessions: one file at a time, all of it or nothing, duplicates skipped.

A session imported from a file follows its samples: it starts at the first sample and ends at
the last, so its duration and its day are the activity's (not the wall clock of the import).
Its summary comes from `Store.finish_session` (app.domain.summary.summarize), like any
recording's.

Identity (DUPLICATE_OVERLAP): an activity is already there when a session of the same athlete
(not soft-deleted) overlaps its span by at least 80 % of the longer of the two spans. The same
file imported twice overlaps 100 % (re-import is a no-op); a watch file of a run also recorded
live with a strap, started and stopped a few seconds apart, overlaps ~97 %; a warm-up recorded
inside a longer activity does not match. Zero-length activities match on the same start
second. The device is deliberately not part of the rule: a watch and a strap recording one
run are one session.

Atomicity: the file is read and checked completely before anything is written; the session,
its samples, RR intervals and markers are then written in one transaction and the summary
right after it (a crash between the two leaves a complete session that recovery finishes
from its last sample, exactly as the import would have). Then the session's pieces for the
day maths are stored from the samples still in memory (app.training.tracks.keep_track), so
its days never read them back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from sqlalchemy import insert, select

from app.store import models as m
from app.store.repo import INSERT_RR_SQL, INSERT_SAMPLE_SQL, STATUS_FINISHED, Store
from app.training.tracks import keep_track
from sync.progress import CancelCheck, Cancelled, Progress, Steps

from .model import Activity, ImportRefused, InvalidActivity
from .sources import Candidate, expand, read_candidate

log = logging.getLogger(__name__)

#: Share of the longer span two sessions must have in common to be one activity.
DUPLICATE_OVERLAP = 0.8
#: The `source` of an imported session.
SOURCE_IMPORT = "import"
#: Rows per executemany while writing samples (all in one transaction).
_BATCH = 10_000


class Outcome(StrEnum):
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    REFUSED = "refused"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class FileResult:
    label: str
    outcome: Outcome
    reason: str | None = None  # why refused/skipped, or a note on an imported file
    session_id: int | None = None  # the new session, or the one it duplicates
    samples: int = 0
    rr: int = 0
    format: str | None = None


@dataclass(slots=True)
class ImportReport:
    results: list[FileResult] = field(default_factory=list)
    cancelled: bool = False

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    def summary(self) -> str:
        text = (
            f"{self.count(Outcome.IMPORTED)} imported, {self.count(Outcome.DUPLICATE)} "
            f"duplicate(s) skipped, {self.count(Outcome.REFUSED)} refused"
        )
        if self.count(Outcome.SKIPPED):
            text += f", {self.count(Outcome.SKIPPED)} without a file"
        return text + (" (cancelled)" if self.cancelled else "")


def find_duplicate(store: Store, athlete_id: int, start_ms: int, end_ms: int) -> int | None:
    """The session of this athlete that is the same activity (see DUPLICATE_OVERLAP)."""
    with store.orm() as s:
        rows = s.execute(
            select(m.Session.id, m.Session.started_ms, m.Session.ended_ms)
            .where(m.Session.athlete_id == athlete_id)
            .where(m.Session.deleted_ms.is_(None))
            .where(m.Session.started_ms <= end_ms + 1000)
            .where(m.Session.started_ms >= start_ms - 7 * 86_400_000)  # uses the index
            .order_by(m.Session.started_ms)
        ).all()
    for sid, s0, s1 in rows:
        s1 = max(s1 if s1 is not None else s0, s0)
        if end_ms - start_ms <= 0 or s1 - s0 <= 0:
            if abs(s0 - start_ms) < 1000:
                return int(sid)
            continue
        overlap = min(end_ms, s1) - max(start_ms, s0)
        if overlap > 0 and overlap >= DUPLICATE_OVERLAP * max(end_ms - start_ms, s1 - s0):
            return int(sid)
    return None


def _device_id(store: Store, athlete_id: int, name: str | None) -> int | None:
    """The `devices` row naming the device that wrote the file (kind file, never paired)."""
    if not name:
        return None
    address = f"file:{name}"[:64]
    with store.orm() as s, s.begin():
        d = s.scalar(
            select(m.Device).where(m.Device.athlete_id == athlete_id, m.Device.address == address)
        )
        if d is None:
            d = m.Device(athlete_id=athlete_id, address=address, name=name[:120], kind="file")
            s.add(d)
            s.flush()
        return d.id


def store_activity(
    store: Store,
    athlete_id: int,
    activity: Activity,
    *,
    title: str | None = None,
    sport: str | None = None,
) -> int:
    """Write one checked activity as a finished session; returns its id (all or nothing)."""
    samples = activity.samples
    start, end = samples[0].t_ms, samples[-1].t_ms
    device_id = _device_id(store, athlete_id, activity.device)
    with store.orm() as s:
        timezone = s.scalar(select(m.Athlete.timezone).where(m.Athlete.id == athlete_id))
    with store.engine.begin() as conn:
        session_id: int = conn.execute(
            insert(m.Session).values(
                uid=str(uuid.uuid4()),
                athlete_id=athlete_id,
                sport=sport or activity.sport or "other",
                title=(title or activity.title or None),
                source=SOURCE_IMPORT,
                status="recording",  # finished below, once the summary is computed
                started_ms=start,
                timezone=timezone,
                notes=activity.notes,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        rr_ms: list[float] = []  # in load_rr's order (time, then as inserted)
        for i in range(0, len(samples), _BATCH):
            chunk = samples[i : i + _BATCH]
            conn.exec_driver_sql(
                INSERT_SAMPLE_SQL, [smp.row(session_id, device_id) for smp in chunk]
            )
            rr = [(session_id, smp.t_ms, v) for smp in chunk for v in smp.rr]
            if rr:
                conn.exec_driver_sql(INSERT_RR_SQL, rr)
                rr_ms.extend(v for _sid, _t, v in rr)
        markers = [(session_id, "lap", t) for t in activity.laps if start < t <= end]
        for paused, resumed in activity.pauses:
            markers.append((session_id, "pause", paused))
            if resumed is not None:
                markers.append((session_id, "resume", resumed))
        if markers:
            conn.exec_driver_sql(
                "INSERT INTO markers (session_id, kind, t_ms) VALUES (?, ?, ?)", markers
            )
    try:
        # Summarized from the samples just written, not read back (the same figures).
        store.finish_session(int(session_id), end, STATUS_FINISHED, committed=(samples, rr_ms))
    except BaseException:
        with store.engine.begin() as conn:  # nothing half-stored: the session goes again
            conn.exec_driver_sql("DELETE FROM sessions WHERE id = ?", (session_id,))
        raise
    from app.domain.lanes import columns_of  # numpy: only once a file is stored

    # Its pieces from the samples still in memory, for the summary's last `rev` (best effort).
    keep_track(store, int(session_id), lambda: columns_of(samples))
    return int(session_id)


def import_candidate(
    store: Store, athlete_id: int, c: Candidate, cancel: Callable[[], None] | None = None
) -> FileResult:
    """Read, check, de-duplicate and store one candidate."""
    if c.skip_reason:
        return FileResult(c.label, Outcome.SKIPPED, c.skip_reason)
    try:
        activity = read_candidate(c, cancel)
        if not activity.samples:
            raise InvalidActivity("no track points with a time: nothing to import")
    except ImportRefused as exc:
        return FileResult(c.label, Outcome.REFUSED, str(exc))
    n, rr = len(activity.samples), activity.rr_count
    dup = find_duplicate(store, athlete_id, activity.started_ms, activity.ended_ms)
    if dup is not None:
        return FileResult(
            c.label, Outcome.DUPLICATE, f"same activity as session {dup}", dup, n, rr,
            activity.format,
        )  # fmt: skip
    if cancel is not None:
        cancel()  # the last moment to stop before this file is written
    session_id = store_activity(store, athlete_id, activity, title=c.title, sport=c.sport)
    return FileResult(c.label, Outcome.IMPORTED, activity.notes, session_id, n, rr, activity.format)


def import_paths(
    store: Store,
    athlete_id: int,
    paths: Sequence[Path],
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> ImportReport:
    """Import every activity under `paths`; one bad file never stops the others.

    Progress counts files; Cancel stops between files or inside a long one (that file is then
    not stored, the ones before it are). Storage errors (disk full, locked) stop the import.
    """
    candidates = list(expand(list(paths)))
    return import_candidates(
        store, athlete_id, candidates, progress=progress, cancel=cancel, on_result=on_result
    )


def import_candidates(
    store: Store,
    athlete_id: int,
    candidates: Iterable[Candidate],
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> ImportReport:
    items = list(candidates)
    steps = Steps(len(items), progress, cancel)
    report = ImportReport()
    try:
        steps.start()
        for c in items:
            result = import_candidate(store, athlete_id, c, steps.check)
            report.results.append(result)
            if on_result is not None:
                on_result(result)
            steps.step()
        steps.finish()
    except Cancelled:
        report.cancelled = True
    return report
