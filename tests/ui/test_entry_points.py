"""run_gui, the offscreen renders used by --self-test and `pulsedeck screenshot`, no display."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.ui.viewmodels import SCREENS

pytestmark = pytest.mark.gui


def test_importing_the_entry_module_does_not_load_qt() -> None:
    code = "import sys, app.ui.main; print('PySide6' in sys.modules, 'pyqtgraph' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[2])  # fmt: skip
    assert out.stdout.split() == ["False", "False"]


#: Child process: run_gui on argv[1], with an application-wide filter that notes, at the first
#: paint of any widget, which heavy modules were loaded; prints that note and the state at exit.
RUN_GUI_SPY = """
import json, sys
from pathlib import Path
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication
from app.ui.main import run_gui

HEAVY = ("sqlalchemy", "alembic", "app.store.repo", "app.store.models", "pyqtgraph")
seen = {}

class Spy(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "first_paint" not in seen:
            seen["first_paint"] = [m for m in HEAVY if m in sys.modules]
        return False

app = QApplication(sys.argv[:1])  # run_gui reuses this application
spy = Spy()
app.installEventFilter(spy)
code = run_gui(Path(sys.argv[1]))
seen["at_exit"] = [m for m in HEAVY if m in sys.modules]
print(json.dumps(seen))
sys.exit(code)
"""


def _run_gui_child(data_dir: Path, quit_after: str) -> dict[str, list[str]]:
    # A child process: run_gui drives the real QApplication event loop and quits it.
    env = {**os.environ, "PULSEDECK_QUIT_AFTER_SHOW": quit_after, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", RUN_GUI_SPY, str(data_dir)],
        capture_output=True, text=True, env=env, cwd=Path(__file__).parents[2], timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_first_paint_needs_no_sqlalchemy_and_quits(data_dir) -> None:
    # Issue 9's start-up target: the shell paints before SQLAlchemy, the store or the charts.
    seen = _run_gui_child(data_dir, "1")
    assert seen["first_paint"] == []
    assert seen["at_exit"] == []  # quitting after the first paint opened nothing more
    assert not (data_dir / "pulsedeck.db").exists()


def test_run_gui_opens_the_data_after_the_first_paint(data_dir) -> None:
    seen = _run_gui_child(data_dir, "ready")
    assert seen["first_paint"] == []
    # The same process then opened the store and built the dashboard (so the spy can fail).
    assert {"sqlalchemy", "app.store.models", "pyqtgraph"} <= set(seen["at_exit"])
    assert (data_dir / "pulsedeck.db").exists()


def test_run_gui_reports_a_store_it_cannot_open(data_dir) -> None:
    # The window shows the error, then run_gui raises it for the CLI (exit code 3).
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "pulsedeck.db").write_bytes(b"this is not a database" * 100)
    code = (
        "import sys; from pathlib import Path; from app.ui.main import run_gui\n"
        "from app.store.errors import StoreError\n"
        "try:\n    run_gui(Path(sys.argv[1]))\n"
        "except StoreError as exc:\n    print('StoreError:', exc); sys.exit(3)\n"
    )
    env = {**os.environ, "PULSEDECK_QUIT_AFTER_SHOW": "ready", "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(data_dir)],
        capture_output=True, text=True, env=env, cwd=Path(__file__).parents[2], timeout=120,
    )  # fmt: skip
    assert out.returncode == 3, out.stdout + out.stderr
    assert out.stdout.startswith("StoreError:")


def test_no_display_says_so_and_points_to_headless_commands(data_dir, monkeypatch, capsys) -> None:
    from app.ui import main

    monkeypatch.setattr(main.sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert main.run_gui(data_dir) == 1
    err = capsys.readouterr().err
    assert "no display" in err and "pulsedeck record --simulate" in err


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_render_main_window_png(qtbot, data_dir, tmp_path) -> None:
    from app.ui.main import render_main_window_png

    out = tmp_path / "main.png"
    render_main_window_png(data_dir, out)
    assert _png_size(out) == (1280, 800)


def test_render_every_screen_with_demo_data(qtbot, data_dir, tmp_path) -> None:
    from app.ui.main import render_screens_png

    outputs = {name: tmp_path / f"{name}.png" for name in SCREENS}
    render_screens_png(data_dir, outputs, 1024, 700, demo=True, theme="dark")
    for name, out in outputs.items():
        assert _png_size(out) == (1024, 700), name


def test_unknown_screen_is_a_clear_error(data_dir, tmp_path) -> None:
    from app.ui.main import render_screen_png

    with pytest.raises(ValueError, match="unknown screen 'charts'"):
        render_screen_png(data_dir, "charts", tmp_path / "x.png")


def test_screenshot_command_parses_and_renders(qtbot, data_dir, tmp_path) -> None:
    import argparse

    from app.ui import screenshot

    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=str(data_dir))
    screenshot.register(parser.add_subparsers(dest="command"))
    out = tmp_path / "goals.png"
    args = parser.parse_args(["screenshot", "--screen", "goals", "--out", str(out),
                              "--size", "1100x720"])  # fmt: skip
    assert args.func(args) == 0
    assert _png_size(out) == (1100, 720)
    with pytest.raises(SystemExit):
        parser.parse_args(["screenshot", "--screen", "charts", "--out", str(out)])
