"""Athena / Glue DDL generated from the Arrow schemas, so the catalog can never drift.

Partitions are projected (Athena partition projection): Athena computes the partitions from
table properties instead of the catalog, so a session pushed a second ago is queryable at once
with no `MSCK REPAIR TABLE` or crawler run. `athlete_id` is `injected` (every query names the
athlete: `WHERE athlete_id = '...'`) or `enum` (the ids listed; a coach querying across clients
re-runs the DDL or `ALTER TABLE ... SET TBLPROPERTIES` when a client joins); `year` and `month`
are `integer` ranges (month zero-padded to two digits, as in the keys). DuckDB gets the same
types through `hive_types` (`duckdb_views`).
"""

from __future__ import annotations

import pyarrow as pa

from .layout import TOMBSTONES, normalize_prefix, safe_id
from .schema import ADDED_COLUMNS, MARKERS, PARTITION_SCHEMA, SCHEMA_VERSION, SCHEMAS

#: Years a projected table covers. Athena lists each projected partition a query does not
#: filter out, so the range is kept to what sessions can hold; `lake ddl --years` widens it.
DEFAULT_YEARS = (2010, 2050)
INJECTED, ENUM = "injected", "enum"

#: Arrow type -> Hive/Athena type. Timestamps are stored as Parquet INT64 TIMESTAMP(MILLIS,
#: UTC); Athena (engine v3) and Glue read them as `timestamp`. Dictionary-encoded strings are
#: plain `string` to the catalog: the dictionary is a Parquet encoding, not a type.
_SIMPLE: dict[pa.DataType, str] = {
    pa.bool_(): "boolean",
    pa.int8(): "tinyint",
    pa.int16(): "smallint",
    pa.int32(): "int",
    pa.int64(): "bigint",
    pa.float32(): "float",
    pa.float64(): "double",
    pa.string(): "string",
}


def hive_type(typ: pa.DataType) -> str:
    """The catalog type for an Arrow type used in our schemas."""
    if pa.types.is_dictionary(typ):
        return hive_type(typ.value_type)
    if pa.types.is_timestamp(typ):
        return "timestamp"
    try:
        return _SIMPLE[typ]
    except KeyError:
        raise ValueError(f"no catalog type for {typ}") from None


def _ident(name: str) -> str:
    return f"`{name}`"


def _projection(location: str, athlete_ids: list[str] | None, years: tuple[int, int]) -> list[str]:
    """TBLPROPERTIES lines for partition projection over our key layout."""
    if athlete_ids is None:
        athlete = ["'projection.athlete_id.type'='injected'"]
    else:
        ids = ",".join(safe_id(a, "athlete id") for a in athlete_ids)
        athlete = ["'projection.athlete_id.type'='enum'", f"'projection.athlete_id.values'='{ids}'"]
    return [
        "'projection.enabled'='true'",
        *athlete,
        "'projection.year.type'='integer'",
        f"'projection.year.range'='{years[0]},{years[1]}'",
        "'projection.year.digits'='4'",
        "'projection.month.type'='integer'",
        "'projection.month.range'='1,12'",
        "'projection.month.digits'='2'",
        "'storage.location.template'="
        f"'s3://{location}/athlete_id=${{athlete_id}}/year=${{year}}/month=${{month}}/'",
    ]


def create_table(
    table: str,
    bucket: str,
    prefix: str = "",
    database: str = "pulsedeck",
    *,
    athlete_ids: list[str] | None = None,
    years: tuple[int, int] = DEFAULT_YEARS,
) -> str:
    """One `CREATE EXTERNAL TABLE` for `table` at s3://bucket/prefix/table/, projected.

    `athlete_ids` None projects athlete_id as `injected`, a list as `enum` of those ids.
    """
    schema = SCHEMAS[table]
    cols = ",\n".join(f"  {_ident(f.name)} {hive_type(f.type)}" for f in schema)
    parts = ",\n".join(f"  {_ident(f.name)} {hive_type(f.type)}" for f in PARTITION_SCHEMA)
    location = "/".join(p for p in (bucket, normalize_prefix(prefix), table) if p)
    props = [
        "'parquet.compression'='ZSTD'",
        f"'pulsedeck.schema_version'='{SCHEMA_VERSION}'",
        *_projection(location, athlete_ids, years),
    ]
    body = ",\n".join(f"  {p}" for p in props)
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {_ident(database)}.{_ident(table)} (\n{cols}\n)\n"
        f"PARTITIONED BY (\n{parts}\n)\n"
        "STORED AS PARQUET\n"
        f"LOCATION 's3://{location}/'\n"
        f"TBLPROPERTIES (\n{body}\n);"
    )


