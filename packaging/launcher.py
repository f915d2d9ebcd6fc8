"""Entry script of the frozen app: PyInstaller needs a file, the behaviour lives in app.cli."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
