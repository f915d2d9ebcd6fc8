"""Issue 22 #6: Athena partition projection matches the key layout; DuckDB over a pulled lake.

The projection's location template, filled in the way Athena does (integer digits, enum or
injected athlete id), must name exactly the directory every pushed object is in; the DuckDB
query shown in docs/lake.md runs over a copy of the bucket and agrees with SQLite.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from sync.lake.ddl import ddl, duckdb_views
from sync.lake.layout import parse_key
from sync.lake.push import push
from sync.lake.schema import SCHEMAS
from sync.outbox import Outbox

from .conftest import T0, all_keys, record_session

DAY = 86_400_000
PROPS = re.compile(r"TBLPROPERTIES \((?P<body>.*?)\n\);", re.S)
PROP = re.compile(r"^\s*'(?P<k>[^']+)'='(?P<v>[^']*)',?\s*$")


def _props(text: str) -> list[dict[str, str]]:
    out = []
    for block in PROPS.finditer(text):
        lines = block["body"].strip().splitlines()
        out.append({m["k"]: m["v"] for m in map(PROP.match, lines) if m})
    return out


def _fill(template: str, props: dict[str, str], athlete: str, year: int, month: int) -> str:
    """What Athena substitutes: integers zero-padded to `digits`."""
    y = str(year).zfill(int(props["projection.year.digits"]))
    mo = str(month).zfill(int(props["projection.month.digits"]))
    return template.replace("${athlete_id}", athlete).replace("${year}", y).replace("${month}", mo)


def test_projection_covers_every_pushed_key(store, lake_config, s3, bucket) -> None:  # noqa: ANN001
    for i, start in enumerate((T0, T0 + 40 * DAY, T0 + 200 * DAY)):  # June, July, December
        record_session(store, "Me", start, seed=i)
    assert asyncio.run(push(store, Outbox(store), lake_config)).done == 3
    keys = [k for k in all_keys(s3, bucket) if parse_key(k)]
    refs = sorted({parse_key(k).athlete_id for k in keys})  # type: ignore[union-attr]

    for athlete_ids in (None, refs):
        text = ddl(bucket, lake_config.prefix, athlete_ids=athlete_ids)
        assert "MSCK REPAIR TABLE `" not in text
        tables = _props(text)
        assert len(tables) == len(SCHEMAS)
        for props, table in zip(tables, SCHEMAS, strict=True):
            assert props["projection.enabled"] == "true"
            assert props["projection.year.type"] == props["projection.month.type"] == "integer"
            lo, hi = map(int, props["projection.year.range"].split(","))
            assert props["projection.month.range"] == "1,12"
            kind = props["projection.athlete_id.type"]
            assert kind == ("injected" if athlete_ids is None else "enum")
            if kind == "enum":
                assert props["projection.athlete_id.values"].split(",") == refs
            for key in (k for k in keys if f"/{table}/" in k):
                parsed = parse_key(key)
                assert parsed is not None and lo <= parsed.year <= hi
                where = _fill(
                    props["storage.location.template"],
                    props,
                    parsed.athlete_id,
                    parsed.year,
                    parsed.month,
                )
                assert f"s3://{bucket}/{key}".startswith(where)
                assert where.endswith(f"month={parsed.month:02d}/")


def test_duckdb_query_over_a_pulled_copy_of_the_lake(
    store,
    lake_config,
    s3,
    bucket,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    duckdb = pytest.importorskip("duckdb")
    me = record_session(store, "Me", T0, seed=1, n=90)
    record_session(store, "Me", T0 + 40 * DAY, seed=2, n=60)
    other = store.ensure_athlete("Numbers", is_self=False)
    with store.orm() as s, s.begin():  # an id of digits only must stay a string in DuckDB
        from app.store import models as m

        row = s.get(m.Athlete, other.id)
        assert row is not None
        row.remote_ref = "0123456789"
    record_session(store, "Numbers", T0 + DAY, seed=3, n=30, is_self=False)
    assert asyncio.run(push(store, Outbox(store), lake_config)).done == 3
    root = tmp_path / "lake"
    for key in all_keys(s3, bucket):  # `aws s3 sync s3://bucket/prefix ./lake` does the same
        target = root / key.removeprefix(f"{lake_config.prefix}/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    con = duckdb.connect()
    con.execute(duckdb_views(str(root)))
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE samples)").fetchall())
    assert (types["athlete_id"], types["year"], types["month"]) == ("VARCHAR", "INTEGER", "INTEGER")
    # The query shown in docs/lake.md: samples and mean HR per athlete and month.
    rows = con.execute(
        """
        SELECT athlete_id, year, month, count(*) AS samples, round(avg(hr), 1) AS avg_hr
        FROM samples
        WHERE year = 2024 AND month BETWEEN 6 AND 7
        GROUP BY ALL ORDER BY athlete_id, year, month
        """
    ).fetchall()
    with store.engine.connect() as c:
        expected = c.exec_driver_sql(
            "SELECT a.remote_ref, CAST(strftime('%m', s.started_ms / 1000, 'unixepoch') AS INT), "
            "count(*), round(avg(x.hr), 1) FROM samples x JOIN sessions s ON s.id = x.session_id "
            "JOIN athletes a ON a.id = s.athlete_id GROUP BY 1, 2 ORDER BY 1, 2"
        ).all()
    assert [(a, y, mo, n, hr) for a, y, mo, n, hr in rows] == [
        (a, 2024, mo, n, hr) for a, mo, n, hr in expected
    ]
    assert rows[0][0] == "0123456789" and me
