"""The coach's desk for the app: the roster, the lake pull (by hand or on a schedule), lake ids.

Blocking calls for the bridge's worker threads; no Qt here. The rows come from
app.services.roster (the same as `pulsedeck clients`), the pull from sync.lake.pull.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.store import settings as st

if TYPE_CHECKING:
    from app.services.roster import RosterRow
    from app.store.repo import Store
    from sync.lake.identity import LakeIdentity
    from sync.lake.pull import PullReport
    from sync.progress import CancelCheck


#: What the pull's progress says while it stores the pulled clients' roster and trends.
FIGURES = "computing the clients' figures"


class PullBusy(RuntimeError):
    """A pull is already running (by hand or on the schedule); this one did not start."""

    def __init__(self) -> None:
        super().__init__("a pull from the lake is already running")


@dataclass(frozen=True, slots=True)
class CoachState:
    """What the Roster screen shows besides the rows: the lake and the pull schedule."""

    lake: str | None  # s3://bucket/prefix, None when no lake is configured
    pull_hours: int | None  # scheduled pull every N hours; None: off


class CoachService:
    """Roster rows, pulls that never overlap, and this machine's athletes' lake ids."""

    def __init__(self, store: Store, settings: st.Settings | None = None) -> None:
        self.store = store
        self.settings = settings or st.Settings(store)
        self._pulling = threading.Lock()

    def roster(self) -> list[RosterRow]:
        """One row per pulled client, by name (app.services.roster)."""
        from app.services.roster import roster

        return roster(self.store)

    def state(self) -> CoachState:
        """Where the lake is and how often it is pulled."""
        from sync.lake.config import LakeNotConfigured, resolve_config

        try:
            lake: str | None = resolve_config(self.store).location()
        except LakeNotConfigured:
            lake = None
        return CoachState(lake, self.settings.get(st.LAKE_PULL_INTERVAL_H))

    def pull(
        self, *, progress: Callable[..., None] | None = None, cancel: CancelCheck | None = None
    ) -> PullReport:
        """Pull every client in the lake, then store their figures; PullBusy when one runs.

        `progress(done, total)` counts the clients pulled, then `progress(done, total, label)`
        the clients whose figures are computed (the task bar, app.ui.tasks, shows the label).
        """
        from app.services.roster import warm_after_pull
        from sync.lake.config import resolve_config
        from sync.lake.pull import pull
        from sync.lake.s3 import LakeClient

        if not self._pulling.acquire(blocking=False):
            raise PullBusy()
        try:
            config = resolve_config(self.store)
            report = pull(self.store, LakeClient(config), None, progress=progress, cancel=cancel)

            def figures(done: int, total: int) -> None:
                if progress is not None:
                    progress(done, total, f"{FIGURES}: {done:,} of {total:,} clients")

            warm_after_pull(self.store, report, progress=figures, cancel=cancel)
            return report
        finally:
            self._pulling.release()

    def scheduled_pull(self, cancel: CancelCheck | None = None) -> int | None:
        """The schedule's pull: sessions changed; None when skipped (no lake, one running)."""
        from sync.lake.config import LakeNotConfigured

        try:
            report = self.pull(cancel=cancel)
        except (PullBusy, LakeNotConfigured):
            return None
        return report.imported + report.replaced + report.removed

    def identities(self) -> list[LakeIdentity]:
        """This machine's athletes and their lake ids (Settings), yourself first."""
        from sync.lake.identity import lake_identities

        return lake_identities(self.store)

    def lake_id(self, athlete_id: int) -> str | None:
        """The athlete's lake id (a client's too); None until the first push or set."""
        from sync.lake.identity import lake_id

        return lake_id(self.store, athlete_id)

    def set_lake_id(self, athlete_id: int, ref: str) -> str:
        """Give one of this machine's athletes lake id `ref` (ValueError says why not)."""
        from sync.lake.push import set_athlete_ref

        return set_athlete_ref(self.store, athlete_id, ref.strip())
