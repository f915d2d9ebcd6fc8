"""Build one session's Arrow tables from the local store.

The samples and RR rows (nearly all of a push) go from SQLite's cursor straight into one Arrow
struct array, converted in C: no SQLAlchemy Row per sample, no Python column lists (that path
ran at 0.2 M samples/s; benchmarks/lake.py prints today's figure).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from app.store.repo import Store

from .schema import (
    LAPS,
    MARKER_KINDS,
    MARKERS,
    RR_INTERVALS,
    SAMPLES,
    SCHEMAS,
    SESSIONS,
    SETS,
)

#: Columns read from `samples` for the lake, in schema order after session_id.
SAMPLE_SQL = (
    "SELECT s.t_ms, d.address, s.hr, s.cadence, s.speed, s.power, s.distance, s.lat, s.lon, "
    "s.altitude, s.steps, s.met, s.received_ms, s.temperature FROM samples s "
    "LEFT JOIN devices d ON d.id = s.device_id WHERE s.session_id = ? ORDER BY s.t_ms, s.id"
)
RR_SQL = "SELECT t_ms, rr_ms FROM rr_intervals WHERE session_id = ? ORDER BY t_ms, id"
_SET_SQL = (
    "SELECT exercise_name, reps, weight_kg, rpe, started_ms, ended_ms, avg_hr, max_hr, "
    "hr_recovery, e1rm_kg, is_pr FROM exercise_sets WHERE session_id = ? ORDER BY started_ms, id"
)
_LAP_SQL = "SELECT t_ms, label FROM markers WHERE session_id = ? AND kind = 'lap' ORDER BY t_ms, id"
#: The markers of the kinds that travel (`MARKER_KINDS`), as lake `markers` rows.
MARKER_SQL = (
    "SELECT t_ms, kind, label FROM markers WHERE session_id = ? "
    f"AND kind IN ({', '.join(repr(k) for k in MARKER_KINDS)}) ORDER BY t_ms, id"
)
SESSION_COLUMNS = (
    "uid", "sport", "title", "source", "status", "started_ms", "ended_ms", "timezone", "notes",
    "duration_s", "moving_s", "sample_count", "avg_hr", "max_hr", "zone1_s", "zone2_s",
    "zone3_s", "zone4_s", "zone5_s", "kcal", "kcal_method", "trimp", "avg_cadence",
    "max_cadence", "avg_power", "max_power", "avg_speed", "max_speed", "distance_m", "steps",
    "rr_count", "rmssd_ms",
)  # fmt: skip
_SESSION_SQL = (
    f"SELECT a.name, a.remote_ref, {', '.join('s.' + c for c in SESSION_COLUMNS)} "
    "FROM sessions s JOIN athletes a ON a.id = s.athlete_id WHERE s.id = ?"
)


@dataclass(frozen=True, slots=True)
class SessionTables:
    """Everything the lake holds for one session, plus what its object keys need."""

    session_uid: str
    athlete_local_id: int
    athlete_ref: str | None
    started_ms: int
    tables: dict[str, pa.Table]


def _constant(value: str, n: int) -> pa.DictionaryArray:
    """A dictionary column holding one value n times (one dictionary entry, int32 indices)."""
    return pa.DictionaryArray.from_arrays(
        pa.array([0] * n, pa.int32()) if n else pa.array([], pa.int32()), pa.array([value])
    )


def _column(values: Sequence[object], typ: pa.DataType) -> pa.Array:
    if pa.types.is_dictionary(typ):
        return pa.array(values, pa.string()).dictionary_encode()
    return pa.array(values, typ)


def build_table(
    name: str, session_uid: str | None, columns: Sequence[Sequence[object]]
) -> pa.Table:
    """A table of `SCHEMAS[name]` from column lists (session_id filled in when given)."""
    schema = SCHEMAS[name]
    fields = list(schema)
    arrays: list[pa.Array] = []
    if session_uid is not None:
        n = len(columns[0]) if columns else 0
        first = fields[0].type
        arrays.append(
            _constant(session_uid, n)
            if pa.types.is_dictionary(first)
            else pa.array([session_uid] * n, first)
        )
        fields_rest = fields[1:]
    else:
        fields_rest = fields
    if len(columns) != len(fields_rest):
        raise ValueError(f"{name}: {len(columns)} columns for {len(fields_rest)} fields")
    arrays.extend(_column(col, f.type) for col, f in zip(columns, fields_rest, strict=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def _columns(rows: Sequence[Sequence[object]], width: int) -> list[Sequence[object]]:
    if not rows:
        return [[] for _ in range(width)]
    return [list(c) for c in zip(*rows, strict=True)]


def _plain(typ: pa.DataType) -> pa.DataType:
    """The type a SQLite value converts to before it takes its lake type (dictionary)."""
    return pa.string() if pa.types.is_dictionary(typ) else typ


def rows_table(name: str, session_uid: str, rows: Sequence[Sequence[object]]) -> pa.Table:
    """Rows of every field after session_id as `SCHEMAS[name]`, converted in one C pass."""
    schema = SCHEMAS[name]
    fields = list(schema)[1:]
    struct = pa.array(
        rows, pa.struct([pa.field(f.name, _plain(f.type), f.nullable) for f in fields])
    )
    arrays: list[pa.Array] = [_constant(session_uid, len(rows))]
    for f, col in zip(fields, struct.flatten(), strict=True):
        arrays.append(col.dictionary_encode() if pa.types.is_dictionary(f.type) else col)
    return pa.Table.from_arrays(arrays, schema=schema)


def samples_table(session_uid: str, rows: Sequence[Sequence[object]]) -> pa.Table:
    """Sample rows (t_ms, device, channels..., received_ms, temperature) as lake `samples`."""
    return rows_table(SAMPLES, session_uid, rows)


def laps_table(
    session_uid: str,
    started_ms: int,
    ended_ms: int,
    lap_markers: Sequence[tuple[int, str | None]],
    samples: pa.Table,
) -> pa.Table:
    """Laps between the session start, each lap marker and the end; stats from the samples.

    A lap marker closes the lap running at that instant (its label names that lap); the last
    lap runs to the end of the session.
    """
    bounds: list[tuple[int, int, str | None]] = []
    start = started_ms
    for t_ms, label in lap_markers:
        t = min(max(t_ms, start), max(ended_ms, start))
        bounds.append((start, t, label))
        start = t
    bounds.append((start, max(ended_ms, start), None))
    t = samples.column("t").cast(pa.int64())
    hr = samples.column("hr")
    dist = samples.column("distance")
    cols: list[list[object]] = [[] for _ in range(8)]
    for i, (a, b, label) in enumerate(bounds):
        last = i == len(bounds) - 1
        upper = pc.less_equal(t, b) if last else pc.less(t, b)
        mask = pc.and_(pc.greater_equal(t, a), upper)
        lap_hr = pc.filter(hr, mask)
        lap_dist = pc.drop_null(pc.filter(dist, mask))
        avg = pc.mean(lap_hr).as_py()
        cols[0].append(i)
        cols[1].append(a)
        cols[2].append(b)
        cols[3].append((b - a) / 1000.0)
        cols[4].append(label)
        cols[5].append(None if avg is None else float(avg))
        cols[6].append(pc.max(lap_hr).as_py())
        cols[7].append(float(lap_dist[-1].as_py() - lap_dist[0].as_py()) if len(lap_dist) else None)
    return build_table(LAPS, session_uid, cols)


def session_tables(store: Store, session_id: int) -> SessionTables:
    """Read one session and its children from SQLite as the lake tables (`TABLES`)."""
    with store.engine.connect() as conn:
        head = conn.exec_driver_sql(_SESSION_SQL, (session_id,)).first()
        if head is None:
            raise LookupError(f"no session {session_id}")
        athlete_id = conn.exec_driver_sql(
            "SELECT athlete_id FROM sessions WHERE id = ?", (session_id,)
        ).scalar_one()
        raw = conn.connection.driver_connection  # sqlite3: plain tuples, no Row objects
        assert raw is not None
        sample_rows = raw.execute(SAMPLE_SQL, (session_id,)).fetchall()
        rr_rows = raw.execute(RR_SQL, (session_id,)).fetchall()
        set_rows = conn.exec_driver_sql(_SET_SQL, (session_id,)).all()
        lap_rows = conn.exec_driver_sql(_LAP_SQL, (session_id,)).all()
        marker_rows = raw.execute(MARKER_SQL, (session_id,)).fetchall()
    athlete_name, athlete_ref, uid = head[0], head[1], head[2]
    values = dict(zip(SESSION_COLUMNS, head[2:], strict=True))
    started, ended = values["started_ms"], values["ended_ms"]
    session_cols = [[athlete_name]] + [[values[c]] for c in SESSION_COLUMNS[1:]]
    sessions = build_table(SESSIONS, uid, session_cols)
    samples = samples_table(uid, sample_rows)
    sets = [(i, *r) for i, r in enumerate(set_rows)]
    tables = {
        SAMPLES: samples,
        RR_INTERVALS: rows_table(RR_INTERVALS, uid, rr_rows),
        SETS: build_table(
            SETS, uid, _columns([(*r[:-1], bool(r[-1])) for r in sets], len(SCHEMAS[SETS]) - 1)
        ),
        LAPS: laps_table(
            uid, started, ended if ended is not None else started, list(lap_rows), samples
        ),
        MARKERS: rows_table(MARKERS, uid, marker_rows),
        SESSIONS: sessions,
    }
    return SessionTables(uid, athlete_id, athlete_ref, started, tables)
