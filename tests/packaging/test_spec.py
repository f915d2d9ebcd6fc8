"""packaging/pulsedeck.spec lists what the frozen app loads by name and leaves out the rest.

The full bundle build is packaging/build-linux.sh (minutes); these run the spec's own code
against this checkout in seconds.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path
from typing import Any

import pyqtgraph
import pytest

from app.cli import EXTENSIONS

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "app" / "store" / "migrations"


def _spec_importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def test_entry_script_is_the_cli(spec: Any) -> None:
    """The frozen app starts where `pulsedeck` does: app.entry.run (then app.cli)."""
    (script,) = spec.analysis["scripts"]
    tree = ast.parse(Path(script).read_text(encoding="utf-8"))
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert any(n.module == "app.entry" and n.names[0].name == "run" for n in imports)
    assert str(ROOT) in spec.analysis["pathex"]


def test_every_migration_ships_where_the_store_looks_for_it(spec: Any) -> None:
    from app.store import db

    shipped = {dest for dest, _, _ in spec.datas}
    expected_dir = db.MIGRATIONS.relative_to(ROOT).as_posix()
    assert expected_dir == "app/store/migrations"
    files = [p for p in MIGRATIONS.rglob("*.py") if "__pycache__" not in p.parts]
    assert any(p.parent.name == "versions" for p in files)
    for path in files:
        assert f"app/store/{path.relative_to(ROOT / 'app' / 'store').as_posix()}" in shipped
    assert "app/store/migrations/script.py.mako" in shipped
    assert not any("__pycache__" in dest for dest in shipped)


def test_resources_and_icon_ship(spec: Any) -> None:
    shipped = {dest for dest, _, _ in spec.datas}
    assert "icons/pulsedeck.svg" in shipped
    resources = ROOT / "resources"
    for path in resources.rglob("*") if resources.is_dir() else []:
        if path.is_file() and "__pycache__" not in path.parts:
            assert f"resources/{path.relative_to(resources).as_posix()}" in shipped


def test_keyring_metadata_ships_for_backend_discovery(spec: Any) -> None:
    """keyring finds its backends through entry points: the dist-info must travel along."""
    dist_infos = [
        Path(src)
        for src, dest in spec.analysis["datas"]
        if Path(src).name.startswith("keyring-") and src.endswith(".dist-info")
    ]
    assert len(dist_infos) == 1
    assert "SecretService" in (dist_infos[0] / "entry_points.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "module",
    [
        "keyring.backends.SecretService",
        "keyring.backends.kwallet",
        "keyring.backends.libsecret",
        "keyring.backends.chainer",
        "keyring.backends.Windows",
        "keyring.backends.macOS",
        "bleak.backends.bluezdbus.client",
        "bleak.backends.bluezdbus.scanner",
        "bleak.backends.bluezdbus.manager",
        "dbus_fast.message_bus",
        "dbus_fast.aio",
        "sqlalchemy.dialects.sqlite.pysqlite",
        "alembic.op",
        "alembic.context",
        "PySide6.QtOpenGL",
        "PySide6.QtOpenGLWidgets",
        "pyqtgraph.graphicsItems.ViewBox.axisCtrlTemplate_generic",
        "pyqtgraph.graphicsItems.PlotItem.plotConfigTemplate_generic",
        "app.selftest",
        "app.ui.main",
        "device.simulator",
    ],
)
def test_modules_loaded_by_name_are_hidden_imports(spec: Any, module: str) -> None:
    assert module in spec.analysis["hiddenimports"]


def test_cli_extensions_are_hidden_imports(spec: Any) -> None:
    """app.cli loads these with __import__(name): PyInstaller cannot see them."""
    for module, _ in EXTENSIONS:
        assert module in spec.analysis["hiddenimports"], module


def test_hidden_imports_exist(spec: Any) -> None:
    """A typo in the list would silently ship a broken app; platform modules may be absent."""
    platform_only = ("keyring.backends.Windows", "keyring.backends.macOS")
    missing = [
        name
        for name in spec.analysis["hiddenimports"]
        if name not in platform_only and not _spec_importable(name)
    ]
    assert missing == []


def _qt_modules_used(package: Path) -> set[str]:
    used: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "PySide6":
                    used.update(f"PySide6.{alias.name}" for alias in node.names)
                elif node.module.startswith("PySide6."):
                    used.add(".".join(node.module.split(".")[:2]))
            elif isinstance(node, ast.Import):
                used.update(
                    ".".join(a.name.split(".")[:2])
                    for a in node.names
                    if a.name.startswith("PySide6.")
                )
    return used


def test_no_qt_module_the_app_imports_is_excluded(spec: Any) -> None:
    used = _qt_modules_used(ROOT / "app") | set(spec.namespace["PYQTGRAPH_QT"])
    excluded = set(spec.analysis["excludes"])
    assert "PySide6.QtWidgets" in used  # the scan sees the GUI's imports
    assert used & excluded == set()


def _modules_imported(root: Path) -> set[str]:
    """Every module (and its parent packages) an import statement under `root` names."""
    names: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in found:
                parts = name.split(".")
                names.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return names


def test_no_module_our_code_imports_is_excluded(spec: Any) -> None:
    """The size excludes (numpy.random, pyarrow.dataset, rich, ...) stay out of our imports."""
    used = set().union(*(_modules_imported(ROOT / pkg) for pkg in ("app", "device", "sync")))
    assert {"pyarrow.parquet", "numpy", "rapidfuzz"} <= used  # the scan sees the imports
    excluded = set(spec.analysis["excludes"]) - set(spec.namespace["HEADLESS_EXCLUDES"])
    assert used & excluded == set()


def test_qt_modules_pyqtgraph_imports_by_computed_name_ship(spec: Any) -> None:
    """pyqtgraph does importlib.import_module(f"{QT_LIB}.QtOpenGL") etc.: invisible to
    PyInstaller, and the app dies at start-up without them (seen in a real bundle)."""
    package = Path(pyqtgraph.__file__).parent
    skip = {"examples", "opengl", "jupyter", "multiprocess"}
    computed: set[str] = set()
    for path in package.rglob("*.py"):
        if skip & set(path.relative_to(package).parts):
            continue
        text = path.read_text(encoding="utf-8")
        computed.update(re.findall(r"import_module\(f[\"']\{QT_LIB\}\.(Qt\w+)[\"']\)", text))
    assert "QtOpenGL" in computed  # the scan works
    for name in computed:
        assert f"PySide6.{name}" in spec.analysis["hiddenimports"]
        assert f"PySide6.{name}" not in spec.analysis["excludes"]


def test_unused_qt_modules_are_excluded(spec: Any) -> None:
    excluded = set(spec.analysis["excludes"])
    for heavy in ("PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtWebEngineCore", "PySide6.QtPdf"):
        assert heavy in excluded
    assert "unittest" in excluded and "pytest" in excluded
    assert {"setuptools", "pkg_resources"} <= excluded  # their runtime hooks slow start-up


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/Qt/qml/QtQuick/qmldir", False),
        ("PySide6/Qt/translations/qtbase_de.qm", False),  # no QTranslator: never opened
        ("PySide6/Qt/translations/qtdeclarative_de.qm", False),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
        ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", False),
        ("pyarrow/libarrow.so.2600", True),
        ("pyarrow/libparquet.so.2600", True),
        ("pyarrow/_parquet.cpython-311-x86_64-linux-gnu.so", True),
        ("pyarrow/_compute.cpython-311-x86_64-linux-gnu.so", True),
        ("pyarrow/libarrow_flight.so.2600", False),
        ("pyarrow/include/arrow/api.h", False),
        ("pyarrow/_dataset.pyx", False),
        ("botocore/data/s3/2006-03-01/service-2.json.gz", True),
        ("botocore/data/sts/2011-06-15/service-2.json.gz", True),
        ("botocore/data/ec2/2016-11-15/service-2.json.gz", False),
        ("botocore/data/endpoints.json.gz", True),
        ("app/store/migrations/env.py", True),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", True),
        ("libgtk-3.so.0", False),
        ("libcairo.so.2", False),
        ("libglib-2.0.so.0", True),  # Qt's event loop
        ("libX11.so.6", True),  # the xcb platform plugin
        ("libX11-xcb.so.1", True),
        ("PySide6\\qml\\QtQuick\\qmldir", False),  # Windows layout
        ("PySide6\\translations\\qtbase_fr.qm", False),
        ("PySide6\\translations\\qt_help_fr.qm", False),
        ("PySide6\\plugins\\platforms\\qwindows.dll", True),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),  # no window system: not a desktop
        ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
        ("PySide6/Qt/plugins/platforms/libqminimal.so", True),
        ("PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so", False),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", True),  # the app's icons
        ("PySide6/Qt/plugins/imageformats/libqjpeg.so", False),
        ("PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so", True),
        ("pyarrow/libarrow_python.so.2600", True),  # the name the libraries load
        ("pyarrow/libarrow_python.so.2600.1.0", False),  # the wheel's two extra copies
        ("pyarrow/libarrow_python.so", False),
        ("PySide6/Qt/lib/libQt6Network.so.6", False),  # nothing in the bundle links it
        ("libgssapi_krb5.so.2", False),  # only QtNetwork's
        ("libgio-2.0.so.0", False),  # nothing in the bundle links it
        ("PySide6/Qt/lib/libQt6EglFsKmsSupport.so.6", False),
        ("PySide6/Qt/lib/libQt6WaylandClient.so.6", True),  # Wayland desktops
        ("PySide6/Qt/lib/libQt6Svg.so.6", True),
        ("libxkbcommon.so.0", True),
    ],
)
def test_size_filter(spec: Any, dest: str, kept: bool) -> None:
    assert spec.namespace["_keep"](dest) is kept


def test_links_to_dropped_files_are_dropped_too(spec: Any) -> None:
    toc = [
        ("libarrow.so.2600", "pyarrow/libarrow.so.2600", "SYMLINK"),
        ("libarrow_flight.so.2600", "pyarrow/libarrow_flight.so.2600", "SYMLINK"),
        ("pyarrow/libarrow.so.2600", "/venv/pyarrow/libarrow.so.2600", "BINARY"),
    ]
    kept = {"pyarrow/libarrow.so.2600"}
    assert spec.namespace["_without_dangling_links"](toc, kept) == [toc[0], toc[2]]


def test_executable_is_a_one_folder_console_app(spec: Any) -> None:
    assert spec.exe["name"] == "pulsedeck"
    assert spec.exe["exclude_binaries"] is True  # one folder: fast start, no unpacking
    assert spec.exe["console"] is True
    assert spec.exe["upx"] is False


def test_pyinstaller_strips_nothing_and_pillow_stays_out(spec: Any) -> None:
    # build-linux.sh strips, skipping auditwheel's patched libraries that strip would break.
    assert spec.exe["strip"] is False and spec.collect["strip"] is False
    assert "PIL" in spec.analysis["excludes"]  # the app never reads images with it


def test_headless_bundle_leaves_out_qt(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.packaging.conftest import run_spec

    monkeypatch.setenv("PULSEDECK_BUNDLE", "headless")
    headless = run_spec()
    assert {"PySide6", "shiboken6", "pyqtgraph"} <= set(headless.analysis["excludes"])
    assert "numpy" not in headless.analysis["excludes"]  # sync.files.fit uses it
    assert not [
        m for m in headless.analysis["hiddenimports"] if m.startswith(("PySide6", "pyqtgraph"))
    ]
    assert headless.collect["name"] == "pulsedeck-headless"
    assert headless.exe["name"] == "pulsedeck"
    assert "app.ui.screenshot" in headless.analysis["hiddenimports"]  # registers a command
