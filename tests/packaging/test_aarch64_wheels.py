"""Every dependency installs from a binary wheel on a Raspberry Pi (linux/aarch64, glibc 2.36).

pip resolves pyproject.toml's dependencies (headless, then with the desktop extra) for
CPython 3.11 on aarch64 with `--only-binary=:all:` and the manylinux tags that Raspberry Pi
OS 12 "Bookworm" (Debian 12, glibc 2.36) accepts: a dependency without such a wheel would need
a compiler on the Pi, and the resolution fails. It is `pip install --dry-run --report`, which
reads the index's metadata only; `pip download` with the same options resolves the same set
but fetches ~250 MB of wheels. Skipped with the reason when pip cannot reach an index.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Raspberry Pi OS 12 (Bookworm) has glibc 2.36: wheels tagged manylinux_2_17 .. 2_36 install.
GLIBC_MINORS = range(17, 37)
PLATFORMS = ["manylinux2014_aarch64", *(f"manylinux_2_{m}_aarch64" for m in GLIBC_MINORS)]
OFFLINE_HINTS = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Max retries exceeded",
)


def _requirements(extras: tuple[str, ...]) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in extras:
        reqs += project["optional-dependencies"][extra]
    return reqs


def _resolve(reqs: list[str], tmp_path: Path) -> list[str]:
    """File names of the wheels pip picks for aarch64; skips when offline."""
    report = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "-q",
           "--disable-pip-version-check", "--only-binary=:all:", "--python-version", "3.11",
           "--implementation", "cp", "--abi", "cp311", "--target", str(tmp_path / "target"),
           "--report", str(report)]  # fmt: skip
    for platform in PLATFORMS:
        cmd += ["--platform", platform]
    done = subprocess.run([*cmd, *reqs], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        if any(hint in done.stderr for hint in OFFLINE_HINTS):
            pytest.skip(f"no package index reachable: {done.stderr.strip()[-300:]}")
        pytest.fail(f"no aarch64 wheels for the dependency set:\n{done.stderr[-3000:]}")
    items = json.loads(report.read_text())["install"]
    return [item["download_info"]["url"].rsplit("/", 1)[-1] for item in items]


def _check(files: list[str]) -> None:
    assert files
    for name in files:
        assert name.endswith(".whl"), name
        tags = name.removesuffix(".whl").split("-")[-1]
        assert tags == "any" or "aarch64" in tags, name


@pytest.mark.slow
def test_headless_dependencies_have_aarch64_wheels(tmp_path: Path) -> None:
    files = _resolve(_requirements(()), tmp_path)
    _check(files)
    assert not any(f.lower().startswith(("pyside6", "shiboken6", "pyqtgraph")) for f in files)
    assert any(f.startswith("pyarrow-") for f in files)


@pytest.mark.slow
def test_desktop_dependencies_have_aarch64_wheels(tmp_path: Path) -> None:
    files = _resolve(_requirements(("desktop",)), tmp_path)
    _check(files)
    # Newer PySide6 wheels for aarch64 need glibc 2.39: Bookworm gets an older Qt (6.8 today).
    assert any(f.lower().startswith("pyside6_essentials-") for f in files)
