"""Parquet encoding for the lake and for local exports: zstd, dictionary strings, one schema."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .schema import SCHEMAS, check_file_schema, with_added_columns

#: zstd level 1 (pyarrow's zstd default): level 3 made sample files only 0.4% smaller in
#: benchmarks/lake.py for more CPU; both are ~25% smaller than snappy.
COMPRESSION = "zstd"
COMPRESSION_LEVEL = 1
#: One session rarely exceeds this, so a session file is one row group; query engines scan
#: row groups of ~1M rows (tens of MB uncompressed) efficiently. Larger tables are split.
ROW_GROUP_ROWS = 1_048_576


def _write(table: pa.Table, sink: object) -> None:
    pq.write_table(
        table,
        sink,
        compression=COMPRESSION,
        compression_level=COMPRESSION_LEVEL,
        row_group_size=ROW_GROUP_ROWS,
        use_dictionary=True,
        write_statistics=True,
        # Stored timestamps stay ms with isAdjustedToUTC=true; Athena/Trino read them as
        # timestamps, not int96 nor nanoseconds.
        coerce_timestamps="ms",
        allow_truncated_timestamps=False,
        version="2.6",
    )


def _checked(name: str, table: pa.Table) -> pa.Table:
    expected = SCHEMAS[name]
    if not table.schema.equals(expected, check_metadata=False):
        raise ValueError(f"{name}: table schema differs from the lake schema")
    return table.replace_schema_metadata(expected.metadata)


def to_parquet_bytes(name: str, table: pa.Table) -> bytes:
    """The table as one complete Parquet file in memory (uploaded with a single PUT)."""
    buf = io.BytesIO()
    _write(_checked(name, table), buf)
    return buf.getvalue()


def write_parquet_file(name: str, table: pa.Table, path: Path) -> Path:
    """Write atomically: a temporary file in the same directory, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write(_checked(name, table), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_parquet_bytes(name: str, data: bytes) -> pa.Table:
    """Parse one of our objects, refusing other tables and newer schema versions.

    An object of an older version comes back with the columns added since as nulls.
    """
    table = pq.read_table(io.BytesIO(data))
    return with_added_columns(name, check_file_schema(name, table.schema), table)
