"""Exports: one session as a file, everything about an athlete as a zip, the lake push.

Each runs in a worker thread, reports progress and stops on cancel (sync.progress); a
cancelled export leaves no file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.store.repo import Store
    from sync.lake.push import PushReport
    from sync.progress import CancelCheck, Progress


class ExportService:
    """Files out of the store (sync.exports) and the data lake (sync.lake)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def session(
        self,
        session_id: int,
        fmt: str,
        path: Path,
        *,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
        replace: bool = True,
        on_note: Callable[[str], None] | None = None,
    ) -> Path:
        """Write the session as GPX/TCX/CSV/Parquet/XLSX/FIT (sync.exports); atomic, cancellable.

        `replace`: the save dialog has already asked before replacing an existing file (the
        CLI asks for --force instead); device nodes, FIFOs and links are refused either way.
        `on_note` hears what the format could not hold (GPX: points without a position).
        """
        from sync.exports.session import export_session

        return export_session(
            self.store, session_id, fmt, path, progress=progress, cancel=cancel, force=replace,
            on_note=on_note,
        )  # fmt: skip

    def everything(
        self,
        athlete_id: int,
        path: Path,
        *,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
        replace: bool = True,
    ) -> Path:
        """Everything about the athlete as a zip (GDPR access request); atomic, cancellable.

        `replace` as for `session`: the save dialog already confirmed a replacement.
        """
        from sync.exports.gdpr import export_all

        report = export_all(
            self.store, athlete_id, path, progress=progress, cancel=cancel, force=replace
        )
        return report.path

    def lake_destination(self) -> str | None:
        """Where "Push to data lake" goes (s3://bucket/prefix), or None when not configured."""
        from sync.lake.config import LakeNotConfigured, resolve_config

        try:
            return resolve_config(self.store).location()
        except LakeNotConfigured:
            return None

    def push_lake(
        self,
        athlete_id: int,
        *,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
    ) -> PushReport:
        """Queue the athlete's finished sessions for the lake and push them, session by session.

        Runs its own event loop in the worker thread: the uploads and outbox writes never
        occupy the caller's loop (the recorder's). A cancel stops between sessions.
        """
        from sync.lake.config import resolve_config
        from sync.lake.push import push
        from sync.outbox import Outbox

        config = resolve_config(self.store)
        return asyncio.run(
            push(
                self.store, Outbox(self.store), config,
                athlete_id=athlete_id, progress=progress, cancel=cancel,
            )
        )  # fmt: skip
