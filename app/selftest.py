"""`pulsedeck --self-test`: prove an installation (source or frozen bundle) works offline.

Each check is a small function over a shared `Context` that returns a short detail or raises.
A check whose module is not there fails naming the missing part; it never passes. Everything
happens in a temporary directory with the user's dirs, keyring and network out of reach:
sockets to anything but loopback, and to the D-Bus system bus (BlueZ, i.e. the radio), are
refused and fail the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import logging
import math
import os
import struct
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

log = logging.getLogger(__name__)

#: The simulated strap runs this long on the wall clock through the real recorder.
RECORD_SECONDS = 2.0
#: 4 Hz gives ~8 samples in 2 s: enough to see batching and the summary, still quick.
RECORD_RATE_HZ = 4.0
#: The offscreen main-window render's size (the GUI's defaults).
WINDOW_SIZE = (1280, 800)
#: A rendered window has text, frames and plots; a blank or failed render has 1-2 colours.
MIN_COLOURS = 8
#: Where the self-test's simulated run happens (the strap has no GPS of its own).
TRACK_ORIGIN = (48.8566, 2.3522)
GPX_NS = "http://www.topografix.com/GPX/1/1"
#: Keyring backends that must be findable in each OS's build (entry point names).
KEYRING_BACKENDS = {
    "linux": ("SecretService", "KWallet", "libsecret", "chainer"),
    "darwin": ("macOS", "chainer"),
    "win32": ("Windows", "chainer"),
}
#: The bleak backend each OS imports when it scans (imported, never started).
BLEAK_BACKENDS = {
    "linux": "bleak.backends.bluezdbus.scanner",
    "darwin": "bleak.backends.corebluetooth.scanner",
    "win32": "bleak.backends.winrt.scanner",
}
SYSTEM_BUS_MARK = "system_bus_socket"


class CheckFailed(Exception):
    """A check's reason for failing, phrased for the one-line report."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    seconds: float


@dataclass
class Context:
    """What the checks share: the temporary data dir and what earlier checks produced."""

    work_dir: Path
    store: Any = None  # app.store.repo.Store once the database check has run
    session_id: int | None = None
    outputs: dict[str, Path] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.work_dir / "data"


Check = Callable[[Context], str]


def require(module: str, attr: str | None = None) -> Any:
    """Import `module` (and take `attr`), or fail naming exactly what is missing."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or "?"
        if module == missing or module.startswith(missing + "."):
            raise CheckFailed(f"{module} is missing") from exc
        raise CheckFailed(f"{module} cannot import {missing}") from exc
    except ImportError as exc:
        raise CheckFailed(f"{module} failed to import: {exc}") from exc
    if attr is None:
        return mod
    try:
        return getattr(mod, attr)
    except AttributeError as exc:
        raise CheckFailed(f"{module}.{attr} is missing") from exc


# Checks -----------------------------------------------------------------------------------


def check_imports(ctx: Context) -> str:
    """Modules loaded by name at run time: what a frozen build most often lacks."""
    from importlib.metadata import entry_points

    platform = "linux" if sys.platform.startswith("linux") else sys.platform
    found = {ep.name for ep in entry_points(group="keyring.backends")}
    lacking = [name for name in KEYRING_BACKENDS.get(platform, ()) if name not in found]
    if lacking:
        raise CheckFailed(f"keyring backends not registered: {', '.join(lacking)}")
    for ep in entry_points(group="keyring.backends"):
        if ep.name in KEYRING_BACKENDS.get(platform, ()):
            require(ep.value)
    names = ["sqlalchemy.dialects.sqlite.pysqlite", "alembic.op", "alembic.context"]
    if platform in BLEAK_BACKENDS:
        names.append(BLEAK_BACKENDS[platform])
    if platform == "linux":
        names.append("dbus_fast.message_bus")
    for name in names:
        require(name)
    return f"{len(names) + len(found)} modules"


def check_paths(ctx: Context) -> str:
    """User data must live in the platform's user dir, never inside the installed program."""
    import platformdirs

    data = Path(platformdirs.user_data_dir("Pulsedeck", appauthor=False)).resolve()
    program = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[1])).resolve()
    if data == program or program in data.parents:
        raise CheckFailed(f"user data dir {data} is inside the program dir {program}")
    return "user dirs outside the program"


def check_database(ctx: Context) -> str:
    """A fresh SQLite file migrated to the newest schema this build knows."""
    db = require("app.store.db")
    repo = require("app.store.repo")
    ctx.store = repo.Store.open(ctx.data_dir)
    current = db.current_revision(ctx.store.engine)
    head = db.head_revision()
    if current != head:
        raise CheckFailed(f"schema at {current}, expected {head}")
    return f"schema {head}"