def ddl(
    bucket: str,
    prefix: str = "",
    database: str = "pulsedeck",
    *,
    athlete_ids: list[str] | None = None,
    years: tuple[int, int] = DEFAULT_YEARS,
) -> str:
    """Every statement a user pastes into Athena, with notes for a Glue crawler."""
    if athlete_ids is None:
        who = "athlete_id is injected: every query needs WHERE athlete_id = '<id>'."
    else:
        who = "athlete_id is an enum of the ids below: re-run `lake ddl` when a client joins."
    header = [
        f"-- Pulsedeck lake, schema version {SCHEMA_VERSION}: Athena (engine v3) DDL.",
        "-- Layout: <prefix>/<table>/athlete_id=<id>/year=YYYY/month=MM/<session_id>.parquet",
        "-- Partition projection: new pushes are queryable at once, no MSCK REPAIR TABLE.",
        f"-- {who}",
        f"-- Deleted sessions leave the tables; their tombstones sit in <prefix>/{TOMBSTONES}/.",
        f"-- {MARKERS} came after version 2 (no bump: a new table): on a catalog made before it,",
        "-- run this again (IF NOT EXISTS creates it and leaves the other tables alone).",
        "-- Glue crawler instead (no projection): one crawler per table location, 'Create a",
        "-- single schema for each S3 path' on, exclude pattern '_*/**'; partition keys",
        "-- athlete_id, year, month. The crawler types year and month as string from the path",
        "-- unless the table exists first: create it with this DDL and let the crawler only",
        "-- add partitions ('Update all new and existing partitions with metadata from the",
        "-- table'), or skip crawlers: projection needs none.",
    ]
    out = ["\n".join(header), f"CREATE DATABASE IF NOT EXISTS {_ident(database)};"]
    for table in SCHEMAS:
        out.append(
            create_table(table, bucket, prefix, database, athlete_ids=athlete_ids, years=years)
        )
    out.extend(upgrade_notes(database))
    return "\n\n".join(out) + "\n"


def add_columns(database: str, version: int) -> list[str]:
    """`ALTER TABLE ... ADD COLUMNS` bringing tables of `version - 1` to `version`."""
    by_table: dict[str, list[str]] = {}
    for table, column in ADDED_COLUMNS.get(version, ()):
        typ = hive_type(SCHEMAS[table].field(column).type)
        by_table.setdefault(table, []).append(f"{_ident(column)} {typ}")
    return [
        f"ALTER TABLE {_ident(database)}.{_ident(table)} ADD COLUMNS ({', '.join(cols)});"
        for table, cols in by_table.items()
    ]


def upgrade_notes(database: str) -> list[str]:
    """Commented ALTER TABLEs for catalogs made by an older `lake ddl`.

    `CREATE ... IF NOT EXISTS` leaves an existing table as it was, so a column added to the
    schema stays invisible to Athena until it is added; older objects give NULL for it (Athena
    reads Parquet columns by name). Commented out: on a fresh catalog they would fail.
    """
    out = []
    for version in sorted(ADDED_COLUMNS):
        lines = [
            f"-- Tables made by schema version {version - 1} (`pulsedeck.schema_version` in",
            f"-- SHOW TBLPROPERTIES): run these once to reach version {version}.",
            *(f"-- {stmt}" for stmt in add_columns(database, version)),
        ]
        out.append("\n".join(lines))
    return out


#: DuckDB types of the partition columns: without them DuckDB guesses from the path, and an
#: athlete id of digits only would become a number (and `month=06` a string before 1.1).
_DUCKDB_TYPES = {"string": "VARCHAR", "int": "INTEGER"}


def duckdb_views(root: str) -> str:
    """`CREATE VIEW` per table over a lake (a local copy or s3://bucket/prefix), for DuckDB."""
    types = ", ".join(f"'{f.name}': {_DUCKDB_TYPES[hive_type(f.type)]}" for f in PARTITION_SCHEMA)
    base = root.rstrip("/")
    return (
        "\n".join(
            f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet("
            f"'{base}/{table}/*/*/*/*.parquet', hive_partitioning = true, "
            f"hive_types = {{{types}}}, union_by_name = true);"
            for table in SCHEMAS
        )
        + "\n"
    )
