"""Object keys: `<prefix>/<table>/athlete_id=<id>/year=YYYY/month=MM/<session_id>.parquet`.

One object per session per table, named by the session's stable uid, so pushing a session
again overwrites the same keys and can never duplicate rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

#: Athlete ids and session uids go into object keys and Hive partition values unescaped.
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_KEY = re.compile(
    r"(?:^|/)(?P<table>[a-z_]+)/athlete_id=(?P<athlete>[^/]+)/year=(?P<year>\d{4})/"
    r"month=(?P<month>\d{2})/(?P<session>[^/]+)\.parquet$"
)


class BadKey(ValueError):
    """A value that cannot be used safely in an object key."""


def safe_id(value: str, what: str) -> str:
    """`value` if it is a safe path segment (letters, digits, `_ . -`), else BadKey."""
    if not _SAFE.match(value) or value in {".", ".."}:
        raise BadKey(f"{what} {value!r} is not usable in an object key (letters, digits, _.-)")
    return value


def normalize_prefix(prefix: str | None) -> str:
    """Prefix without leading/trailing slashes ('' for the bucket root)."""
    return (prefix or "").strip("/")


def partition_dir(prefix: str | None, table: str, athlete_id: str, started_ms: int) -> str:
    """The Hive partition directory (no trailing slash) a session's object goes in."""
    dt = datetime.fromtimestamp(started_ms / 1000, UTC)
    parts = [
        normalize_prefix(prefix),
        table,
        f"athlete_id={safe_id(athlete_id, 'athlete id')}",
        f"year={dt.year:04d}",
        f"month={dt.month:02d}",
    ]
    return "/".join(p for p in parts if p)


def object_key(
    prefix: str | None, table: str, athlete_id: str, started_ms: int, session_uid: str
) -> str:
    """The key of one session's object in one table."""
    name = safe_id(session_uid, "session id")
    return f"{partition_dir(prefix, table, athlete_id, started_ms)}/{name}.parquet"


def table_prefix(prefix: str | None, table: str, athlete_id: str | None = None) -> str:
    """Listing prefix for a table, or for one athlete's partitions of it (ends with '/')."""
    parts = [normalize_prefix(prefix), table]
    if athlete_id is not None:
        parts.append(f"athlete_id={safe_id(athlete_id, 'athlete id')}")
    return "/".join(p for p in parts if p) + "/"


@dataclass(frozen=True, slots=True)
class ParsedKey:
    table: str
    athlete_id: str
    year: int
    month: int
    session_uid: str


def parse_key(key: str) -> ParsedKey | None:
    """The parts of one of our object keys, or None for anything else."""
    match = _KEY.search(key)
    if match is None:
        return None
    return ParsedKey(
        match["table"],
        match["athlete"],
        int(match["year"]),
        int(match["month"]),
        match["session"],
    )


#: Deletions live beside the tables, not inside one: Athena, Glue crawlers and Hive-style
#: readers pointed at `<prefix>/<table>/` never see them (and `_` marks a hidden directory).
TOMBSTONES = "_deleted"


def tombstone_prefix(prefix: str | None, athlete_id: str | None = None) -> str:
    """Listing prefix of every tombstone, or of one athlete's (ends with '/')."""
    return table_prefix(prefix, TOMBSTONES, athlete_id)


def tombstone_key(prefix: str | None, athlete_id: str, session_uid: str) -> str:
    """`<prefix>/_deleted/athlete_id=<id>/<session_uid>.json`: the session was deleted."""
    name = safe_id(session_uid, "session id")
    return f"{tombstone_prefix(prefix, athlete_id)}{name}.json"


def tombstone_uid(key: str) -> str | None:
    """The session uid a tombstone key names, or None for anything else."""
    name = key.rsplit("/", 1)[-1]
    if f"/{TOMBSTONES}/" not in f"/{key}" or not name.endswith(".json"):
        return None
    uid = name.removesuffix(".json")
    return uid if _SAFE.match(uid) else None
