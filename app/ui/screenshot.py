"""`pulsedeck screenshot --screen NAME --out FILE.png [--demo]`: one screen rendered offscreen.

Registered like the feature areas' commands (`register(sub)`); imports no Qt until it runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .viewmodels import SCREENS


def cmd_screenshot(args: argparse.Namespace) -> int:
    """Render the screen at 1280x800 (or --size) to a PNG; --demo fills the data dir first."""
    from app.paths import resolve_data_dir

    from .main import render_screen_png

    width, height = args.size
    render_screen_png(
        resolve_data_dir(args.data_dir),
        args.screen,
        Path(args.out),
        width,
        height,
        demo=args.demo,
        theme=args.theme,
    )
    print(args.out)
    return 0


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"size must look like 1280x800, got {text!r}") from exc
    if not (200 <= w <= 8000 and 200 <= h <= 8000):
        raise argparse.ArgumentTypeError("width and height must be 200-8000 pixels")
    return w, h


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("screenshot", help="render one screen of the desktop app to a PNG")
    p.add_argument("--screen", required=True, choices=SCREENS, help="which screen to render")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument("--demo", action="store_true", help="fill the data dir with demo data first")
    p.add_argument(
        "--theme", choices=["light", "dark", "high_contrast"], help="theme (default: the saved one)"
    )
    p.add_argument("--size", type=_size, default=(1280, 800), help="WIDTHxHEIGHT (1280x800)")
    p.set_defaults(func=cmd_screenshot)
