"""Entry script of the frozen app: PyInstaller needs a file, the behaviour lives in app.cli.

`run` is the same console entry pip installs as `pulsedeck` (it also makes `| head` quiet).
"""

from app.entry import run

if __name__ == "__main__":
    run()
