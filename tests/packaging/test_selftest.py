"""`pulsedeck --self-test`: real checks on real files; failures are named, never passed over."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from app import selftest
from app.selftest import CheckFailed, CheckResult, Context

ROOT = Path(__file__).resolve().parents[2]


def _png(pixels: list[list[tuple[int, int, int]]], filters: list[int]) -> bytes:
    """An RGB PNG with the given row filters, encoded here (not by the decoder under test)."""
    height, width = len(pixels), len(pixels[0])
    raw = bytearray()
    prior = [0] * (width * 3)
    for row, kind in zip(pixels, filters, strict=True):
        flat = [c for px in row for c in px]
        out = []
        for i, x in enumerate(flat):
            a = flat[i - 3] if i >= 3 else 0
            b = prior[i]
            c = prior[i - 3] if i >= 3 else 0
            if kind == 0:
                pred = 0
            elif kind == 1:
                pred = a
            elif kind == 2:
                pred = b
            elif kind == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out.append((x - pred) & 0xFF)
        raw += bytes([kind, *out])
        prior = flat

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw)))
        + chunk(b"IEND", b"")
    )


def _gradient(width: int, height: int) -> list[list[tuple[int, int, int]]]:
    return [
        [(x * 40 % 256, y * 70 % 256, (x * y) % 256) for x in range(width)] for y in range(height)
    ]


@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4])
def test_png_decoder_undoes_every_row_filter(kind: int) -> None:
    pixels = _gradient(6, 5)
    distinct = len({px for row in pixels for px in row})
    width, height, colours = selftest.png_summary(_png(pixels, [kind] * 5), enough=10**6)
    assert (width, height, colours) == (6, 5, distinct)


def test_png_decoder_sees_a_flat_image_as_one_colour() -> None:
    flat = [[(30, 60, 90)] * 8 for _ in range(4)]
    assert selftest.png_summary(_png(flat, [0, 1, 2, 4])) == (8, 4, 1)


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda d: b"GIF89a" + d[6:], "not a PNG"),
        (lambda d: d[:40], "truncated"),
        (lambda d: d.replace(b"IHDR", b"IHDX"), "no IHDR"),
    ],
)
def test_png_decoder_rejects_damaged_files(mangle, message: str) -> None:  # noqa: ANN001
    good = _png(_gradient(4, 3), [1, 2, 4])
    with pytest.raises(ValueError, match=message):
        selftest.png_summary(mangle(good))


def test_require_names_what_is_missing() -> None:
    with pytest.raises(CheckFailed, match=r"^app\.no_such_module is missing$"):
        selftest.require("app.no_such_module")
    with pytest.raises(CheckFailed, match=r"^app\.selftest\.no_such_function is missing$"):
        selftest.require("app.selftest", "no_such_function")


def test_require_tells_a_broken_dependency_from_a_missing_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pulsedeck_selftest_probe.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(CheckFailed, match="pulsedeck_selftest_probe cannot import no_such_dep"):
        selftest.require("pulsedeck_selftest_probe")


def test_a_missing_module_fails_its_check_and_the_rest_still_run(tmp_path: Path) -> None:
    def needs_missing(ctx: Context) -> str:
        selftest.require("sync.not_built_yet", "export")
        return "unreachable"

    results = selftest.run_checks(
        [("later", needs_missing), ("database", selftest.check_database)], tmp_path
    )
    assert (results[0].name, results[0].ok) == ("later", False)
    assert results[0].detail == "sync.not_built_yet is missing"
    assert results[1].ok and results[1].detail.startswith("schema ")


def test_a_crashing_check_is_reported_with_its_error(tmp_path: Path) -> None:
    def crashes(ctx: Context) -> str:
        raise RuntimeError("disk\nexploded")

    (result,) = selftest.run_checks([("boom", crashes)], tmp_path)
    assert not result.ok and result.detail == "RuntimeError: disk exploded"


def test_report_is_one_line_naming_failures() -> None:
    ok = CheckResult("database", True, "schema 0001", 0.1)
    bad = CheckResult("gui", False, "app.ui.main is missing", 0.0)
    assert selftest.format_report([ok], 1.25) == (
        "pulsedeck self-test ok in 1.2 s: database (schema 0001)"
    )
    line = selftest.format_report([ok, bad], 2.0)
    assert line == "pulsedeck self-test FAILED: gui (app.ui.main is missing); passed: database"
    assert "\n" not in line


def test_network_and_radio_are_refused_and_fail_the_run(tmp_path: Path) -> None:
    """Only a local socket file is used: if the guard failed, nothing would leave the machine."""
    bus = tmp_path / "system_bus_socket"  # the name BlueZ's D-Bus socket has

    def talks_to_bluez(ctx: Context) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            try:
                sock.connect(str(bus))
            except OSError:
                pass  # a library swallowing the error must not hide the attempt
        return "looked fine"

    results = selftest.run_checks([("radio", talks_to_bluez)], tmp_path)
    assert results[0].ok  # the check itself swallowed the error...
    assert results[-1].name == "offline" and not results[-1].ok  # ...the guard did not
    assert "radio: D-Bus system bus" in results[-1].detail
    # The guard is off again outside the self-test.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock, pytest.raises(OSError) as err:
        sock.connect(str(bus))
    assert "offline" not in str(err.value)


@pytest.mark.parametrize(
    ("target", "verdict"),
    [
        (("127.0.0.1", 80), None),
        (("::1", 80, 0, 0), None),
        (("localhost", 443), None),
        ("/run/user/1000/bus", None),
        ("/run/dbus/system_bus_socket", "radio: D-Bus system bus (BlueZ)"),
        (("169.254.169.254", 80), "network: 169.254.169.254:80"),
        ("api.strava.com", "network: api.strava.com"),
    ],
)
def test_what_counts_as_leaving_the_machine(target: object, verdict: str | None) -> None:
    assert selftest._forbidden_target(target) == verdict


def test_isolation_points_user_dirs_into_the_work_dir_and_restores_them(tmp_path: Path) -> None:
    import keyring
    from keyring.backends.null import Keyring as NullKeyring

    before_env = dict(os.environ)
    before_keyring = keyring.get_keyring()
    with selftest.isolated_environment(tmp_path):
        assert os.environ["PULSEDECK_HOME"] == str(tmp_path / "data")
        assert os.environ["XDG_CONFIG_HOME"].startswith(str(tmp_path))
        assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
        assert isinstance(keyring.get_keyring(), NullKeyring)
        assert keyring.get_password("pulsedeck", "strava") is None
    assert dict(os.environ) == before_env
    assert keyring.get_keyring() is before_keyring


def test_user_data_inside_the_program_dir_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A frozen app whose user dir resolved into its own folder would lose data on upgrade."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "bundle" / "share"))
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    with pytest.raises(CheckFailed, match="inside the program dir"):
        selftest.check_paths(Context(tmp_path))


def test_recorded_session_feeds_gpx_and_parquet(tmp_path: Path) -> None:
    """The data checks on a real store: 2 s through the recorder, then GPX and Parquet."""
    checks = [
        ("database", selftest.check_database),
        ("record", selftest.check_record),
        ("gpx", selftest.check_gpx),
        ("parquet", selftest.check_parquet),
    ]
    results = selftest.run_checks(checks, tmp_path)
    assert [(r.name, r.ok) for r in results] == [(name, True) for name, _ in checks], results
    samples = int(results[1].detail.split()[0])
    assert samples >= 4
    assert results[2].detail == f"{samples} track points"
    assert results[3].detail == f"{samples} rows"


def test_cli_self_test_end_to_end(tmp_path: Path) -> None:
    """`pulsedeck --self-test` as a user runs it: one line, exit 0, user data untouched."""
    home = tmp_path / "home"
    env = {
        **os.environ,
        "PULSEDECK_HOME": str(home),
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "--self-test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout + proc.stderr
    assert proc.returncode == 0, lines[0] + proc.stderr[-2000:]
    for name in ("imports", "database", "record", "gui", "gpx", "parquet", "s3"):
        assert f"{name} (" in lines[0]
    assert not home.exists()  # everything happened in a temporary directory
