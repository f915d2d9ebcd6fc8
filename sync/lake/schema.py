"""The lake's Arrow schemas, declared once: Parquet writer, DDL and pull all read them.

Partition columns (athlete_id, year, month) live in the object path, never in the files, as
Athena/Glue, Trino, Spark and pyarrow.dataset expect for Hive-style partitions.
"""

from __future__ import annotations

import pyarrow as pa

#: Bumped whenever a column is added, removed or retyped; stored in every file's metadata.
#: 2: samples.temperature (°C). A new table is not a bump: a reader that does not know it
#: never lists nor reads its objects (the pull lists `sessions` and fetches by key the tables
#: it knows), and bumping would make every build that reads up to 2 refuse every object.
SCHEMA_VERSION = 2
META_SCHEMA_VERSION = b"pulsedeck.schema_version"
META_TABLE = b"pulsedeck.table"

TS = pa.timestamp("ms", tz="UTC")
DICT_STR = pa.dictionary(pa.int32(), pa.string())

SESSIONS = "sessions"
SAMPLES = "samples"
RR_INTERVALS = "rr_intervals"
SETS = "sets"
LAPS = "laps"
#: Added after version 2 as a table of its own (see SCHEMA_VERSION): a pull finding no
#: `markers` object (pushed by an older build) takes the session as having none.
MARKERS = "markers"
#: The marker kinds that travel in `markers`: those the figures depend on (paused time is
#: left out of moving time, days, trends and zone minutes). Lap markers travel as `laps`.
MARKER_KINDS: tuple[str, ...] = ("pause", "resume")
#: Columns added since version 1, by the version that added them: an older object lacks them
#: (read back as nulls, `with_added_columns`) and an existing catalog table needs them added
#: (`lake ddl` prints the ALTER TABLE).
ADDED_COLUMNS: dict[int, tuple[tuple[str, str], ...]] = {
    2: ((SAMPLES, "temperature"),),
}
#: Upload order: the `sessions` object goes last, so a reader that finds a session row can
#: rely on the other tables of that session being present already.
TABLES: tuple[str, ...] = (SAMPLES, RR_INTERVALS, SETS, LAPS, MARKERS, SESSIONS)


def _f(name: str, typ: pa.DataType, nullable: bool = True) -> pa.Field:
    return pa.field(name, typ, nullable=nullable)


_SESSION_FIELDS = [
    _f("session_id", pa.string(), False),
    _f("athlete_name", DICT_STR),
    _f("sport", DICT_STR, False),
    _f("title", pa.string()),
    _f("source", DICT_STR, False),
    _f("status", DICT_STR, False),
    _f("started_at", TS, False),
    _f("ended_at", TS),
    _f("timezone", DICT_STR),
    _f("notes", pa.string()),
    _f("duration_s", pa.float64()),
    _f("moving_s", pa.float64()),
    _f("sample_count", pa.int32()),
    _f("avg_hr", pa.float64()),
    _f("max_hr", pa.int16()),
    _f("zone1_s", pa.float64()),
    _f("zone2_s", pa.float64()),
    _f("zone3_s", pa.float64()),
    _f("zone4_s", pa.float64()),
    _f("zone5_s", pa.float64()),
    _f("kcal", pa.float64()),
    _f("kcal_method", DICT_STR),
    _f("trimp", pa.float64()),
    _f("avg_cadence", pa.float64()),
    _f("max_cadence", pa.float64()),
    _f("avg_power", pa.float64()),
    _f("max_power", pa.float64()),
    _f("avg_speed", pa.float64()),
    _f("max_speed", pa.float64()),
    _f("distance_m", pa.float64()),
    _f("steps", pa.int64()),
    _f("rr_count", pa.int32()),
    _f("rmssd_ms", pa.float64()),
]

_SAMPLE_FIELDS = [
    _f("session_id", DICT_STR, False),
    _f("t", TS, False),
    _f("device", DICT_STR),
    _f("hr", pa.int16()),
    _f("cadence", pa.float64()),
    _f("speed", pa.float64()),
    _f("power", pa.float64()),
    _f("distance", pa.float64()),
    _f("lat", pa.float64()),
    _f("lon", pa.float64()),
    _f("altitude", pa.float64()),
    _f("steps", pa.int64()),
    _f("met", pa.float64()),
    _f("received_at", TS),
    # Added in schema version 2: last, so a reader that goes by position sees the old ones
    # unmoved (Athena reads Parquet by name; older objects give NULL).
    _f("temperature", pa.float64()),
]