def check_record(ctx: Context) -> str:
    """Two seconds of the simulated strap through the real recorder and batched writer."""
    if ctx.store is None:
        raise CheckFailed("no database")
    recorder_mod = require("app.recorder")
    simulator = require("device.simulator")
    store = ctx.store

    async def record() -> tuple[int, Any, Any]:
        athlete = store.ensure_athlete("Self-test", is_self=True)
        recording = await recorder_mod.Recorder(store).start(
            athlete.id, sport="run", source="simulator", title="self-test"
        )
        strap = simulator.SimulatedStrap(seed=9, rate_hz=RECORD_RATE_HZ)
        recording.attach(with_positions(strap.samples()), name=strap.name)
        await asyncio.sleep(RECORD_SECONDS)  # the recording's length, not a synchronisation
        summary = await recording.stop()
        return recording.session_id, recording.stats, summary

    session_id, stats, summary = asyncio.run(record())
    ctx.session_id = session_id
    info = store.get_session(session_id)
    # Half the nominal count: a heavily loaded machine may deliver late, never this few.
    expected = int(RECORD_SECONDS * RECORD_RATE_HZ) // 2
    if stats.rejected:
        raise CheckFailed(f"{stats.rejected} samples rejected: {stats.last_error}")
    if info is None or info.status != "finished":
        raise CheckFailed(f"session {session_id} not finished")
    if stats.stored < expected or not info.samples == stats.stored == stats.received:
        raise CheckFailed(
            f"stored {stats.stored} of {stats.received} samples ({info.samples} in the "
            f"database), expected at least {expected}"
        )
    if summary.avg_hr is None:
        raise CheckFailed("summary has no average heart rate")
    return f"{info.samples} samples, avg HR {summary.avg_hr:.0f}"


async def with_positions(
    samples: AsyncIterator[Any], origin: tuple[float, float] = TRACK_ORIGIN
) -> AsyncIterator[Any]:
    """The strap's samples placed on a straight eastward track (the strap has no GPS; GPX needs
    positions), each at the distance the foot pod reports."""
    lat, lon = origin
    metres_per_degree = 111_320.0 * math.cos(math.radians(lat))
    async for sample in samples:
        east = (sample.distance or 0.0) / metres_per_degree
        yield dataclasses.replace(sample, lat=lat, lon=round(lon + east, 7))


def check_gui(ctx: Context) -> str:
    """The main window painted offscreen to a PNG, over the database just recorded.

    Skipped (and said so) in a headless install or bundle, where PySide6 is not installed;
    the desktop bundle's build fails on that word.
    """
    import importlib.util

    if importlib.util.find_spec("PySide6") is None:
        return "skipped: headless install, no PySide6"
    render = require("app.ui.main", "render_main_window_png")
    if ctx.session_id is None:
        raise CheckFailed("no recorded session to show")
    out = ctx.work_dir / "main-window.png"
    render(ctx.data_dir, out)
    if not out.is_file():
        raise CheckFailed(f"render wrote no {out.name}")
    try:
        width, height, colours = png_summary(out.read_bytes())
    except ValueError as exc:
        raise CheckFailed(f"{out.name}: {exc}") from exc
    if (width, height) != WINDOW_SIZE:
        raise CheckFailed(f"window is {width}x{height}, expected {WINDOW_SIZE[0]}x{WINDOW_SIZE[1]}")
    if colours < MIN_COLOURS:
        raise CheckFailed(f"window looks blank ({colours} colours)")
    ctx.outputs["png"] = out
    return f"{width}x{height}"


def check_gpx(ctx: Context) -> str:
    """The recorded session as GPX 1.1, read back the way other apps will read it."""
    to_gpx = require("sync.files.gpx", "session_to_gpx")
    if ctx.store is None or ctx.session_id is None:
        raise CheckFailed("no recorded session")
    info = ctx.store.get_session(ctx.session_id)
    samples = ctx.store.load_samples(ctx.session_id)
    text = to_gpx(info, samples)
    out = ctx.work_dir / f"session-{ctx.session_id}.gpx"
    out.write_text(text, encoding="utf-8")
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        raise CheckFailed(f"not well-formed XML: {exc}") from exc
    if root.tag != f"{{{GPX_NS}}}gpx":
        raise CheckFailed(f"root element is {root.tag}, not GPX 1.1")
    points = len(root.findall(f".//{{{GPX_NS}}}trkpt"))
    ctx.outputs["gpx"] = out
    return f"{points} track points"


