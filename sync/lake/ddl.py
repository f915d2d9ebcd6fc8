"""Athena / Glue DDL generated from the Arrow schemas, so the catalog can never drift."""

from __future__ import annotations

import pyarrow as pa

from .layout import normalize_prefix
from .schema import PARTITION_SCHEMA, SCHEMA_VERSION, SCHEMAS

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


def create_table(table: str, bucket: str, prefix: str = "", database: str = "pulsedeck") -> str:
    """One `CREATE EXTERNAL TABLE` for `table` at s3://bucket/prefix/table/."""
    schema = SCHEMAS[table]
    cols = ",\n".join(f"  {_ident(f.name)} {hive_type(f.type)}" for f in schema)
    parts = ",\n".join(f"  {_ident(f.name)} {hive_type(f.type)}" for f in PARTITION_SCHEMA)
    location = "/".join(p for p in (bucket, normalize_prefix(prefix), table) if p)
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {_ident(database)}.{_ident(table)} (\n{cols}\n)\n"
        f"PARTITIONED BY (\n{parts}\n)\n"
        "STORED AS PARQUET\n"
        f"LOCATION 's3://{location}/'\n"
        "TBLPROPERTIES (\n"
        "  'parquet.compression'='ZSTD',\n"
        f"  'pulsedeck.schema_version'='{SCHEMA_VERSION}'\n"
        ");"
    )


def ddl(bucket: str, prefix: str = "", database: str = "pulsedeck") -> str:
    """Every statement a user pastes into Athena, with notes for a Glue crawler."""
    header = [
        f"-- Pulsedeck lake, schema version {SCHEMA_VERSION}: Athena (engine v3) DDL.",
        "-- Layout: <prefix>/<table>/athlete_id=<id>/year=YYYY/month=MM/<session_id>.parquet",
        "-- After new partitions appear, run the MSCK REPAIR statements (or ALTER TABLE ADD",
        "-- PARTITION). Glue crawler instead: point one crawler at each table's location,",
        "-- 'Create a single schema for each S3 path' on, partition keys athlete_id, year, month;",
        "-- it infers the same columns from the Parquet footers.",
    ]
    out = ["\n".join(header), f"CREATE DATABASE IF NOT EXISTS {_ident(database)};"]
    for table in SCHEMAS:
        out.append(create_table(table, bucket, prefix, database))
    for table in SCHEMAS:
        out.append(f"MSCK REPAIR TABLE {_ident(database)}.{_ident(table)};")
    return "\n\n".join(out) + "\n"
