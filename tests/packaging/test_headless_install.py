"""`pip install pulsedeck` (no desktop extra) is a working edge box: no Qt, every command.

A fresh virtual environment gets the project without extras; the CLI then records, lists,
prints the lake's DDL and passes its self-test, and PySide6, shiboken6 and pyqtgraph are
neither installed nor imported. Skipped with the reason when pip cannot reach an index.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QT = ("PySide6", "shiboken6", "pyqtgraph")
OFFLINE_HINTS = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "No matching distribution found",
    "Could not find a version",
)

# Runs a CLI command in-process, then fails if any Qt module was imported along the way.
RUN_CLI = """
import json, sys
from app.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {qt!r})
print(json.dumps({{"code": code, "qt": loaded}}), file=sys.stderr)
"""


@pytest.fixture(scope="module")
def headless_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("headless") / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True)  # type: ignore[attr-defined]
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-e", str(ROOT)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if done.returncode != 0:
        if any(hint in done.stderr for hint in OFFLINE_HINTS):
            pytest.skip(f"cannot install the dependencies (offline?): {done.stderr[-300:]}")
        pytest.fail(f"pip install failed:\n{done.stderr[-2000:]}")
    return venv


def _cli(venv: Path, *args: str, data: Path) -> tuple[int, str, str]:
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", RUN_CLI.format(qt=QT), "--data-dir", str(data), *args],
        capture_output=True, text=True, timeout=300, cwd=data.parent,
    )  # fmt: skip
    *rest, last = done.stderr.rstrip("\n").split("\n")
    result = json.loads(last)
    assert result["qt"] == [], f"{args} imported {result['qt']}"
    return int(result["code"] or 0), done.stdout, "\n".join(rest)


@pytest.mark.slow
def test_headless_install_has_no_qt(headless_venv: Path) -> None:
    probe = f"import importlib.util as u; print([m for m in {QT!r} if u.find_spec(m)])"
    out = subprocess.run(
        [str(headless_venv / "bin" / "python"), "-c", probe], capture_output=True, text=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


@pytest.mark.slow
def test_headless_cli_works_and_never_imports_qt(headless_venv: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, out, err = _cli(headless_venv, "record", "--simulate", "--duration", "2", "--rate", "4",
                          "--seed", "1", "--json", "-q", data=data)  # fmt: skip
    assert code == 0, err
    assert json.loads(out)  # the session summary
    code, out, err = _cli(headless_venv, "sessions", "list", "--json", data=data)
    assert code == 0 and len(json.loads(out)) == 1, err
    code, out, err = _cli(headless_venv, "lake", "ddl", "--bucket", "b", data=data)
    assert code == 0 and "CREATE EXTERNAL TABLE" in out, err
    code, out, err = _cli(headless_venv, "service", "install", "--user", "--sync", "--print",
                          data=data)  # fmt: skip
    assert code == 0 and "sync run --forever" in out, err
    code, out, err = _cli(headless_venv, "--self-test", data=data)
    assert code == 0 and "gui (skipped: headless install" in out, out + err


@pytest.mark.slow
def test_bare_pulsedeck_says_how_to_get_the_app(headless_venv: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(headless_venv / "bin" / "pulsedeck"), "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "pip install 'pulsedeck[desktop]'" in done.stderr
    assert done.stdout == ""
