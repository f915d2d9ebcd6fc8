"""What the lake holds of a session, as a short digest: a push job that ran on another digest is
stale and runs again (rewrite), a deleted session's job runs again to remove it.

The digest covers everything a session's objects carry that can change after it finished: the
session row (title, sport, notes, summary...), the athlete's name and lake id, and its strength
sets (`sets edit|delete`). Samples, RR intervals and laps are fixed once a session is finished.
It is computed in SQL for every session at once, so checking 5,000 sessions costs one query.

Its pause/resume markers (`MARKER_KINDS`) are fixed too, but count when the session has any:
a session pushed before the lake carried them gets a new digest, so the next push or
background enqueue rewrites it with its markers; a session without any keeps its digest and
is not pushed again for nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.store.repo import Store

from .schema import MARKER_KINDS
from .tables import SESSION_COLUMNS

_SET_ROW = (
    "coalesce(x.id, '') || ',' || coalesce(x.exercise_name, '') || ',' || coalesce(x.reps, '') "
    "|| ',' || coalesce(x.weight_kg, '') || ',' || coalesce(x.rpe, '') || ',' || "
    "coalesce(x.started_ms, '') || ',' || coalesce(x.ended_ms, '') || ',' || coalesce(x.is_pr, '')"
)
_MARKER_ROW = "k.kind || ',' || k.t_ms || ',' || coalesce(k.label, '')"
_MARKER_KINDS_SQL = ", ".join(repr(k) for k in MARKER_KINDS)
_SQL = (
    "SELECT s.id, s.deleted_ms IS NOT NULL, a.name, a.remote_ref, "
    f"{', '.join('s.' + c for c in SESSION_COLUMNS)}, "
    f"(SELECT group_concat({_SET_ROW}, ';') FROM exercise_sets x WHERE x.session_id = s.id), "
    f"(SELECT group_concat({_MARKER_ROW}, ';') FROM (SELECT * FROM markers k "
    f"WHERE k.session_id = s.id AND k.kind IN ({_MARKER_KINDS_SQL}) ORDER BY k.t_ms, k.id) k) "
    "FROM sessions s JOIN athletes a ON a.id = s.athlete_id"
)

#: Job results (see push.py) say what the job did last.
PUSHED, REMOVED = "pushed", "removed"


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A session's lake-relevant state: deleted or not, and the digest of what it holds."""

    deleted: bool
    digest: str


def fingerprints(store: Store, session_id: int | None = None) -> dict[int, Fingerprint]:
    """Fingerprint of every session (or of one), by local session id."""
    sql = _SQL if session_id is None else f"{_SQL} WHERE s.id = ?"
    args: tuple[int, ...] = () if session_id is None else (session_id,)
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(sql, args).all()
    out: dict[int, Fingerprint] = {}
    for row in rows:
        markers = row[-1]  # None without any: the digest of a session before markers travelled
        held = tuple(row[2:-1]) if markers is None else tuple(row[2:])
        digest = hashlib.sha256(repr(held).encode()).hexdigest()[:16]
        out[int(row[0])] = Fingerprint(bool(row[1]), digest)
    return out


def last_action(result: Mapping[str, Any] | None) -> str | None:
    """What a finished lake job did: 'pushed', 'removed', or None (it skipped or never ran)."""
    if not result:
        return None
    action = result.get("action")
    if action in (PUSHED, REMOVED):
        return str(action)
    return None if "skipped" in result else PUSHED  # results written before actions existed


def is_stale(result: Mapping[str, Any] | None, fp: Fingerprint) -> bool:
    """Whether a done job left the lake different from the session as it is now."""
    action = last_action(result)
    if fp.deleted:
        return action != REMOVED and result is not None and "skipped" not in result
    if action != PUSHED:
        return True  # removed (or skipped while deleted), and restored since
    recorded = result.get("fingerprint") if result else None
    # A push recorded before fingerprints existed is taken as current (`push --force`
    # rewrites it); every push since records one.
    return recorded is not None and recorded != fp.digest
