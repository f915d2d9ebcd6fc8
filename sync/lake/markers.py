"""A session's markers in the lake: which kinds travel is `schema.MARKER_KINDS`, declared once.

Push writes them as the `markers` object (tables.py); the pull reads that object back, compares
it with the coach's copy and writes it in the session's transaction (pull.py). A session
pushed by a build older than the object has none: its objects still pull, with no markers.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.store import models as m

from .s3 import LakeClient, NotFound
from .schema import MARKER_KINDS, MARKERS, SchemaMismatch
from .writer import read_parquet_bytes

#: (kind, t_ms, label) of one marker that travels.
MarkerRow = tuple[str, int, str | None]
#: `markers.label` in the store (String(200)): lake data is not trusted to fit.
_LABEL_MAX = 200


def read_markers(client: LakeClient, key: str) -> pa.Table | None:
    """A session's `markers` object, or None when there is none (pushed by an older build)."""
    try:
        return read_parquet_bytes(MARKERS, client.get(key))
    except NotFound:
        return None


def lake_markers(markers: pa.Table | None) -> list[MarkerRow]:
    """The markers of a `markers` object that travel, in time order (None: no markers).

    Kinds this build does not let travel are left out, so a newer build may send more.
    """
    if markers is None:
        return []
    kinds = pc.cast(markers.column("kind"), pa.string()).to_pylist()
    times = pc.cast(markers.column("t"), pa.int64()).to_pylist()
    labels = markers.column("label").to_pylist()
    out: list[MarkerRow] = []
    for kind, t, label in zip(kinds, times, labels, strict=True):
        if kind not in MARKER_KINDS:
            continue
        if not isinstance(t, int):
            raise SchemaMismatch(f"markers: t is {t!r}, not a time")
        out.append((str(kind), t, None if label is None else str(label)[:_LABEL_MAX]))
    return sorted(out, key=lambda mk: mk[1])  # stable: ties keep their written order


def local_markers(s: OrmSession, session_id: int) -> list[MarkerRow]:
    """The stored markers of a session that travel, in the order `lake_markers` gives."""
    rows = s.execute(
        select(m.Marker.kind, m.Marker.t_ms, m.Marker.label)
        .where(m.Marker.session_id == session_id, m.Marker.kind.in_(MARKER_KINDS))
        .order_by(m.Marker.t_ms, m.Marker.id)
    ).all()
    return [(k, t, label) for k, t, label in rows]


def add_markers(s: OrmSession, session_id: int, markers: list[MarkerRow]) -> None:
    """Write a pulled session's markers (inside its transaction, before its track is made)."""
    for kind, t_ms, label in markers:
        s.add(m.Marker(session_id=session_id, kind=kind, t_ms=t_ms, label=label))
