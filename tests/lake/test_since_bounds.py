"""Issue 16 #8: far-past and far-future dates get a clear message, never an overflow."""

from __future__ import annotations

import pytest

from app.cli import main
from app.store.repo import Store

from .conftest import record_session


@pytest.mark.parametrize(
    "since", ["0001-01-01T00:00:00+14:00", "0001-01-01", "9999-12-31", "9999-12-31T23:59:59-14:00"]
)
def test_pull_and_push_refuse_dates_out_of_range_with_one_line(
    data_dir, tmp_path, moto_url, bucket, capsys, since
) -> None:
    lake = ["--bucket", bucket, "--endpoint-url", moto_url, "--region", "us-east-1"]
    store = Store.open(data_dir)
    try:
        record_session(store)
    finally:
        store.close()
    assert main(["lake", "push", *lake]) == 0
    capsys.readouterr()
    coach = ["--data-dir", str(tmp_path / "coach")]
    for argv in (["lake", "pull", "--all-clients"], ["lake", "push"]):
        assert main([*coach, *argv, *lake, "--since", since]) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and "1970-01-01" in err, err
