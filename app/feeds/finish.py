"""End a feed run: stop every athlete's recording, save the last cursors, report what was kept."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.domain.summary import SessionSummary
from app.recorder.recording import RecordingStopped
from app.store.errors import DatabaseUnavailable
from app.store.repo import STATUS_FINISHED, STATUS_RECOVERED, Store, now_ms
from device.feeds.client import FeedClient

from .athlete import LiveAthlete
from .cursor_saver import CursorSaver
from .cursors import Cursor
from .report import ATHLETE_CAP, AthleteResult, FeedReport
from .storage_watch import StorageWatch
from .writer import GroupWriter


@dataclass(frozen=True, slots=True)
class Closed:
    """What stopping the recordings left: sessions to show, samples kept, cursors to save."""

    results: tuple[AthleteResult, ...]
    stored: int
    #: Each kept session's last sample, saved in one transaction once every session is finished.
    cursors: tuple[Cursor, ...]


async def finish_run(
    athletes: Iterable[LiveAthlete],
    client: FeedClient,
    *,
    store: Store,
    writer: GroupWriter,
    storage: StorageWatch,
    saver: CursorSaver,
    refused_athletes: int,
    refused_samples: int,
) -> FeedReport:
    """Stop every recording, save the final cursors and report; the writer is closed after."""
    try:
        closed = await close_recordings(athletes, client.offsets.all(), store, writer, storage)
        await saver.save(closed.cursors)
        return feed_report(saver.source, client, closed, refused_athletes, refused_samples)
    finally:
        await asyncio.to_thread(writer.close)


async def close_recordings(
    athletes: Iterable[LiveAthlete],
    offsets: Mapping[str, int],
    store: Store,
    writer: GroupWriter,
    storage: StorageWatch,
) -> Closed:
    """Stop each recording: finished, or recovered once storage failed; silent ones deleted."""
    results = []
    stored = 0
    final: list[Cursor] = []
    for live in athletes:
        # After a storage failure every session is closed as recovered (rows may be lost).
        status = STATUS_FINISHED if storage.failure is None else STATUS_RECOVERED
        if writer.failure is not None:  # its rows may all be lost: maybe nothing kept
            live.recording.storage_failed(writer.failure)
        try:
            summary: SessionSummary | None = await live.recording.stop(status)
        except RecordingStopped as exc:  # kept what was committed, closed as recovered
            storage.check(exc.__cause__ or exc)
            summary = None
        storage.settle()
        if storage.failure is not None:
            committed = writer.committed(live.recording.session_id)
            if committed == 0:
                continue  # removed, or left for recovery: nothing of it to show
            stored += committed
            results.append(_result(live, summary))
            continue
        if live.recording.stats.received == 0:
            # Announced but silent: no session to show for it (soft-deleted).
            await asyncio.to_thread(
                writer.locked, store.set_deleted, live.recording.session_id, now_ms()
            )
            continue
        stored += live.recording.stats.stored
        if live.last_t is not None:
            final.append(
                Cursor(live.remote, live.athlete_id, live.last_t, offsets.get(live.remote))
            )
        results.append(_result(live, summary))
    return Closed(tuple(results), stored, tuple(final))


def _result(live: LiveAthlete, summary: SessionSummary | None) -> AthleteResult:
    return AthleteResult(
        live.remote, live.athlete_id, live.athlete_name, live.recording.session_id, summary
    )


def feed_report(
    source: str,
    client: FeedClient,
    closed: Closed,
    refused_athletes: int,
    refused_samples: int,
) -> FeedReport:
    """The run's report: the kept sessions and the client's counters, refusals included."""
    stats = client.stats
    rejected = dict(stats.rejected)
    if refused_samples:
        rejected[ATHLETE_CAP] = refused_samples
    return FeedReport(
        source=source,
        athletes=closed.results,
        accepted=stats.accepted,
        stored=closed.stored,
        duplicates=stats.duplicates,
        rejected=rejected,
        no_reading=stats.no_reading,
        connects=stats.connects,
        disconnects=stats.disconnects,
        gaps=tuple(stats.gaps),
        ended=client.ended,
        last_error=stats.last_error,
        refused_athletes=refused_athletes,
    )


def stopped_message(
    failure: DatabaseUnavailable,
    report: FeedReport,
    athletes: Iterable[LiveAthlete],
    writer: GroupWriter,
) -> str:
    """One line for the user: why, what was kept, what was lost, where the sessions are."""
    lost = 0
    for live in athletes:
        stats = live.recording.stats
        lost += max(
            0,
            stats.received - stats.rejected - writer.committed(live.recording.session_id),
        )
    sessions = len(report.athletes)
    return (
        f"{failure}: recording stopped; {report.stored} samples kept, {lost} not stored; "
        f"{sessions} session{'s' if sessions != 1 else ''} closed as recovered"
    )
