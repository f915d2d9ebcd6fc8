"""A headless `record` loads only what recording needs (issue 23: <= 80 MB RSS on an edge box).

keyring + cryptography (~10 MB resident) came in through the strava and lake commands' error
tables, rapidfuzz (~4 MB) through the exercise catalog, while the parser was built; Alembic
(~12 MB with mako and pygments) is for a database that needs migrating only.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Run `pulsedeck ARGS` and print, at exit, which of these top-level packages it loaded.
PROBE = """
import atexit, runpy, sys
HEAVY = ("keyring", "cryptography", "rapidfuzz", "alembic", "pyarrow", "numpy", "httpx",
         "boto3", "PySide6")
atexit.register(lambda: print("LOADED", sorted({m.split(".")[0] for m in sys.modules} &
                                             set(HEAVY))))
sys.argv = ["pulsedeck", *sys.argv[1:]]
runpy.run_module("app.cli", run_name="__main__")
"""


def loaded_by_record(data_dir: Path) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PULSEDECK_NO_BACKGROUND_SYNC": "1"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "--data-dir", str(data_dir), "record", "--simulate",
         "--duration", "1", "--quiet", "--seed", "1"],
        capture_output=True, text=True, env=env, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    [line] = [ln for ln in out.stdout.splitlines() if ln.startswith("LOADED")]
    return list(ast.literal_eval(line.removeprefix("LOADED ")))


def test_a_headless_record_loads_no_keyring_fuzzy_search_arrow_or_http(tmp_path: Path) -> None:
    first = loaded_by_record(tmp_path / "data")
    assert first == ["alembic"]  # the new database is migrated: Alembic, and only it
    again = loaded_by_record(tmp_path / "data")
    assert again == []  # at the head revision no migration tool is loaded either