def check_parquet(ctx: Context) -> str:
    """The recorded samples as the lake's Parquet file, read back with pyarrow."""
    session_tables = require("sync.lake.tables", "session_tables")
    write = require("sync.lake.writer", "write_parquet_file")
    check_schema = require("sync.lake.schema", "check_file_schema")
    pq = require("pyarrow.parquet")
    if ctx.store is None or ctx.session_id is None:
        raise CheckFailed("no recorded session")
    out = ctx.work_dir / f"samples-{ctx.session_id}.parquet"
    table = session_tables(ctx.store, ctx.session_id).tables["samples"]
    write("samples", table, out)
    read = pq.read_table(out)
    check_schema("samples", read.schema)
    rows = read.num_rows
    expected = len(ctx.store.load_samples(ctx.session_id))
    if rows != expected:
        raise CheckFailed(f"{rows} rows, expected {expected}")
    ctx.outputs["parquet"] = out
    return f"{rows} rows"


def check_s3_client(ctx: Context) -> str:
    """The lake's S3 client built offline: the bundled service model and endpoints load."""
    make_client = require("sync.lake.s3", "make_boto_client")
    lake_config = require("sync.lake.config", "LakeConfig")
    config = lake_config(bucket="self-test", endpoint_url="http://127.0.0.1:9", region="us-east-1")
    client = make_client(config)
    if not callable(getattr(client, "put_object", None)):
        raise CheckFailed("S3 client has no put_object")
    return "s3 model loaded"


CHECKS: tuple[tuple[str, Check], ...] = (
    ("imports", check_imports),
    ("paths", check_paths),
    ("database", check_database),
    ("record", check_record),
    ("gui", check_gui),
    ("gpx", check_gpx),
    ("parquet", check_parquet),
    ("s3", check_s3_client),
)


# PNG --------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel


def png_summary(data: bytes, enough: int = MIN_COLOURS) -> tuple[int, int, int]:
    """(width, height, distinct colours up to `enough`) of an 8-bit non-interlaced PNG.

    A small decoder so that the self-test can tell a painted window from a blank one without
    Qt or Pillow (the image comes from Qt; judging it with Qt would prove less). Rows are
    decoded only until `enough` colours are seen; ValueError for a damaged file.
    """
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    pos, header, idat = len(_PNG_SIGNATURE), None, bytearray()
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length:
            raise ValueError("truncated chunk")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        raise ValueError("no IHDR chunk")
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or interlace or colour_type not in _CHANNELS:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour_type})")
    bpp = _CHANNELS[colour_type]
    stride = width * bpp
    try:
        raw = zlib.decompress(bytes(idat))
    except zlib.error as exc:
        raise ValueError(f"corrupt image data: {exc}") from exc
    if len(raw) != height * (stride + 1):
        raise ValueError("image data does not match its size")
    colours: set[bytes] = set()
    prior = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        row = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), prior, bpp)
        colours.update(bytes(row[x : x + bpp]) for x in range(0, stride, bpp))
        if len(colours) >= enough:
            break
        prior = row
    return width, height, min(len(colours), enough)


def _unfilter(kind: int, row: bytearray, prior: bytearray, bpp: int) -> bytearray:
    """Undo one PNG row filter (RFC 2083 section 6)."""
    n = len(row)
    if kind == 0:
        return row
    if kind == 1:
        for i in range(bpp, n):
            row[i] = (row[i] + row[i - bpp]) & 0xFF
    elif kind == 2:
        return bytearray((a + b) & 0xFF for a, b in zip(row, prior, strict=True))
    elif kind == 3:
        for i in range(n):
            left = row[i - bpp] if i >= bpp else 0
            row[i] = (row[i] + ((left + prior[i]) >> 1)) & 0xFF
    elif kind == 4:
        for i in range(n):
            a = row[i - bpp] if i >= bpp else 0
            b = prior[i]
            c = prior[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            row[i] = (row[i] + pred) & 0xFF
    else:
        raise ValueError(f"unknown row filter {kind}")
    return row


# Running ----------------------------------------------------------------------------------


class _OfflineGuard:
    """Refuses sockets to non-loopback hosts and the D-Bus system bus while active.

    Audit hooks cannot be removed, so one hook is installed per process and switched on and
    off; attempts are recorded so that a swallowed connection error still fails the run.
    """

    def __init__(self) -> None:
        self.active = False
        self.attempts: list[str] = []
        self._installed = False

    def install(self) -> None:
        if not self._installed:
            sys.addaudithook(self._hook)
            self._installed = True

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active or event not in ("socket.connect", "socket.getaddrinfo"):
            return
        target = args[1] if event == "socket.connect" else args[0]
        reason = _forbidden_target(target)
        if reason is not None:
            self.attempts.append(reason)
            raise OSError(f"pulsedeck self-test is offline: {reason}")

    @contextlib.contextmanager
    def offline(self) -> Iterator[None]:
        self.install()
        self.attempts = []
        self.active = True
        try:
            yield
        finally:
            self.active = False


_GUARD = _OfflineGuard()
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "", None}


