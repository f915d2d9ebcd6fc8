"""The import's fast paths change nothing: summary from memory = summary read back, RR kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path

from app.domain.samples import CHANNELS, Sample
from app.store.repo import Store
from sync.exports.session import export_session
from sync.files.fit import FitActivity, encode_activity
from sync.imports import Outcome, import_paths
from sync.imports.fit import read_fit

T0 = 1_700_000_000_000


def test_load_samples_reads_the_columns_in_sample_field_order() -> None:
    # Store.load_samples builds Samples positionally from (t_ms, *CHANNELS, received_ms);
    # temperature (0003) is the last field, passed by keyword so older positional calls hold.
    names = [f.name for f in fields(Sample)]
    assert CHANNELS[-1] == "temperature" == names[-1]
    assert names[: len(CHANNELS)] == ["t_ms", *CHANNELS[:-1]]
    assert "received_ms" in names


def test_the_summary_an_import_stores_is_the_one_read_back_gives(
    tmp_path: Path, store: Store, recorded_session: Callable[..., int]
) -> None:
    sid = recorded_session(store, seconds=900)
    path = export_session(store, sid, "fit", tmp_path / "run.fit")
    fresh = Store.open(tmp_path / "fresh")
    report = import_paths(fresh, fresh.default_athlete().id, [path])
    (result,) = report.results
    assert result.outcome is Outcome.IMPORTED and result.session_id is not None
    imported = fresh.get_session(result.session_id)
    assert imported is not None
    # finish_session without `committed` reads samples and RR back from SQLite.
    again = fresh.finish_session(result.session_id, imported.ended_ms or 0)
    reread = fresh.get_session(result.session_id)
    assert reread == imported
    assert again.distance_m == imported.distance_m and again.rr_count == imported.rr_count


def test_rr_from_hrv_messages_join_their_record_and_pass_the_range_check(tmp_path) -> None:
    samples = [
        Sample(t_ms=T0 + i * 1000, hr=60, rr=(1000.0,) if i != 2 else (1000.0, 3500.0, 150.0))
        for i in range(5)
    ]
    samples[3] = replace(samples[3], rr=())
    data = encode_activity(FitActivity("run", T0, T0 + 5000, samples))
    path = tmp_path / "rr.fit"
    path.write_bytes(data)
    with path.open("rb") as fh:
        activity = read_fit(fh, "rr.fit")
    # One Sample per record, each with the RR that followed it; 3500 and 150 ms dropped
    # (outside RR_RANGE_MS, as a live recording drops them).
    assert [s.rr for s in activity.samples] == [(1000.0,), (1000.0,), (1000.0,), (), (1000.0,)]
    assert [s.cadence for s in activity.samples] == [None] * 5


def test_the_unrolled_range_check_covers_every_soft_channel() -> None:
    from sync.imports import points

    assert points._UNROLLED == points._SOFT
    checker = points.PointChecker()
    glitch = Sample(t_ms=T0, hr=300, cadence=90.0, speed=float("nan"), altitude=-600.0, met=3.0)
    checker.add(glitch)
    (kept,) = checker.samples
    assert (kept.hr, kept.cadence, kept.speed, kept.altitude, kept.met) == (
        None,
        90.0,
        None,
        None,
        3.0,
    )
    assert checker.dropped == 3
