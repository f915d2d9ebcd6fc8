"""Run a built bundle through the features whose libraries the spec trims, offline.

    python packaging/exercise-bundle.py dist/pulsedeck            # desktop bundle
    python packaging/exercise-bundle.py dist/pulsedeck-headless   # edge box bundle

The self-test proves the bundle starts; this proves that what the size filter left out is
really unused: a simulated recording with GPS, FIT/Parquet/XLSX/GPX export, FIT import (the
numpy codec), HRV (numpy, DFA fits), the exercise search (rapidfuzz without AVX2),
lake push to moto on 127.0.0.1 and pull into a coach's data dir (pyarrow.parquet without
pyarrow.dataset, boto3's S3 model) and, for the desktop bundle, every screen rendered
offscreen in every theme. Needs the dev extras (moto) in the Python that runs it; exits 1
naming the first command that failed or printed a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app.ui.viewmodels import SCREENS  # noqa: E402 - every screen the app has, one list

THEMES = ("light", "dark", "high_contrast")
BAD_STDERR = ("Traceback", "No module named", "cannot import name", "ImportError")


class Failed(Exception):
    """A bundle command failed; the message says which and shows its output."""


def run(exe: Path, env: dict[str, str], *args: str) -> str:
    """Run one bundle command, fail on a non-zero exit or a traceback on stderr."""
    proc = subprocess.run(
        [str(exe), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    bad = [word for word in BAD_STDERR if word in proc.stderr]
    if proc.returncode != 0 or bad:
        raise Failed(f"{' '.join(args)}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def exercise(bundle: Path, work: Path) -> list[str]:
    """Every trimmed feature once; returns one line per step for the log."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log

    exe = bundle / "pulsedeck"
    desktop = (bundle / "_internal" / "PySide6").is_dir()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULSEDECK_", "PYTHON"))
    }
    env.update(
        QT_QPA_PLATFORM="offscreen",
        HOME=str(work / "home"),
        XDG_DATA_HOME=str(work / "xdg"),
        XDG_CONFIG_HOME=str(work / "xdg-config"),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )
    athlete, coach = work / "athlete", work / "coach"
    done: list[str] = []

    def step(name: str, *args: str, home: Path = athlete) -> str:
        started = time.monotonic()
        out = run(exe, {**env, "PULSEDECK_HOME": str(home)}, *args)
        done.append(f"{name} ({time.monotonic() - started:.1f} s)")
        return out

    step("record", "record", "--simulate", "--duration", "3", "--route", "loop", "-q", "--json")
    sessions = json.loads(step("sessions list", "sessions", "list", "--json"))
    sid = str(sessions[0]["id"])
    exports = work / "exports"
    exports.mkdir()
    for fmt in ("fit", "parquet", "xlsx", "gpx", "csv"):
        step(f"export {fmt}", "export", "session", sid, "--format", fmt, "-o", str(exports))
    step("import fit", "import", str(exports / f"session-{sid}.fit"), home=coach)
    step("hrv", "hrv", sid)
    if "Squat" not in step("exercises search", "exercises", "search", "sqat"):
        raise Failed("exercises search 'sqat' did not find Squat")

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        lake = ("--bucket", "lake", "--prefix", "p", "--endpoint-url", url, "--region", "us-east-1")
        import boto3

        boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket="lake")
        pushed = json.loads(step("lake push", "lake", "push", *lake, "--json"))
        if pushed.get("done", 0) < 1:
            raise Failed(f"lake push pushed nothing: {pushed}")
        status = json.loads(step("lake status", "lake", "status", "--json"))
        lake_id = status["athletes"][0]["lake_id"]
        pulled = json.loads(
            step("lake pull", "lake", "pull", "--athlete", lake_id, *lake, "--json", home=coach)
        )
        if pulled.get("imported", 0) < 1:
            raise Failed(f"lake pull imported nothing: {pulled}")
    finally:
        server.stop()

    if desktop:
        shots = work / "shots"
        shots.mkdir()
        for screen in SCREENS:
            for theme in THEMES:
                out = shots / f"{screen}-{theme}.png"
                run(
                    exe,
                    {**env, "PULSEDECK_HOME": str(work / "demo")},
                    "screenshot",
                    "--screen",
                    screen,
                    "--theme",
                    theme,
                    "--demo",
                    "--out",
                    str(out),
                )
                if out.stat().st_size < 5000:
                    raise Failed(f"screenshot {screen}/{theme}: {out.stat().st_size} bytes")
        done.append(f"screenshots ({len(SCREENS)} screens x {len(THEMES)} themes)")
    return done


def main(argv: list[str]) -> int:
    """Exercise the bundle named on the command line; 0 when every step passed."""
    if len(argv) != 1 or not (Path(argv[0]) / "pulsedeck").is_file():
        print("usage: exercise-bundle.py BUNDLE_DIR (containing the pulsedeck executable)")
        return 2
    with tempfile.TemporaryDirectory(prefix="pulsedeck-exercise-") as tmp:
        try:
            done = exercise(Path(argv[0]).resolve(), Path(tmp))
        except Failed as exc:
            print(f"exercise-bundle: FAILED {exc}", file=sys.stderr)
            return 1
    print("exercise-bundle ok: " + ", ".join(done))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
