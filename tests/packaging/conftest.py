"""Load packaging/pulsedeck.spec without building: its computed lists are what we check."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "pulsedeck.spec"


@dataclass
class SpecRun:
    """What the spec handed to PyInstaller's build steps, plus its module-level names."""

    analysis: dict[str, Any]
    datas: list[tuple[str, str, str]]
    binaries: list[tuple[str, str, str]]
    exe: dict[str, Any] = field(default_factory=dict)
    collect: dict[str, Any] = field(default_factory=dict)
    namespace: dict[str, Any] = field(default_factory=dict)


class _Analysis:
    """Stands in for PyInstaller's Analysis, which would trace every import (minutes).

    It records the arguments; the spec's post-filters run on the lists given here.
    """

    def __init__(self, scripts: list[str], **kwargs: Any) -> None:
        self.kwargs = {"scripts": scripts, **kwargs}
        self.datas = [(dest_dir_join(src, dest), src, "DATA") for src, dest in kwargs["datas"]]
        self.binaries: list[tuple[str, str, str]] = []
        self.pure: list[tuple[str, str, str]] = []
        self.scripts: list[Any] = []


def dest_dir_join(src: str, dest_dir: str) -> str:
    return f"{dest_dir}/{Path(src).name}".lstrip("./")


@pytest.fixture(scope="session")
def spec() -> SpecRun:
    """Execute the spec with recording stand-ins for Analysis/PYZ/EXE/COLLECT/BUNDLE.

    The helpers it calls (collect_submodules, copy_metadata) are PyInstaller's real ones.
    """
    return run_spec()


def run_spec() -> SpecRun:
    """The spec executed as PyInstaller would, for the bundle PULSEDECK_BUNDLE names."""
    calls: dict[str, Any] = {}

    def record(name: str):  # noqa: ANN202 - tiny factory of recorders
        def build_step(*args: Any, **kwargs: Any) -> dict[str, Any]:
            calls[name] = {"args": args, **kwargs}
            return calls[name]

        return build_step

    namespace: dict[str, Any] = {
        "__file__": str(SPEC),
        "SPECPATH": str(PACKAGING),
        "Analysis": _Analysis,
        "PYZ": record("PYZ"),
        "EXE": record("EXE"),
        "COLLECT": record("COLLECT"),
        "BUNDLE": record("BUNDLE"),
    }
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    analysis = namespace["a"]
    return SpecRun(
        analysis=analysis.kwargs,
        datas=analysis.datas,
        binaries=analysis.binaries,
        exe=calls["EXE"],
        collect=calls["COLLECT"],
        namespace=namespace,
    )
