"""Edge box benchmark: CPU and memory of a headless recording of 4 sensors at 4 Hz.

Runs `pulsedeck record --simulate --rate 16` (the simulated strap standing in for 4 sensors x
4 Hz: the same 16 samples a second through the recorder, validation and batched writer) as a
separate process for --duration seconds of real time, and beside it the bare baseline: a
Python process that inserts the same 16 rows a second into SQLite with sqlite3 (WAL, one
commit a second). Prints each side's CPU (user + system, % of one core), peak RSS and RSS at
the end, and the ratios. The recorder reads the clock, so it cannot be fast-forwarded; the
10-minute figure is `--duration 600`.

    .venv/bin/python benchmarks/edge.py [--duration 60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
db.execute("CREATE TABLE samples (t INTEGER, hr INTEGER, cadence REAL, speed REAL, power REAL)")
end = time.monotonic() + float(sys.argv[2]); n = 0
while time.monotonic() < end:
    rows = [(n + i, 120 + i % 30, 85.0, 3.2, 210.0) for i in range(16)]
    n += 16
    db.executemany("INSERT INTO samples VALUES (?, ?, ?, ?, ?)", rows); db.commit()
    time.sleep(1.0)
"""


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run `argv`; CPU seconds, wall seconds, peak and final RSS (MiB), from wait4's rusage."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    last = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        last = _rss_kb(proc.pid) or last
        time.sleep(0.5)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        error = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{' '.join(argv[:4])} failed ({proc.returncode}): {error}")
    return {
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": time.monotonic() - started,
        "peak_mib": usage.ru_maxrss / 1024,
        "end_mib": last / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of recording")
    args = parser.parse_args()
    env = {**os.environ, "PULSEDECK_NO_BACKGROUND_SYNC": "1"}
    with tempfile.TemporaryDirectory(prefix="pulsedeck-edge-") as tmp:
        ours = measure(
            [sys.executable, "-m", "app.cli", "--data-dir", str(Path(tmp) / "data"), "record",
             "--simulate", "--rate", "16", "--duration", str(args.duration), "--quiet",
             "--seed", "1"],
            env,
        )  # fmt: skip
        bare = measure(
            [sys.executable, "-c", BASELINE, str(Path(tmp) / "bare.db"), str(args.duration)], env
        )
    print(f"headless record, 4 sensors x 4 Hz (16 samples/s), {args.duration:.0f} s")
    print(f"{'':28} {'CPU s':>7} {'% core':>7} {'peak RSS':>9} {'end RSS':>8}")
    for name, r in (("pulsedeck record", ours), ("bare sqlite3 client", bare)):
        pct = 100 * r["cpu_s"] / r["wall_s"]
        print(
            f"{name:28} {r['cpu_s']:7.2f} {pct:6.1f}% {r['peak_mib']:7.1f} MiB"
            f" {r['end_mib']:5.1f} MiB"
        )
    print(
        f"ratio ours/bare: CPU {ours['cpu_s'] / max(bare['cpu_s'], 1e-9):.1f}x, "
        f"peak RSS {ours['peak_mib'] / bare['peak_mib']:.1f}x (target: peak RSS <= 80 MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
