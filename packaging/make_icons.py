"""Render packaging/icons/pulsedeck.svg to the per-OS icon files (PNG, .ico, .icns) with Qt.

Run once after changing the SVG: `QT_QPA_PLATFORM=offscreen python packaging/make_icons.py`.
The outputs are committed so that a build needs no image tools.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
SVG = HERE / "icons" / "pulsedeck.svg"
OUTPUTS = {
    HERE / "icons" / "pulsedeck-256.png": ("PNG", 256),
    HERE / "windows" / "pulsedeck.ico": ("ICO", 256),  # Qt's ico writer: one 256 px image
    HERE / "macos" / "pulsedeck.icns": ("ICNS", 1024),
}


def render(size: int) -> QImage:
    """The SVG drawn at `size` x `size` on a transparent background."""
    image = QImage(QSize(size, size), QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    QSvgRenderer(str(SVG)).render(painter)
    painter.end()
    return image


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    for path, (fmt, size) in OUTPUTS.items():
        if not render(size).save(str(path), fmt):
            print(f"could not write {path} ({fmt})", file=sys.stderr)
            return 1
        print(f"{path.relative_to(HERE.parent)}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
