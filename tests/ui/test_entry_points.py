"""run_gui, the offscreen renders used by --self-test and `pulsedeck screenshot`, no display."""

from __future__ import annotations

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


def test_run_gui_quits_after_first_paint(qtbot, data_dir, monkeypatch) -> None:  # noqa: ANN001
    from app.ui.main import run_gui

    monkeypatch.setenv("PULSEDECK_QUIT_AFTER_SHOW", "1")
    assert run_gui(data_dir) == 0
    assert (data_dir / "pulsedeck.db").exists()


def test_no_display_says_so_and_points_to_headless_commands(data_dir, monkeypatch, capsys) -> None:  # noqa: ANN001
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


def test_render_main_window_png(qtbot, data_dir, tmp_path) -> None:  # noqa: ANN001
    from app.ui.main import render_main_window_png

    out = tmp_path / "main.png"
    render_main_window_png(data_dir, out)
    assert _png_size(out) == (1280, 800)


def test_render_every_screen_with_demo_data(qtbot, data_dir, tmp_path) -> None:  # noqa: ANN001
    from app.ui.main import render_screens_png

    outputs = {name: tmp_path / f"{name}.png" for name in SCREENS}
    render_screens_png(data_dir, outputs, 1024, 700, demo=True, theme="dark")
    for name, out in outputs.items():
        assert _png_size(out) == (1024, 700), name


def test_unknown_screen_is_a_clear_error(data_dir, tmp_path) -> None:  # noqa: ANN001
    from app.ui.main import render_screen_png

    with pytest.raises(ValueError, match="unknown screen 'charts'"):
        render_screen_png(data_dir, "charts", tmp_path / "x.png")
