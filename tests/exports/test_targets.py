"""Issue 16 #9: exports never clobber what is not theirs (FIFOs, sockets, links, files).

No root needed: a FIFO (os.mkfifo) and a Unix socket stand in for device nodes such as
/dev/null, which a root user's `export -o /dev/null` used to replace with a regular file.
"""

from __future__ import annotations

import os
import socket
import stat
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from sync.exports.common import TargetRefused
from sync.exports.session import export_session
from tests.lake.factory import record_session

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")


@pytest.fixture
def sid(store) -> int:
    return record_session(store, n=30)


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    yield
    os.umask(old)


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], words: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and words in err and "Traceback" not in err


def _no_leftovers(directory: Path) -> None:
    assert not list(directory.glob(".*.tmp"))


def test_a_fifo_is_never_replaced(sid, tmp_path, capsys) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for argv in (
        ["export", "session", str(sid), "-o", str(fifo), "--force"],
        ["export", "daily", "-o", str(fifo), "--force"],
    ):
        _refused(argv, capsys, "not a regular file")
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    with pytest.raises(TargetRefused):  # the library refuses too (the GUI calls it)
        export_session_to(sid, fifo)
    _no_leftovers(tmp_path)


def export_session_to(sid: int, path: Path) -> None:
    from app.store.repo import Store

    store = Store.open(Path(os.environ["PULSEDECK_HOME"]))
    try:
        export_session(store, sid, "csv", path, force=True)
    finally:
        store.close()


def test_a_socket_is_never_replaced(sid, tmp_path, capsys) -> None:
    path = tmp_path / "s.xlsx"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        _refused(["export", "xlsx", "-o", str(path), "--force"], capsys, "not a regular file")
        assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_a_symlink_is_refused_and_its_target_untouched(sid, tmp_path, capsys) -> None:
    real = tmp_path / "notes.txt"
    real.write_text("mine")
    link = tmp_path / "run.tcx"
    link.symlink_to(real)
    dangling = tmp_path / "gone.csv"
    dangling.symlink_to(tmp_path / "nowhere")
    _refused(["export", "session", str(sid), "-o", str(link), "--force"], capsys, "symbolic link")
    _refused(["export", "daily", "-o", str(dangling), "--force"], capsys, "symbolic link")
    assert link.is_symlink() and real.read_text() == "mine"
    assert dangling.is_symlink() and not (tmp_path / "nowhere").exists()


def test_an_existing_file_is_replaced_only_with_force(sid, tmp_path, capsys) -> None:
    out = tmp_path / "run.csv"
    out.write_text("precious")
    _refused(["export", "session", str(sid), "-o", str(out)], capsys, "--force")
    assert out.read_text() == "precious"
    assert main(["export", "session", str(sid), "-o", str(out), "--force"]) == 0
    assert out.read_text().startswith("time_utc,")
    _no_leftovers(tmp_path)


def test_the_file_gets_the_umask_mode(sid, tmp_path, umask_027) -> None:
    for fmt in ("csv", "tcx", "xlsx"):
        out = tmp_path / f"run.{fmt}"
        assert main(["export", "session", str(sid), "-o", str(out)]) == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o640, fmt


def test_missing_directories_are_not_created(sid, tmp_path, capsys) -> None:
    out = tmp_path / "no" / "such" / "run.csv"
    _refused(["export", "session", str(sid), "-o", str(out)], capsys, "does not exist")
    _refused(["export", "all", "-o", str(tmp_path / "nope" / "me.zip")], capsys, "does not exist")
    assert not (tmp_path / "no").exists() and not (tmp_path / "nope").exists()


def test_a_directory_means_the_default_name_inside_it(sid, tmp_path, capsys) -> None:
    assert main(["export", "session", str(sid), "--format", "gpx", "-o", str(tmp_path)]) == 0
    assert (tmp_path / f"session-{sid}.gpx").read_text().startswith("<?xml")
    assert main(["export", "daily", "-o", str(tmp_path)]) == 0
    assert (tmp_path / "pulsedeck-daily.csv").read_text().startswith("date,")
    assert main(["export", "xlsx", "-o", str(tmp_path)]) == 0
    assert (tmp_path / "pulsedeck.xlsx").stat().st_size > 0
    # The GPX said what it could not hold (this session has power); nothing else was said.
    assert capsys.readouterr().err.startswith("note: GPX dropped power from ")
    # The default name inside a directory is not clobbered either.
    _refused(["export", "daily", "-o", str(tmp_path)], capsys, "--force")


def test_the_format_comes_from_the_extension_or_a_mismatch_is_refused(
    sid, tmp_path, capsys
) -> None:
    tcx = tmp_path / "run.tcx"
    assert main(["export", "session", str(sid), "-o", str(tcx)]) == 0
    assert ET.parse(tcx).getroot().tag.endswith("TrainingCenterDatabase")
    fit = tmp_path / "run.fit"
    assert main(["export", "session", str(sid), "-o", str(fit)]) == 0
    assert fit.read_bytes()[8:12] == b".FIT"
    other = tmp_path / "other.tcx"
    _refused(["export", "session", str(sid), "--format", "csv", "-o", str(other)], capsys, "tcx")
    _refused(["export", "session", str(sid), "-o", str(tmp_path / "run.txt")], capsys, "--format")
    _refused(["export", "xlsx", "-o", str(tmp_path / "book.csv")], capsys, "csv")
    assert not other.exists() and not (tmp_path / "book.csv").exists()
    # An unknown extension is fine when the format is given.
    assert (
        main(["export", "session", str(sid), "--format", "csv", "-o", str(tmp_path / "r.txt")]) == 0
    )
