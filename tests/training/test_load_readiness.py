"""Issue 18 #11-#12: fitness/fatigue/form and HRV readiness, checked against independent
computations of the published formulas (the worked example of docs/training.md)."""

from __future__ import annotations

import json
import math
import statistics
from datetime import date, timedelta

import pytest

from app.cli import main
from app.domain.load import fitness_series, normalized_power, power_tss
from app.domain.readiness import readiness_series
from app.domain.samples import Sample
from app.store.repo import Store
from app.training import strength

from .helpers import athlete, ms, session


@pytest.fixture
def run(data_dir, capsys):
    def go(*argv: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return go


def _pmc(loads: list[float]) -> list[tuple[float, float]]:
    """Independent CTL/ATL: x_t = x_(t-1) e^(-1/tau) + load_t (1 - e^(-1/tau))."""
    out, ctl, atl = [], 0.0, 0.0
    for load in loads:
        ctl = ctl * math.exp(-1 / 42) + load * (1 - math.exp(-1 / 42))
        atl = atl * math.exp(-1 / 7) + load * (1 - math.exp(-1 / 7))
        out.append((ctl, atl))
    return out


def test_worked_example_of_the_docs() -> None:
    d0 = date(2026, 6, 1)
    pts = fitness_series({d0: 100.0, d0 + timedelta(days=2): 50.0}, d0, d0 + timedelta(days=2))
    got = [(round(p.ctl, 4), round(p.atl, 4), round(p.tsb, 4)) for p in pts]
    assert got == [
        (2.3528, 13.3122, -10.9594),
        (2.2975, 11.5401, -9.2426),
        (3.4198, 16.6599, -13.2401),
    ]


def test_fitness_series_matches_an_independent_computation() -> None:
    d0 = date(2026, 1, 1)
    loads = [(i * 37 % 11) * 13.0 if i % 3 else 0.0 for i in range(200)]
    daily = {d0 + timedelta(days=i): x for i, x in enumerate(loads) if x}
    pts = fitness_series(daily, d0 + timedelta(days=150), d0 + timedelta(days=199), since=d0)
    want = _pmc(loads)[150:]
    for p, (ctl, atl) in zip(pts, want, strict=True):
        assert p.ctl == pytest.approx(ctl, rel=1e-12) and p.atl == pytest.approx(atl, rel=1e-12)


def test_normalized_power_and_tss_by_hand() -> None:
    flat = [(i * 1000, 250.0) for i in range(3600)]
    assert normalized_power(flat) == pytest.approx(250.0)
    assert power_tss(3600, 250.0, 250.0) == pytest.approx(100.0)  # an hour at FTP
    # 60 s at 100 W, 60 s at 300 W, repeated: independent 30-s rolling means on a 1-s grid
    watts = [100.0 if (i // 60) % 2 == 0 else 300.0 for i in range(600)]
    rolling = [statistics.fmean(watts[i - 29 : i + 1]) for i in range(29, 600)]
    want = statistics.fmean(r**4 for r in rolling) ** 0.25
    assert normalized_power([(i * 1000, w) for i, w in enumerate(watts)]) == pytest.approx(want)


def test_load_cli_uses_power_tss_then_trimp_then_session_rpe(run, data_dir) -> None:
    s = Store.open(data_dir)
    a = athlete(s)
    # day 1: an hour at 250 W (FTP 250): TSS 100; the same ride from a feed counts once
    t1 = ms(2026, 6, 1, 8)
    for source in ("ble", "feed"):
        sid = s.create_session(a, sport="ride", source=source, started_ms=t1)
        s.insert_samples(
            sid, [Sample(t_ms=t1 + i * 1000, hr=140, power=250.0) for i in range(3600)]
        )
        s.finish_session(sid, t1 + 3600 * 1000)
    # day 2: a run with HR only: its TRIMP
    run_id = session(s, a, ms(2026, 6, 2, 8), 1800, hr=150)
    # day 3: gym sets without a strap, RPE 8 and 6, 20 minutes from first start to last end
    t3 = ms(2026, 6, 3, 18)
    strength.log_set(s, a, "Back Squat", 5, 100, t3, ended_ms=t3 + 60_000, rpe=8)
    strength.log_set(s, a, "Back Squat", 5, 100, t3 + 600_000, ended_ms=t3 + 1_200_000, rpe=6)
    with s.engine.connect() as conn:
        trimp = conn.exec_driver_sql("SELECT trimp FROM sessions WHERE id = ?", (run_id,)).scalar()
    s.close()
    assert run("zones", "--ftp", "250", "--threshold-hr", "165")[0] == 0
    code, out, err = run("load", "--from", "2026-06-01", "--to", "2026-06-04", "--json")
    assert code == 0, err
    days = json.loads(out)
    loads = [d["load"] for d in days]
    assert loads == pytest.approx([100.0, trimp, 7 * 20, 0.0], abs=0.01)
    assert [d["methods"] for d in days] == [["power_tss"], ["hr_trimp"], ["session_rpe"], []]
    for d, (ctl, atl) in zip(days, _pmc(loads), strict=True):
        assert d["ctl"] == pytest.approx(ctl, abs=0.01) and d["atl"] == pytest.approx(atl, abs=0.01)
        assert d["tsb"] == pytest.approx(ctl - atl, abs=0.02)
    assert run("zones", "--ftp", "inf")[0] == 2
    assert run("load", "--to", "2026-06-01", "--from", "2026-06-05")[0] == 2


def test_readiness_series_matches_an_independent_computation() -> None:
    d0 = date(2026, 3, 1)
    rmssd = {d0 + timedelta(days=i): 40.0 + (i * 7 % 13) for i in range(80) if i % 5 != 4}
    rmssd[d0 + timedelta(days=78)] = 15.0  # two bad mornings drag the 7-day mean down
    rmssd[d0 + timedelta(days=79)] = 14.0
    rhr = {d0 + timedelta(days=i): 50.0 + (i % 4) for i in range(80)}
    last = d0 + timedelta(days=79)
    p = readiness_series(rmssd, rhr, last, last)[0]
    ln = {d: math.log(v) for d, v in rmssd.items()}
    week = [ln[d] for d in ln if last - timedelta(days=6) <= d <= last]
    base = [ln[d] for d in ln if last - timedelta(days=59) <= d <= last]
    mu, sd = statistics.mean(base), statistics.stdev(base)
    assert p.mean7 == pytest.approx(statistics.mean(week))
    assert (p.band_low, p.band_high) == (pytest.approx(mu - sd), pytest.approx(mu + sd))
    assert p.flag == ("low" if statistics.mean(week) < mu - sd else None) == "low"
    r7 = [rhr[last - timedelta(days=i)] for i in range(7)]
    r60 = [rhr[last - timedelta(days=i)] for i in range(60)]
    assert p.resting_hr_delta == pytest.approx(statistics.mean(r7) - statistics.mean(r60))
    assert readiness_series({}, {}, last, last)[0].flag is None  # too few readings: no band


def test_readiness_series_every_day_of_a_long_range_matches_the_independent_one() -> None:
    """Windows at the range's start (history before `first`), gaps, readings out of range."""
    d0 = date(2025, 1, 1)
    rmssd = {d0 + timedelta(days=i): 30.0 + (i * 11 % 17) for i in range(400) if i % 7 != 3}
    rhr = {d0 + timedelta(days=i): 48.0 + (i % 5) for i in range(0, 400, 2)}
    first, last = d0 + timedelta(days=70), d0 + timedelta(days=300)
    ln = {d: math.log(v) for d, v in rmssd.items()}
    for p in readiness_series(rmssd, rhr, first, last):
        week = [ln[d] for d in ln if p.day - timedelta(days=6) <= d <= p.day]
        base = [ln[d] for d in ln if p.day - timedelta(days=59) <= d <= p.day]
        r7 = [v for d, v in rhr.items() if p.day - timedelta(days=6) <= d <= p.day]
        r60 = [v for d, v in rhr.items() if p.day - timedelta(days=59) <= d <= p.day]
        assert p.mean7 == pytest.approx(statistics.mean(week), rel=1e-12)
        assert p.band_low == pytest.approx(statistics.mean(base) - statistics.stdev(base))
        assert p.resting_hr_7 == pytest.approx(statistics.mean(r7))
        assert p.resting_hr_60 == pytest.approx(statistics.mean(r60))
        assert p.rmssd_ms == rmssd.get(p.day)


def _rr_session(s: Store, a: int, t0: int, n: int, *, sport: str, hr: int, rr: float) -> int:
    sid = s.create_session(a, sport=sport, source="ble", started_ms=t0)
    s.insert_samples(
        sid,
        [Sample(t_ms=t0 + i * 1000, hr=hr, rr=(rr + (i % 2) * 20,)) for i in range(n)],
    )
    s.finish_session(sid, t0 + n * 1000)
    return sid


def test_readiness_from_recordings_metrics_and_first_minutes(run, data_dir) -> None:
    s = Store.open(data_dir)
    a = athlete(s)
    _rr_session(s, a, ms(2026, 6, 1, 7), 150, sport="readiness", hr=55, rr=1090.0)
    s.close()
    assert (
        run("body", "add", "--rmssd", "35", "--resting-hr", "52", "--at", "2026-06-02T07:00")[0]
        == 0
    )
    s = Store.open(data_dir)
    _rr_session(s, a, ms(2026, 6, 3, 8), 600, sport="run", hr=70, rr=850.0)  # calm start
    _rr_session(s, a, ms(2026, 6, 4, 8), 600, sport="run", hr=150, rr=400.0)  # not at rest
    s.close()
    code, out, err = run("readiness", "--from", "2026-06-01", "--to", "2026-06-04", "--json")
    assert code == 0, err
    days = {d["day"]: d for d in json.loads(out)}
    assert days["2026-06-01"]["rmssd_ms"] == pytest.approx(20.0)
    assert days["2026-06-01"]["resting_hr"] == 55
    assert days["2026-06-02"]["rmssd_ms"] == 35 and days["2026-06-02"]["resting_hr"] == 52
    assert days["2026-06-03"]["rmssd_ms"] == pytest.approx(20.0)
    assert days["2026-06-04"]["rmssd_ms"] is None
    # the readiness recording is neither training nor an activity of the day
    loads = json.loads(run("load", "--from", "2026-06-01", "--to", "2026-06-01", "--json")[1])
    assert loads[0]["load"] == 0
    day = json.loads(run("summary", "--from", "2026-06-01", "--to", "2026-06-01", "--json")[1])
    assert day["days"][0]["sessions"] == 0 and day["days"][0]["active_min"] == 0


def test_record_readiness_is_a_short_reading_at_rest(run) -> None:
    code, _, err = run("record", "--simulate", "--readiness", "--duration", "30")
    assert code == 2 and "120-300 s" in err and err.count("\n") == 1
    from app.cli import build_parser

    args = build_parser().parse_args(["record", "--simulate", "--readiness"])
    assert args.readiness and args.sport == "run"  # set to "readiness" when the command runs
