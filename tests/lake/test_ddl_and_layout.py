"""The Athena DDL matches the Arrow schemas column by column; keys are safe and parseable."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.lake.ddl import ddl
from sync.lake.layout import BadKey, object_key, parse_key
from sync.lake.schema import PARTITION_SCHEMA, SCHEMA_VERSION, SCHEMAS

# Written out independently of sync.lake.ddl: what each catalog type must be in Arrow.
EXPECTED_ARROW = {
    "timestamp": lambda t: t == pa.timestamp("ms", tz="UTC"),
    "string": lambda t: t == pa.string() or t == pa.dictionary(pa.int32(), pa.string()),
    "double": lambda t: t == pa.float64(),
    "bigint": lambda t: t == pa.int64(),
    "int": lambda t: t == pa.int32(),
    "smallint": lambda t: t == pa.int16(),
    "boolean": lambda t: t == pa.bool_(),
}

STATEMENT = re.compile(
    r"CREATE EXTERNAL TABLE IF NOT EXISTS `(?P<db>\w+)`\.`(?P<table>\w+)` \((?P<cols>.*?)\)\s*"
    r"PARTITIONED BY \((?P<parts>.*?)\)\s*STORED AS PARQUET\s*LOCATION '(?P<loc>[^']+)'",
    re.S,
)
COLUMN = re.compile(r"^\s*`(\w+)` (\w+),?\s*$")


def _columns(block: str) -> list[tuple[str, str]]:
    cols = []
    for line in block.strip().splitlines():
        match = COLUMN.match(line)
        assert match, f"unparseable column line {line!r}"
        cols.append((match[1], match[2]))
    return cols


def test_ddl_matches_every_arrow_column_exactly():
    text = ddl("my-bucket", "/lake/v1/")
    statements = {m["table"]: m for m in STATEMENT.finditer(text)}
    assert set(statements) == set(SCHEMAS)
    for table, schema in SCHEMAS.items():
        stmt = statements[table]
        cols = _columns(stmt["cols"])
        assert [c for c, _ in cols] == schema.names
        for (name, hive), field in zip(cols, schema, strict=True):
            assert EXPECTED_ARROW[hive](field.type), f"{table}.{name}: {hive} vs {field.type}"
        parts = _columns(stmt["parts"])
        assert parts == [("athlete_id", "string"), ("year", "int"), ("month", "int")]
        assert [p for p, _ in parts] == PARTITION_SCHEMA.names
        assert not set(schema.names) & set(PARTITION_SCHEMA.names)
        assert stmt["loc"] == f"s3://my-bucket/lake/v1/{table}/"
    assert f"'pulsedeck.schema_version'='{SCHEMA_VERSION}'" in text
    assert "MSCK REPAIR TABLE `" not in text  # partitions are projected (test_projection.py)


def test_object_key_layout_and_round_trip():
    key = object_key("p/q/", "samples", "abc123", 1_718_000_000_000, "uid-1")
    assert key == "p/q/samples/athlete_id=abc123/year=2024/month=06/uid-1.parquet"
    parsed = parse_key(key)
    assert parsed is not None
    assert (parsed.table, parsed.athlete_id, parsed.year, parsed.month, parsed.session_uid) == (
        "samples",
        "abc123",
        2024,
        6,
        "uid-1",
    )
    assert object_key("", "laps", "a", 0, "s") == "laps/athlete_id=a/year=1970/month=01/s.parquet"
    assert parse_key("random/file.txt") is None


@pytest.mark.parametrize("bad", ["", "..", "a/b", "x=y", "a b", "é", "../etc"])
def test_unsafe_ids_are_refused(bad):
    with pytest.raises(BadKey):
        object_key("", "samples", bad, 0, "s")
    with pytest.raises(BadKey):
        object_key("", "samples", "a", 0, bad)


@settings(deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_id_either_round_trips_or_is_refused(value):
    try:
        key = object_key("pre", "sets", value, 1_700_000_000_000, value)
    except BadKey:
        return
    parsed = parse_key(key)
    assert parsed is not None and parsed.athlete_id == value and parsed.session_uid == value
