"""`pulsedeck hrv|power|trends`: a session's HRV and power analysis, weekly trends.

The maths is app.domain (session_hrv, dfa, hrv_metrics, power, trends); the store reads are
app.services.analysis (shared with the desktop app); this module calls it and prints. Exit 4
for an unknown session, and also for a session without what the command analyses (no RR
intervals for `hrv`, no power for `power`).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import date, timedelta
from typing import TYPE_CHECKING

from app.commands import EXIT_NOT_FOUND, EXIT_OK, UserError
from app.commands.common import CommandContext, command
from app.domain.validation import check_day_range
from app.services.analysis import NothingToAnalyse, SessionNotFound

if TYPE_CHECKING:
    from app.domain.session_hrv import HrvReport
    from app.services.analysis import AnalysisService
    from app.store.repo import SessionInfo


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def _mmss(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _service(ctx: CommandContext) -> AnalysisService:
    from app.services.analysis import AnalysisService

    return AnalysisService(ctx.store)


#: The data asked for is not there: an unknown session, or one without RR / power (exit 4).
_NOT_THERE: dict[type[BaseException], int] = {
    SessionNotFound: EXIT_NOT_FOUND,
    NothingToAnalyse: EXIT_NOT_FOUND,
}


# hrv -------------------------------------------------------------------------------------


def hrv_json(info: SessionInfo, report: HrvReport) -> dict[str, object]:
    """The stable JSON shape of `pulsedeck hrv --json` (keys are a public contract)."""
    from app.domain.dfa import MAX_ARTEFACT_SHARE, SCALES, STEP_S, WINDOW_S, alpha1_zone
    from app.domain.hrv_metrics import Beat

    c = report.corrected
    t = report.time
    p = report.poincare
    s = report.spectrum
    windows = []
    for w, pw in zip(report.windows, report.window_power_w, strict=True):
        windows.append(
            {
                "end_s": w.end_s,
                "alpha1": _r(w.alpha1, 3),
                "zone": alpha1_zone(w.alpha1),
                "hr": _r(w.mean_hr, 1),
                "power_w": _r(pw, 1),
                "beats": w.beats,
                "artefacts": w.artefacts,
                "artefact_share": _r(w.artefact_share, 4),
                "reliable": w.reliable,
            }
        )
    return {
        "session": info.id,
        "beats": len(c.kinds),
        "artefacts": {
            "missed": c.count(Beat.MISSED),
            "ectopic": c.count(Beat.ECTOPIC),
            "out_of_range": c.count(Beat.OUT_OF_RANGE),
            "share": _r(c.artefact_share, 4),
            "beats": [
                {
                    "index": int(i),
                    "t_s": _r(float(c.beat_t_s[i]), 3),
                    "rr_ms": float(c.rr_ms[i]),
                    "kind": Beat(int(c.kinds[i])).name.lower(),
                }
                for i in (c.kinds != Beat.OK).nonzero()[0]
            ],  # fmt: skip
        },
        "time_domain": {
            "mean_rr_ms": _r(t.mean_rr_ms),
            "mean_hr": _r(t.mean_hr),
            "sdnn_ms": _r(t.sdnn_ms),
            "rmssd_ms": _r(t.rmssd_ms),
            "sdsd_ms": _r(t.sdsd_ms),
            "pnn50": _r(t.pnn50),
        },
        "poincare": None
        if p is None
        else {"sd1_ms": _r(p.sd1_ms), "sd2_ms": _r(p.sd2_ms), "sd1_sd2": _r(p.ratio, 4)},
        "frequency": {
            "method": "lomb-scargle, 5-min segments, linear detrend",
            "segments": 0 if s is None else s.segments,
            "vlf_ms2": None if s is None else _r(s.vlf_ms2),
            "lf_ms2": None if s is None else _r(s.lf_ms2),
            "hf_ms2": None if s is None else _r(s.hf_ms2),
            "lf_hf": None if s is None else _r(s.lf_hf, 3),
            "lf_nu": None if s is None else _r(s.lf_nu),
            "hf_nu": None if s is None else _r(s.hf_nu),
        },
        "dfa": {
            "scales": [SCALES[0], SCALES[-1]],
            "window_s": WINDOW_S,
            "step_s": STEP_S,
            "max_artefact_share": MAX_ARTEFACT_SHARE,
            "windows": windows,
        },
        "thresholds": {
            name: {"alpha1": th.alpha1, "hr": _r(th.hr, 1), "power_w": _r(th.power_w, 1)}
            for name, th in (("aerobic", report.aerobic), ("anaerobic", report.anaerobic))
        },
    }


@command(errors=_NOT_THERE)
def cmd_hrv(args: argparse.Namespace, ctx: CommandContext) -> int:
    """HRV of one session: time, frequency and Poincaré figures, DFA α1 windows, thresholds."""
    result = _service(ctx).hrv(args.session)
    info, report = result.session, result.report
    data = hrv_json(info, report)
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_OK
    _print_hrv(data)
    return EXIT_OK


def _print_hrv(d: dict[str, object]) -> None:
    a: dict[str, object] = d["artefacts"]  # type: ignore[assignment]
    t: dict[str, float | None] = d["time_domain"]  # type: ignore[assignment]
    p: dict[str, float | None] | None = d["poincare"]  # type: ignore[assignment]
    f: dict[str, object] = d["frequency"]  # type: ignore[assignment]
    dfa: dict[str, object] = d["dfa"]  # type: ignore[assignment]
    th: dict[str, dict[str, float | None]] = d["thresholds"]  # type: ignore[assignment]
    share = float(a["share"] or 0)  # type: ignore[arg-type]
    print(
        f"Session {d['session']}: {d['beats']} beats, {share * 100:.1f} % corrected "
        f"(missed {a['missed']}, ectopic {a['ectopic']}, out of range {a['out_of_range']})"
    )
    print(
        f"  mean RR {_fmt(t['mean_rr_ms'])} ms ({_fmt(t['mean_hr'], '.0f')} bpm)  SDNN "
        f"{_fmt(t['sdnn_ms'])} ms  RMSSD {_fmt(t['rmssd_ms'])} ms  pNN50 {_fmt(t['pnn50'])} %"
    )
    if p is not None:
        print(f"  Poincaré SD1 {_fmt(p['sd1_ms'])} ms  SD2 {_fmt(p['sd2_ms'])} ms")
    if f["segments"]:
        print(
            f"  LF {_fmt(f['lf_ms2'], '.0f')} ms²  HF {_fmt(f['hf_ms2'], '.0f')} ms²  LF/HF "  # type: ignore[arg-type]
            f"{_fmt(f['lf_hf'], '.2f')}  ({f['method']}, {f['segments']} segment(s))"  # type: ignore[arg-type]
        )
    else:
        print("  LF/HF: under 2 minutes of RR")
    for name in ("aerobic", "anaerobic"):
        x = th[name]
        print(
            f"  {name} threshold (α1 {x['alpha1']}): HR {_fmt(x['hr'], '.0f')} bpm, "
            f"power {_fmt(x['power_w'], '.0f')} W"
        )
    windows: list[dict[str, object]] = dfa["windows"]  # type: ignore[assignment]
    if not windows:
        print("  DFA α1: under 2 minutes of RR")
        return
    print("  DFA α1 (boxes 4-16 beats, 2-min windows every 20 s; '!' = over 5 % artefacts)")
    print(f"  {'at':>8} {'α1':>6} {'HR':>5} {'W':>5} {'art%':>5}")
    for w in windows:
        flag = "" if w["reliable"] or w["alpha1"] is None else " !"
        print(
            f"  {_mmss(float(w['end_s'])):>8} {_fmt(w['alpha1'], '.2f'):>6} "  # type: ignore[arg-type]
            f"{_fmt(w['hr'], '.0f'):>5} {_fmt(w['power_w'], '.0f'):>5} "  # type: ignore[arg-type]
            f"{float(w['artefact_share']) * 100:5.1f}{flag}"  # type: ignore[arg-type]
        )


# power -----------------------------------------------------------------------------------


@command(errors=_NOT_THERE)
def cmd_power(args: argparse.Namespace, ctx: CommandContext) -> int:
    """NP, IF, TSS, VI, mean-maximal curve and W′ balance of one session."""
    if (args.cp is None) != (args.w_prime is None):
        raise UserError("--cp and --w-prime go together")
    for name, value in (("--ftp", args.ftp), ("--cp", args.cp), ("--w-prime", args.w_prime)):
        if value is not None and not value > 0:
            raise UserError(f"{name} must be positive")
    result = _service(ctx).power(args.session, args.ftp, args.cp, args.w_prime)
    info, summary, ftp = result.session, result.summary, result.ftp_w
    data = {
        "session": info.id,
        **{k: v for k, v in asdict(summary).items() if k != "curve"},
        "curve": [{"duration_s": p.duration_s, "watts": round(p.watts, 1)} for p in summary.curve],
    }
    for key in ("avg_w", "max_w", "np_w", "intensity", "tss", "vi", "w_bal_min_j"):
        data[key] = _r(data[key], 3)
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_OK
    print(
        f"Session {info.id}: {_mmss(summary.seconds)} with power  avg {summary.avg_w:.0f} W  "
        f"max {summary.max_w:.0f} W  NP {summary.np_w:.0f} W  VI {_fmt(summary.vi, '.2f')}"
    )
    if ftp:
        print(f"  FTP {ftp:.0f} W  IF {_fmt(summary.intensity, '.2f')}  TSS {_fmt(summary.tss)}")
    else:
        print("  IF and TSS need an FTP: pulsedeck zones --ftp W (or --ftp here)")
    if summary.w_bal_min_j is not None:
        print(f"  W′ balance low point {summary.w_bal_min_j:.0f} J (CP {args.cp:.0f} W)")
    print(
        "  best power: " + "  ".join(f"{_dur(p.duration_s)} {p.watts:.0f}" for p in summary.curve)
    )
    return EXIT_OK


def _dur(seconds: int) -> str:
    return (
        f"{seconds}s"
        if seconds < 60
        else f"{seconds // 60}m" + (f"{seconds % 60}s" if seconds % 60 else "")
    )


# trends ----------------------------------------------------------------------------------


@command
def cmd_trends(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Weekly figures from the daily summaries, training load and readiness."""
    from app.domain.trends import monday

    service = _service(ctx)
    athlete_id = ctx.athlete().id
    last = args.to or service.today(athlete_id)
    first = monday(args.from_ or last - timedelta(weeks=11))
    check_day_range(first, last)
    rows = service.weekly(athlete_id, first, last)
    if args.json:
        out = []
        for r in rows:
            d = asdict(r)
            d = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in d.items()}
            d["zone_min"] = [round(z, 1) for z in r.zone_min]
            out.append({"week": r.week, **d})
        print(json.dumps(out, indent=2, default=str))
        return EXIT_OK
    print(
        f"{'week':8} {'from':10} {'sess':>4} {'active':>6} {'km':>6} {'TRIMP':>6} {'load':>6} "
        f"{'CTL':>5} {'ATL':>5} {'TSB':>6} {'lnRMSSD':>7} {'rHR':>4}  zones Z1-Z5 (min)"
    )
    for r in rows:
        zones = "/".join(f"{z:.0f}" for z in r.zone_min)
        print(
            f"{r.week:8} {r.week_start!s:10} {r.sessions:>4} {r.active_min:6.0f} "
            f"{r.distance_km:6.1f} {r.trimp:6.0f} {_fmt(r.load, '.0f'):>6} "
            f"{_fmt(r.ctl, '.1f'):>5} {_fmt(r.atl, '.1f'):>5} {_fmt(r.tsb, '+.1f'):>6} "
            f"{_fmt(r.ln_rmssd, '.2f'):>7} {_fmt(r.resting_hr, '.0f'):>4}  {zones}"
        )
    return EXIT_OK


# parser ----------------------------------------------------------------------------------


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `hrv`, `power` and `trends` to the `pulsedeck` parser."""
    p = sub.add_parser("hrv", help="a session's HRV: time, frequency, Poincaré, DFA α1")
    p.add_argument("session", type=int, help="session id")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_hrv)

    p = sub.add_parser("power", help="a session's power: NP, IF, TSS, VI, best-power curve")
    p.add_argument("session", type=int, help="session id")
    p.add_argument("--ftp", type=float, help="FTP in W (default: the athlete's, see zones --ftp)")
    p.add_argument("--cp", type=float, help="critical power in W, for W′ balance")
    p.add_argument("--w-prime", type=float, help="W′ in J, for W′ balance")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_power)

    p = sub.add_parser("trends", help="weekly training figures (load, zones, HRV)")
    p.add_argument("--athlete", help="athlete name (default: yourself)")
    p.add_argument(
        "--from",
        dest="from_",
        metavar="DATE",
        type=_date,
        help="first day (default: 12 weeks back)",
    )
    p.add_argument("--to", metavar="DATE", type=_date, help="last day (default: today)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_trends)
