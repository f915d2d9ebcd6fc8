"""Activity files: import vs the bare reader, FIT export vs the bare encoder.

Builds a 10-hour 1 Hz run (HR, RR, positions, power), writes it as FIT, then times:
fitdecode reading the records alone; Pulsedeck's reader; the whole import (read, check,
store, summarize) into a fresh SQLite file; and the FIT export of the stored session vs the
bare encoder on samples already in memory. The import must stay under 1 s.

Times are the best of several runs; on a shared machine wall time swings with the load, so
the import's CPU time (this process: reading, checking, SQLite, summary) is shown beside it.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.store.repo import Store  # noqa: E402
from device.simulator import SimulatedStrap  # noqa: E402
from sync.files.fit import FitActivity, encode_activity  # noqa: E402
from sync.imports import import_paths  # noqa: E402
from sync.imports.sources import Candidate, read_candidate  # noqa: E402

SECONDS = 10 * 3600


def best(fn, n: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    start = 1_700_000_000_000
    strap = SimulatedStrap(seed=1, start_ms=start, realtime=False)
    samples = [
        replace(s, lat=47 + i * 1e-5, lon=8 + i * 1e-5, altitude=400.0, power=200.0)
        for i, s in enumerate(strap.generate(SECONDS))
    ]
    activity = FitActivity("run", start, samples[-1].t_ms, samples)
    data = encode_activity(activity)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ten-hours.fit"
        path.write_bytes(data)
        import fitdecode

        def bare() -> None:
            with fitdecode.FitReader(str(path)) as r:
                for f in r:
                    if isinstance(f, fitdecode.FitDataMessage) and f.name == "record":
                        f.get_value("heart_rate")

        t_bare = best(bare, 1)
        t_read = best(lambda: read_candidate(Candidate(str(path), lambda: path.open("rb"))))
        runs, cpu = [], []
        for i in range(5):
            store = Store.open(Path(tmp) / f"d{i}")
            me = store.default_athlete()
            t, c = time.perf_counter(), time.process_time()
            report = import_paths(store, me.id, [path])
            runs.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            sid = report.results[0].session_id
        assert sid is not None
        n = len(samples)
        print(f"10-hour 1 Hz FIT: {n} records, {len(data) / 1e6:.2f} MB")
        print(f"  fitdecode (bare reader, records only): {t_bare:.2f} s  {n / t_bare:,.0f}/s")
        print(f"  Pulsedeck reader:                      {t_read:.2f} s  {n / t_read:,.0f}/s")
        t_imp = min(runs)
        verdict = "OK" if t_imp < 1 else "OVER 1 s"
        print(f"  import (read+check+store+summary):     {t_imp:.2f} s  {n / t_imp:,.0f}/s "
              f"(x{t_bare / t_imp:.1f} vs fitdecode alone) {verdict}")  # fmt: skip
        print(f"  import CPU time (this process):        {min(cpu):.2f} s")
        from sync.exports.session import export_session

        out = Path(tmp) / "out.fit"
        t_exp = best(lambda: export_session(store, sid, "fit", out, force=True))
        t_enc = best(lambda: encode_activity(activity))
        print(f"  FIT export of the stored session:      {t_exp:.2f} s")
        print(f"  bare encoder (samples in memory):      {t_enc:.2f} s  (export/encoder "
              f"x{t_exp / t_enc:.1f})")  # fmt: skip


if __name__ == "__main__":
    main()
