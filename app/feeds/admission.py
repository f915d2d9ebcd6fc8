"""Cap the remote athletes one feed may add, so a hostile server cannot fill the database."""

from __future__ import annotations

import logging
from collections.abc import Collection

from app.store.settings import FEED_MAX_ATHLETES

log = logging.getLogger(__name__)

#: Remote athletes one feed may add (each is a local athlete, device and session for good),
#: unless the setting says otherwise: a hostile server cannot fill the database with them.
MAX_ATHLETES = FEED_MAX_ATHLETES.default or 300
#: Refused athlete ids remembered to count them once each (memory stays bounded beyond).
REFUSED_MEMORY = 10_000


class Admission:
    """Which remote athletes a feed records: known and named ones, new ones up to the cap."""

    def __init__(self, max_athletes: int, named: Collection[str]) -> None:
        self.max_athletes = max_athletes
        #: Remote athletes given a local name: always admitted (they still count).
        self.named = named
        #: Remote athletes this feed mapped in earlier runs (set when its client is made).
        self.known: set[str] = set()
        #: The feed's source key, for the log.
        self.source = ""
        self._admitted: set[str] = set()
        self._refused: set[str] = set()
        self.refused_athletes = 0
        #: Samples of refused athletes (the recorder counts them as it drops them).
        self.refused_samples = 0

    def admit(self, key: str) -> bool:
        """True for athletes this feed knows; new ones only while the feed is under its cap."""
        if key in self.known or key in self._admitted:
            return True
        if key in self.named or len(self.known) + len(self._admitted) < self.max_athletes:
            self._admitted.add(key)
            return True
        if key not in self._refused and len(self._refused) < REFUSED_MEMORY:
            self._refused.add(key)
            self.refused_athletes += 1
            count = self.refused_athletes
            if count & (count - 1) == 0:  # 1st, 2nd, 4th...: a flood of ids is not a log flood
                log.warning(
                    "feed %s: refused new remote athlete %s: the feed has %d athletes, the most "
                    "allowed (setting feeds.max_athletes); %d refused so far",
                    self.source,
                    key,
                    len(self.known) + len(self._admitted),
                    count,
                )
        return False
