"""Start-up time to the first painted main window (offscreen), from source and from the bundle.

    python benchmarks/startup.py [--runs 5] [--bundle dist/pulsedeck/pulsedeck] [--json]

Each run is a new process (`pulsedeck` with PULSEDECK_QUIT_AFTER_SHOW=1 quits right after the
main window's first paint), timed from spawn to exit, so the figure is an upper bound on "time
to first window" that includes interpreter start, imports, opening the database, building every
screen and tearing down. One untimed run per variant first creates and migrates the database
and warms the OS file cache: the medians are process-cold, cache-warm. The "first run" column is
that untimed run (closest to a cold boot this machine allows without dropping caches).

The raw-library baseline is bare PySide6 doing the same work in the same run: a new process that
creates a QApplication and a QMainWindow with a label and quits on its first paint. The ratio
says how much Pulsedeck adds on top of what Qt itself costs. Targets: < 1.0 s from source,
< 1.5 s from the bundle. The bundle's size on disk is printed too (build it first with
packaging/build-linux.sh; without a bundle that part is skipped, and said so).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUNDLE = ROOT / "dist" / "pulsedeck" / ("pulsedeck.exe" if os.name == "nt" else "pulsedeck")
TARGET_SOURCE_S = 1.0
TARGET_BUNDLE_S = 1.5
#: A start-up that takes this long is hung, not slow.
RUN_TIMEOUT_S = 120

RAW_QT = """
import sys
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

class Window(QMainWindow):
    def paintEvent(self, event):
        super().paintEvent(event)
        QApplication.instance().quit()

app = QApplication(sys.argv[:1])
window = Window()
window.setCentralWidget(QLabel("Pulsedeck"))
window.resize(1280, 800)
window.show()
sys.exit(app.exec())
"""


@dataclass(frozen=True, slots=True)
class Timing:
    name: str
    first_s: float
    median_s: float
    min_s: float
    max_s: float
    cpu_median_s: float
    runs: int


def _children_cpu_s() -> float:
    if resource is None:  # Windows: no rusage; CPU columns stay 0
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run; CPU is steadier on a busy machine."""
    cpu_before = _children_cpu_s()
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    elapsed = time.perf_counter() - started
    cpu = _children_cpu_s() - cpu_before
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()[-800:]}"
        )
    return elapsed, cpu


def measure(name: str, cmd: list[str], env: dict[str, str], runs: int) -> Timing:
    """One untimed first run (database creation, cache warm-up), then `runs` timed ones."""
    first, _ = _run_once(cmd, env)
    pairs = [_run_once(cmd, env) for _ in range(runs)]
    times = [wall for wall, _ in pairs]
    cpu = statistics.median(c for _, c in pairs)
    return Timing(name, first, statistics.median(times), min(times), max(times), cpu, runs)


def disk_usage(path: Path) -> tuple[int, int, int]:
    """(bytes of file content, bytes allocated on disk, number of files) under `path`."""
    content = allocated = count = 0
    for item in path.rglob("*"):
        if item.is_file() and not item.is_symlink():
            st = item.stat()
            content += st.st_size
            allocated += getattr(st, "st_blocks", 0) * 512 or st.st_size
            count += 1
    return content, allocated, count


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PULSEDECK_HOME=str(home),
        PULSEDECK_QUIT_AFTER_SHOW="1",
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=str(ROOT),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's install has its bytecode cached
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)

    results: dict[str, Timing] = {}
    with tempfile.TemporaryDirectory(prefix="pulsedeck-startup-") as tmp:
        tmp_path = Path(tmp)
        results["raw_qt"] = measure(
            "bare PySide6 window", [sys.executable, "-c", RAW_QT], _env(tmp_path / "raw"), args.runs
        )
        results["source"] = measure(
            "pulsedeck from source",
            [sys.executable, "-m", "app.cli"],
            _env(tmp_path / "source"),
            args.runs,
        )
        bundle = args.bundle if args.bundle.is_file() else None
        if bundle is not None:
            results["bundle"] = measure(
                "pulsedeck bundle", [str(bundle)], _env(tmp_path / "bundle"), args.runs
            )

    raw = results["raw_qt"].median_s
    print(f"start-up to first painted main window, offscreen, median of {args.runs} (seconds)")
    raw_cpu = results["raw_qt"].cpu_median_s or 1.0
    load = f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "?"
    print(f"(wall clock; CPU = user+sys of the process; load {load} on {os.cpu_count()} CPUs)")
    print(
        f"{'variant':24} {'median':>7} {'min':>7} {'max':>7} {'first':>7} {'x raw Qt':>9} "
        f"{'CPU':>7} {'CPU x raw':>9}"
    )
    for t in results.values():
        print(
            f"{t.name:24} {t.median_s:7.3f} {t.min_s:7.3f} {t.max_s:7.3f} {t.first_s:7.3f} "
            f"{t.median_s / raw:9.2f} {t.cpu_median_s:7.3f} {t.cpu_median_s / raw_cpu:9.2f}"
        )
    verdicts = [
        f"source {results['source'].median_s:.3f} s "
        f"({'meets' if results['source'].median_s < TARGET_SOURCE_S else 'MISSES'} "
        f"< {TARGET_SOURCE_S} s)"
    ]
    size: dict[str, object] = {}
    if "bundle" in results:
        b = results["bundle"].median_s
        verdicts.append(
            f"bundle {b:.3f} s ({'meets' if b < TARGET_BUNDLE_S else 'MISSES'} "
            f"< {TARGET_BUNDLE_S} s)"
        )
        content, allocated, count = disk_usage(args.bundle.parent)
        size = {"bundle_dir": str(args.bundle.parent), "bytes": content, "on_disk": allocated}
        print(
            f"bundle size: {content / 2**20:.1f} MiB in {count} files "
            f"({allocated / 2**20:.1f} MiB on disk) at {args.bundle.parent}"
        )
        for archive in sorted(args.bundle.parent.parent.glob("pulsedeck*[._]*")):
            if archive.is_file() and archive.suffix in (".gz", ".deb", ".exe", ".dmg"):
                print(f"  {archive.name}: {archive.stat().st_size / 2**20:.1f} MiB")
                size[archive.name] = archive.stat().st_size
    else:
        print(f"no bundle at {args.bundle}: build it with packaging/build-linux.sh")
    print("targets: " + "; ".join(verdicts))
    if args.json:
        print(json.dumps({"timings": {k: asdict(v) for k, v in results.items()}, "size": size}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