def _forbidden_target(target: object) -> str | None:
    """Why connecting to `target` would leave this machine or reach the radio, or None."""
    if isinstance(target, bytes):
        target = target.decode("utf-8", "replace")
    if isinstance(target, str):
        if SYSTEM_BUS_MARK in target:
            return "radio: D-Bus system bus (BlueZ)"
        if target in _LOOPBACK_NAMES or target.startswith("127."):
            return None
        if "/" in target or target.startswith("\0"):
            return None  # another local socket file (session bus, keyring)
        return f"network: {target}"
    if isinstance(target, tuple) and target:
        host = target[0]
        if isinstance(host, str) and (host in _LOOPBACK_NAMES or host.startswith("127.")):
            return None
        return f"network: {host}:{target[1] if len(target) > 1 else '?'}"
    return None


@contextlib.contextmanager
def isolated_environment(work_dir: Path) -> Iterator[None]:
    """User dirs, Pulsedeck's home and the keyring pointed into `work_dir`, then restored."""
    overrides = {
        "PULSEDECK_HOME": str(work_dir / "data"),
        "XDG_CONFIG_HOME": str(work_dir / "config"),
        "XDG_DATA_HOME": str(work_dir / "share"),
        "XDG_CACHE_HOME": str(work_dir / "cache"),
        "XDG_STATE_HOME": str(work_dir / "state"),
        # boto3: no user profiles, no instance-metadata probe; dummy keys (never sent).
        "AWS_CONFIG_FILE": str(work_dir / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(work_dir / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "pulsedeck-self-test",
        "AWS_SECRET_ACCESS_KEY": "pulsedeck-self-test",
    }
    if "QT_QPA_PLATFORM" not in os.environ:
        overrides["QT_QPA_PLATFORM"] = "offscreen"  # never open a window on the desktop
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    previous_keyring = None
    try:
        import keyring
        from keyring.backends.null import Keyring as NullKeyring

        previous_keyring = keyring.get_keyring()
        keyring.set_keyring(NullKeyring())  # type: ignore[no-untyped-call]  # untyped in keyring
    except Exception as exc:  # the imports check reports a broken keyring
        log.debug("keyring not isolated: %s", exc)
    try:
        yield
    finally:
        if previous_keyring is not None:
            import keyring

            keyring.set_keyring(previous_keyring)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_checks(checks: Sequence[tuple[str, Check]], work_dir: Path) -> list[CheckResult]:
    """Run `checks` in order in `work_dir`; a failure never stops the ones after it."""
    ctx = Context(work_dir)
    ctx.data_dir.mkdir(parents=True, exist_ok=True)
    results: list[CheckResult] = []
    try:
        with _GUARD.offline():
            for name, check in checks:
                started = time.perf_counter()
                try:
                    detail, ok = check(ctx), True
                except CheckFailed as exc:
                    detail, ok = str(exc), False
                    log.debug("self-test %s failed", name, exc_info=True)
                except Exception as exc:
                    detail, ok = f"{type(exc).__name__}: {_one_line(exc)}", False
                    log.debug("self-test %s crashed\n%s", name, traceback.format_exc())
                results.append(CheckResult(name, ok, detail, time.perf_counter() - started))
    finally:
        if ctx.store is not None:
            ctx.store.close()
    if _GUARD.attempts:
        attempts = sorted(set(_GUARD.attempts))
        results.append(CheckResult("offline", False, "; ".join(attempts), 0.0))
    return results


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:160] + ("..." if len(text) > 160 else "")


def format_report(results: Sequence[CheckResult], seconds: float) -> str:
    """One line: ok with each check's detail, or FAILED naming each failed check and why."""
    failed = [r for r in results if not r.ok]
    passed = [r for r in results if r.ok]
    if not failed:
        parts = ", ".join(f"{r.name} ({r.detail})" for r in passed)
        return f"pulsedeck self-test ok in {seconds:.1f} s: {parts}"
    bad = "; ".join(f"{r.name} ({r.detail})" for r in failed)
    good = ", ".join(r.name for r in passed) or "none"
    return f"pulsedeck self-test FAILED: {bad}; passed: {good}"


def run_self_test(checks: Sequence[tuple[str, Check]] = CHECKS, out: TextIO | None = None) -> int:
    """Run every check and print a one-line report; non-zero names what failed."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pulsedeck-selftest-") as tmp:
        work_dir = Path(tmp)
        with isolated_environment(work_dir):
            results = run_checks(checks, work_dir)
    print(format_report(results, time.perf_counter() - started), file=out or sys.stdout, flush=True)
    return 0 if all(r.ok for r in results) else 1