_RR_FIELDS = [
    _f("session_id", DICT_STR, False),
    _f("t", TS, False),
    _f("rr_ms", pa.float64(), False),
]

_SET_FIELDS = [
    _f("session_id", DICT_STR, False),
    _f("set_index", pa.int32(), False),
    _f("exercise_name", DICT_STR, False),
    _f("reps", pa.int32()),
    _f("weight_kg", pa.float64()),
    _f("rpe", pa.float64()),
    _f("started_at", TS, False),
    _f("ended_at", TS),
    _f("avg_hr", pa.float64()),
    _f("max_hr", pa.int16()),
    _f("hr_recovery", pa.float64()),
    _f("e1rm_kg", pa.float64()),
    _f("is_pr", pa.bool_(), False),
]

_LAP_FIELDS = [
    _f("session_id", DICT_STR, False),
    _f("lap_index", pa.int32(), False),
    _f("started_at", TS, False),
    _f("ended_at", TS, False),
    _f("duration_s", pa.float64(), False),
    _f("label", pa.string()),
    _f("avg_hr", pa.float64()),
    _f("max_hr", pa.int16()),
    _f("distance_m", pa.float64()),
]

_MARKER_FIELDS = [
    _f("session_id", DICT_STR, False),
    _f("t", TS, False),
    _f("kind", DICT_STR, False),
    _f("label", pa.string()),
]


def _schema(table: str, fields: list[pa.Field]) -> pa.Schema:
    return pa.schema(
        fields,
        metadata={META_SCHEMA_VERSION: str(SCHEMA_VERSION).encode(), META_TABLE: table.encode()},
    )


SCHEMAS: dict[str, pa.Schema] = {
    SESSIONS: _schema(SESSIONS, _SESSION_FIELDS),
    SAMPLES: _schema(SAMPLES, _SAMPLE_FIELDS),
    RR_INTERVALS: _schema(RR_INTERVALS, _RR_FIELDS),
    SETS: _schema(SETS, _SET_FIELDS),
    LAPS: _schema(LAPS, _LAP_FIELDS),
    MARKERS: _schema(MARKERS, _MARKER_FIELDS),
}

#: Hive partition columns, in path order, with their Arrow types (for pyarrow.dataset).
PARTITION_SCHEMA = pa.schema(
    [
        pa.field("athlete_id", pa.string()),
        pa.field("year", pa.int32()),
        pa.field("month", pa.int32()),
    ]
)


class SchemaMismatch(ValueError):
    """A Parquet file that is not one of ours, or from a newer schema version."""


def check_file_schema(table: str, schema: pa.Schema) -> int:
    """Refuse files of another table or a newer schema version than this build knows.

    Returns the file's schema version.
    """
    meta = schema.metadata or {}
    name = meta.get(META_TABLE)
    version = meta.get(META_SCHEMA_VERSION)
    if name != table.encode():
        raise SchemaMismatch(f"file holds table {name!r}, expected {table!r}")
    try:
        v = int(version or b"")
    except ValueError:
        raise SchemaMismatch(f"file has no usable schema version ({version!r})") from None
    if v > SCHEMA_VERSION:
        raise SchemaMismatch(
            f"{table} file has schema version {v}; this Pulsedeck reads up to {SCHEMA_VERSION}"
        )
    return v


def with_added_columns(table_name: str, version: int, table: pa.Table) -> pa.Table:
    """An object of an older schema version with the columns added since it, as nulls.

    A column missing that its version should have means the object is not one of ours.
    """
    later = {
        c for v, cols in ADDED_COLUMNS.items() if v > version for t, c in cols if t == table_name
    }
    for f in SCHEMAS[table_name]:
        if f.name in table.column_names:
            continue
        if f.name not in later:
            raise SchemaMismatch(f"{table_name} file (schema version {version}) has no {f.name}")
        table = table.append_column(f, pa.nulls(table.num_rows, f.type))
    return table
