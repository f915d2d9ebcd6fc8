"""The per-OS packaging files: desktop entry, Debian control, Info.plist, Inno Setup, scripts."""

from __future__ import annotations

import configparser
import plistlib
import re
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def test_icon_is_a_square_svg_with_rendered_platform_icons() -> None:
    root = ET.parse(PACKAGING / "icons" / "pulsedeck.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == root.get("height")
    png = (PACKAGING / "icons" / "pulsedeck-256.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert (PACKAGING / "windows" / "pulsedeck.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert (PACKAGING / "macos" / "pulsedeck.icns").read_bytes()[:4] == b"icns"


def test_desktop_entry_launches_the_installed_command() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(PACKAGING / "linux" / "pulsedeck.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"] == "pulsedeck"  # the CLI takes no file arguments (no %F)
    assert section["Icon"] == "pulsedeck"  # matches hicolor/.../apps/pulsedeck.svg
    assert section["Terminal"] == "false"
    assert section["Categories"].endswith(";")
    script = (PACKAGING / "build-linux.sh").read_text(encoding="utf-8")
    assert "usr/share/icons/hicolor/scalable/apps" in script
    assert 'ln -s ../../opt/pulsedeck/pulsedeck "$root/usr/bin/pulsedeck"' in script
    if shutil.which("desktop-file-validate"):  # Debian: desktop-file-utils
        subprocess.run(
            ["desktop-file-validate", str(PACKAGING / "linux" / "pulsedeck.desktop")], check=True
        )


def test_debian_control_template() -> None:
    text = (PACKAGING / "linux" / "control.in").read_text(encoding="utf-8")
    fields = dict(
        line.split(": ", 1) for line in text.splitlines() if line and not line.startswith(" ")
    )
    assert fields["Package"] == "pulsedeck"
    for placeholder in ("@VERSION@", "@ARCH@", "@SIZE_KB@", "@GLIBC@"):
        assert placeholder in text
    depends = fields["Depends"]
    # Qt's xcb platform plugin needs these and PyInstaller does not bundle them.
    for package in ("libxcb-icccm4", "libxcb-keysyms1", "libxcb-cursor0", "libgl1", "libegl1"):
        assert package in depends
    assert "bluez" in fields["Recommends"]
    assert text.endswith("\n")


def test_maintainer_scripts_are_executable_posix_shell() -> None:
    for name in ("postinst", "postrm"):
        path = PACKAGING / "linux" / name
        assert path.stat().st_mode & 0o111
        assert path.read_text(encoding="utf-8").startswith("#!/bin/sh")
        subprocess.run(["sh", "-n", str(path)], check=True)


@pytest.mark.parametrize("script", ["build-linux.sh", "macos/build-macos.sh"])
def test_build_scripts_parse_and_stop_on_errors(script: str) -> None:
    path = PACKAGING / script
    assert path.stat().st_mode & 0o111
    assert "set -euo pipefail" in path.read_text(encoding="utf-8")
    subprocess.run(["bash", "-n", str(path)], check=True)
    if shutil.which("shellcheck"):
        subprocess.run(["shellcheck", "-S", "warning", str(path)], check=True)


def test_bundle_smoke_test_tolerates_only_listed_stderr_lines() -> None:
    script = (PACKAGING / "build-linux.sh").read_text(encoding="utf-8")
    assert '"$BUNDLE/pulsedeck" --self-test' in script
    assert "grep -v -x -F -f packaging/benign-stderr.txt" in script
    benign = (PACKAGING / "benign-stderr.txt").read_text(encoding="utf-8").splitlines()
    assert benign and all(line.strip() for line in benign)
    assert not any("Traceback" in line or "Error" in line for line in benign)


def test_build_linux_help_runs_without_building() -> None:
    proc = subprocess.run(
        ["bash", str(PACKAGING / "build-linux.sh"), "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "dist/pulsedeck/" in proc.stdout
    bad = subprocess.run(
        ["bash", str(PACKAGING / "build-linux.sh"), "--frobnicate"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "unknown option" in bad.stderr


def test_info_plist_declares_bluetooth_use() -> None:
    info = plistlib.loads((PACKAGING / "macos" / "Info.plist").read_bytes())
    assert "Bluetooth" in info["NSBluetoothAlwaysUsageDescription"]
    assert info["NSLocalNetworkUsageDescription"]
    assert info["CFBundleExecutable"] == "pulsedeck"  # the spec's EXE name
    assert info["CFBundleIconFile"] == "pulsedeck.icns"
    assert re.fullmatch(r"[A-Za-z0-9.-]+", info["CFBundleIdentifier"])
    entitlements = plistlib.loads((PACKAGING / "macos" / "entitlements.plist").read_bytes())
    assert entitlements["com.apple.security.device.bluetooth"] is True


def test_inno_setup_script_installs_the_bundle() -> None:
    iss = (PACKAGING / "windows" / "pulsedeck.iss").read_text(encoding="utf-8")
    sections = set(re.findall(r"^\[(\w+)\]", iss, flags=re.M))
    assert {"Setup", "Files", "Icons"} <= sections
    assert re.search(r"^AppId=\{\{[0-9A-F-]{36}\}", iss, flags=re.M)
    assert r'Source: "..\..\dist\pulsedeck\*"' in iss
    assert "recursesubdirs" in iss
    assert "pulsedeck-gui.exe" in iss  # the windowed twin the spec builds on Windows
    assert "PrivilegesRequired=lowest" in iss
    assert "SetupIconFile=pulsedeck.ico" in iss


def test_versions_come_from_pyproject() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert version
    for script in ("build-linux.sh", "macos/build-macos.sh"):
        assert 'tomllib.load(open("pyproject.toml", "rb"))' in (PACKAGING / script).read_text()
