"""FIT activity files: a small encoder of our own, with every RR interval in `hrv` messages.

Why our own: the Garmin FIT SDK's licence is not OSI-approved, and the BSD-3 `fit-tool`
builds a Python object per field (slow for a 10-hour file, and a dependency for ~30 lines of
struct packing). FIT's binary layout is small and public: a header, definition messages that
declare each message's fields, data messages packed to those definitions, a CRC-16. The
independent `fitdecode` reads every file this module writes in the tests.

Written: file_id, developer_data_id + field_description (two developer fields: the
millisecond part of each record's timestamp, so no sample time is rounded, and the session's
RMSSD), device_info (Pulsedeck as creator), event (timer start, stop/start around pauses),
record (position, altitude, HR, cadence with its fraction, distance, speed, power,
temperature in whole °C), hrv (every RR interval, in order, after the record it arrived
with), lap, session and activity.
"""

from __future__ import annotations

import array
import math
import struct
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from app.domain.accumulator import Pause
from app.domain.samples import Sample
from app.store.repo import Store
from sync.progress import CancelCheck, Progress, Steps

from .common import STEP_CADENCE_SPORTS, lap_bounds, lap_distances, paused_ms

#: FIT times are seconds since 1989-12-31T00:00:00Z.
FIT_EPOCH_S = 631065600
PROTOCOL_VERSION = 0x20  # 2.0: developer fields
PROFILE_VERSION = 2140
#: Our developer application id (a UUID's 16 bytes): marks the developer fields as ours.
APP_ID = bytes.fromhex("5d2c1e6f0b9a4c3e8f7a6b5c4d3e2f10")
MANUFACTURER_DEVELOPMENT = 255

# Base types (FIT profile): code, struct format, invalid value.
ENUM, SINT8, UINT8, UINT16, SINT32, UINT32, STRING, FLOAT32, UINT32Z, BYTE = (
    0x00, 0x01, 0x02, 0x84, 0x85, 0x86, 0x07, 0x88, 0x8C, 0x0D,
)  # fmt: skip
_FORMAT = {ENUM: "B", SINT8: "b", UINT8: "B", UINT16: "H", SINT32: "i", UINT32: "I",
           UINT32Z: "I", FLOAT32: "f", STRING: "s", BYTE: "s"}  # fmt: skip
INVALID = {ENUM: 0xFF, SINT8: 0x7F, UINT8: 0xFF, UINT16: 0xFFFF, SINT32: 0x7FFFFFFF,
           UINT32: 0xFFFFFFFF, UINT32Z: 0}  # fmt: skip
_SIZE = {"B": 1, "b": 1, "H": 2, "i": 4, "I": 4, "f": 4}

# Global message numbers.
FILE_ID, DEVICE_INFO, EVENT, RECORD, LAP, SESSION, ACTIVITY, HRV = 0, 23, 21, 20, 19, 18, 34, 78
DEVELOPER_DATA_ID, FIELD_DESCRIPTION = 207, 206
#: Events: timer (start/stop_all), lap, session, activity; event types start 0, stop 1, stop_all 4.
EV_TIMER, EV_LAP, EV_SESSION, EV_ACTIVITY = 0, 9, 8, 26
ET_START, ET_STOP, ET_STOP_ALL = 0, 1, 4
#: RR intervals per hrv message (Garmin devices write five, unused slots invalid).
HRV_SLOTS = 5
#: Our developer fields: (field number, base type, name, units, native message).
DEV_TIME_MS = (0, UINT16, "time_ms", "ms", RECORD)
DEV_RMSSD = (1, FLOAT32, "RMSSD", "ms", SESSION)

#: Pulsedeck sport -> FIT (sport, sub_sport); FIT's enum has a value for each.
FIT_SPORT: dict[str, tuple[int, int]] = {
    "run": (1, 0),
    "trail_run": (1, 3),
    "virtual_run": (1, 58),
    "ride": (2, 0),
    "virtual_ride": (2, 58),
    "walk": (11, 0),
    "hike": (17, 0),
    "swim": (5, 0),
    "row": (15, 0),
    "gym": (10, 20),
    "strength": (10, 20),
}


# CRC-16 (FIT: reflected 0x8005, init 0) ------------------------------------------------------


@cache
def _crc_tables() -> tuple[list[int], list[int]]:
    """The byte table and a 16-bit table (two bytes per step: ~20x faster in pure Python)."""
    t8 = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        t8.append(crc)
    # t16[w] = CRC register after feeding (w & 0xFF) then (w >> 8) into a zero register.
    t16 = [(t8[w & 0xFF] >> 8) ^ t8[(t8[w & 0xFF] ^ (w >> 8)) & 0xFF] for w in range(65536)]
    return t8, t16


def _crc_scalar(view: memoryview, crc: int) -> int:
    t8, t16 = _crc_tables()
    n = len(view) - len(view) % 2
    if n:
        words = array.array("H")
        words.frombytes(view[:n])
        if sys.byteorder == "big":
            words.byteswap()
        for w in words:
            crc = t16[crc ^ w]
    if n != len(view):
        crc = (crc >> 8) ^ t8[(crc ^ view[n]) & 0xFF]
    return crc


#: Bytes per block of the parallel CRC: blocks are CRC'd side by side (numpy), then combined.
_BLOCK = 512


@cache
def _shift_tables() -> tuple[list[int], list[int]]:
    """Tables that advance a CRC register over _BLOCK zero bytes (linear: low and high byte)."""
    zeros = memoryview(bytes(_BLOCK))
    cols = [_crc_scalar(zeros, 1 << bit) for bit in range(16)]

    def shift(c: int) -> int:
        out = 0
        for bit in range(16):
            if c >> bit & 1:
                out ^= cols[bit]
        return out

    return [shift(b) for b in range(256)], [shift(b << 8) for b in range(256)]


def crc16(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """FIT's CRC of `data`, continuing from `crc` (a file's CRC over itself and its CRC is 0).

    CRC(c, A + B) = shift(CRC(c, A), len(B)) ^ CRC(0, B): long inputs are cut into blocks whose
    CRCs numpy computes side by side, then chained; ~30x faster than a byte loop.
    """
    view = memoryview(data).cast("B")
    blocks = len(view) // _BLOCK
    if blocks < 16:
        return _crc_scalar(view, crc)
    import numpy as np

    _t8, t16 = _crc_tables()
    table = np.asarray(t16, dtype=np.uint16)
    words = np.frombuffer(view[: blocks * _BLOCK], dtype="<u2").reshape(blocks, _BLOCK // 2)
    regs = np.zeros(blocks, dtype=np.uint16)
    for j in range(_BLOCK // 2):
        regs = table[regs ^ words[:, j]]
    lo, hi = _shift_tables()
    for reg in regs.tolist():
        crc = lo[crc & 0xFF] ^ hi[crc >> 8] ^ reg
    return _crc_scalar(view[blocks * _BLOCK :], crc)


# Encoder ---------------------------------------------------------------------------------------

Field = tuple[int, int, int]  # field number, base type, size in bytes


@dataclass(frozen=True, slots=True)
class _Layout:
    local: int
    fields: tuple[Field, ...]
    dev: tuple[Field, ...]  # developer fields: number, base type, size (data index 0)
    pack: struct.Struct


class FitEncoder:
    """Definitions and data messages into one buffer; `finish()` adds the header and CRC."""

    def __init__(self) -> None:
        self._body = bytearray()
        self._layouts: dict[int, _Layout] = {}

    def define(
        self,
        global_num: int,
        local: int,
        fields: Sequence[Field],
        dev: Sequence[Field] = (),
    ) -> None:
        header = 0x40 | local | (0x20 if dev else 0)
        out = self._body
        out += struct.pack("<BBBHB", header, 0, 0, global_num, len(fields))
        for num, base, size in fields:
            out += struct.pack("<BBB", num, size, base)
        if dev:
            out.append(len(dev))
            for num, _base, size in dev:
                out += struct.pack("<BBB", num, size, 0)
        fmt = "<" + "".join(_fmt(base, size) for _n, base, size in (*fields, *dev))
        self._layouts[global_num] = _Layout(local, tuple(fields), tuple(dev), struct.Struct(fmt))

    def write(self, global_num: int, *values: object) -> None:
        layout = self._layouts[global_num]
        self._body.append(layout.local)
        self._body += layout.pack.pack(*values)

    def finish(self) -> bytes:
        header = struct.pack(
            "<BBHI4s", 14, PROTOCOL_VERSION, PROFILE_VERSION, len(self._body), b".FIT"
        )
        header += struct.pack("<H", crc16(header))
        data = header + bytes(self._body)
        return data + struct.pack("<H", crc16(data))


def _fmt(base: int, size: int) -> str:
    code = _FORMAT[base]
    if code == "s":
        return f"{size}s"
    count = size // _SIZE[code]
    return code * count


# Activity --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FitActivity:
    """What a FIT file carries for one session (all times UTC epoch ms)."""

    sport: str
    started_ms: int
    ended_ms: int
    samples: Sequence[Sample]  # time-ordered; `rr` holds the RR intervals of each
    laps: Sequence[int] = ()  # lap start times after the start
    pauses: Sequence[tuple[int, int | None]] = ()  # (pause, resume or None)
    kcal: float | None = None
    rmssd_ms: float | None = None
    distance_m: float | None = None
    avg_hr: float | None = None
    max_hr: int | None = None
    serial: int = 0


def _fit_time(t_ms: int) -> int:
    return max(0, t_ms // 1000 - FIT_EPOCH_S)


def _u(value: float | None, scale: float, offset: float, invalid: int, top: int) -> int:
    if value is None or not math.isfinite(value):
        return invalid
    scaled = round((value + offset) * scale)
    return invalid if scaled < 0 or scaled >= top else scaled


def _temperature(celsius: float | None) -> int:
    """°C as FIT's sint8 (whole degrees, its resolution); 0x7F (invalid) when unknown."""
    if celsius is None or not math.isfinite(celsius):
        return INVALID[SINT8]
    return max(-127, min(126, round(celsius)))


def _semicircles(deg: float | None) -> int:
    if deg is None:
        return INVALID[SINT32]
    return max(-0x7FFFFFFF, min(0x7FFFFFFE, round(deg * (2**31 / 180))))


def _define_all(enc: FitEncoder) -> None:
    enc.define(FILE_ID, 0, [(0, ENUM, 1), (1, UINT16, 2), (2, UINT16, 2), (3, UINT32Z, 4),
                            (4, UINT32, 4)])  # fmt: skip
    enc.define(DEVELOPER_DATA_ID, 1, [(1, BYTE, 16), (3, UINT8, 1)])
    enc.define(FIELD_DESCRIPTION, 2, [(0, UINT8, 1), (1, UINT8, 1), (2, UINT8, 1),
                                      (3, STRING, 16), (8, STRING, 8),
                                      (14, UINT16, 2)])  # fmt: skip
    enc.define(DEVICE_INFO, 3, [(253, UINT32, 4), (0, UINT8, 1), (2, UINT16, 2), (4, UINT16, 2),
                                (27, STRING, 20)])  # fmt: skip
    enc.define(EVENT, 4, [(253, UINT32, 4), (0, ENUM, 1), (1, ENUM, 1), (4, UINT8, 1)])
    enc.define(HRV, 6, [(0, UINT16, 2 * HRV_SLOTS)])
    enc.define(LAP, 7, [(254, UINT16, 2), (253, UINT32, 4), (0, ENUM, 1), (1, ENUM, 1),
                        (2, UINT32, 4), (7, UINT32, 4), (8, UINT32, 4), (9, UINT32, 4),
                        (24, ENUM, 1)])  # fmt: skip
    enc.define(ACTIVITY, 9, [(253, UINT32, 4), (0, UINT32, 4), (1, UINT16, 2), (2, ENUM, 1),
                             (3, ENUM, 1), (4, ENUM, 1)])  # fmt: skip


def _define_dev(enc: FitEncoder) -> None:
    """Messages with developer fields: defined after their field descriptions (fitdecode
    and Garmin's SDK look the descriptions up when they read the definition)."""
    enc.define(
        RECORD,
        5,
        [(253, UINT32, 4), (0, SINT32, 4), (1, SINT32, 4), (78, UINT32, 4), (3, UINT8, 1),
         (4, UINT8, 1), (53, UINT8, 1), (5, UINT32, 4), (73, UINT32, 4), (7, UINT16, 2),
         (13, SINT8, 1)],
        dev=[(DEV_TIME_MS[0], UINT16, 2)],
    )  # fmt: skip
    enc.define(
        SESSION,
        8,
        [(254, UINT16, 2), (253, UINT32, 4), (0, ENUM, 1), (1, ENUM, 1), (2, UINT32, 4),
         (5, ENUM, 1), (6, ENUM, 1), (7, UINT32, 4), (8, UINT32, 4), (9, UINT32, 4),
         (11, UINT16, 2), (16, UINT8, 1), (17, UINT8, 1), (25, UINT16, 2), (26, UINT16, 2)],
        dev=[(DEV_RMSSD[0], FLOAT32, 4)],
    )  # fmt: skip


def _text(value: str, size: int) -> bytes:
    return value.encode()[: size - 1].ljust(size, b"\0")


def _records(enc: FitEncoder, samples: Iterable[Sample], halve_cadence: bool) -> None:
    u32, u16, u8 = INVALID[UINT32], INVALID[UINT16], INVALID[UINT8]
    hrv_pad = (u16,) * HRV_SLOTS
    for s in samples:
        cadence = fraction = u8
        if s.cadence is not None and math.isfinite(s.cadence):
            c = s.cadence / 2 if halve_cadence else s.cadence
            whole = math.floor(c)
            if 0 <= whole < 255:
                cadence, fraction = whole, min(127, round((c - whole) * 128))
        lat_ok = s.lat is not None and s.lon is not None
        enc.write(
            RECORD,
            _fit_time(s.t_ms),
            _semicircles(s.lat if lat_ok else None),
            _semicircles(s.lon if lat_ok else None),
            _u(s.altitude, 5, 500, u32, u32),
            u8 if s.hr is None or not 0 < s.hr < 255 else int(s.hr),
            cadence,
            fraction,
            _u(s.distance, 100, 0, u32, u32),
            _u(s.speed, 1000, 0, u32, u32),
            _u(s.power, 1, 0, u16, u16),
            _temperature(s.temperature),
            s.t_ms % 1000,
        )
        rr = [min(u16 - 1, max(0, round(v))) for v in s.rr]
        for i in range(0, len(rr), HRV_SLOTS):
            chunk = rr[i : i + HRV_SLOTS]
            enc.write(HRV, *chunk, *hrv_pad[len(chunk) :])


def encode_activity(activity: FitActivity) -> bytes:
    """The activity as the bytes of a FIT file (CRC-checked header and file)."""
    a = activity
    enc = FitEncoder()
    _define_all(enc)
    start, end = _fit_time(a.started_ms), _fit_time(max(a.ended_ms, a.started_ms))
    enc.write(FILE_ID, 4, MANUFACTURER_DEVELOPMENT, 0, a.serial or 1, start)
    enc.write(DEVELOPER_DATA_ID, APP_ID, 0)
    for num, base, name, units, native in (DEV_TIME_MS, DEV_RMSSD):
        enc.write(FIELD_DESCRIPTION, 0, num, base, _text(name, 16), _text(units, 8), native)
    _define_dev(enc)
    enc.write(DEVICE_INFO, start, 0, MANUFACTURER_DEVELOPMENT, 0, _text("Pulsedeck", 20))
    enc.write(EVENT, start, EV_TIMER, ET_START, 0)
    halve = a.sport in STEP_CADENCE_SPORTS
    pauses = sorted(a.pauses)
    # Timer events sit between the records they separate: the records are cut at each event.
    cuts: list[tuple[int, int]] = []
    for paused, resumed in pauses:
        cuts.append((paused, ET_STOP_ALL))
        if resumed is not None:
            cuts.append((resumed, ET_START))
    i = 0
    samples = a.samples
    for t_ms, kind in cuts:
        j = i
        while j < len(samples) and samples[j].t_ms < t_ms:
            j += 1
        _records(enc, samples[i:j], halve)
        enc.write(EVENT, _fit_time(t_ms), EV_TIMER, kind, 0)
        i = j
    _records(enc, samples[i:], halve)
    paused_s = sum(
        (min(r if r is not None else a.ended_ms, a.ended_ms) - p) / 1000 for p, r in pauses
    )
    bounds = lap_bounds(a.started_ms, a.ended_ms, a.laps)
    spans = [Pause(p, r) for p, r in pauses]
    # Laps add up to the session's distance and leave their paused time out of the timer.
    dists = lap_distances(samples, bounds, spans)
    u32 = INVALID[UINT32]
    for n, (lap_start, lap_end) in enumerate(zip(bounds, bounds[1:], strict=False)):
        dist = None if dists is None else max(0.0, dists[n])
        elapsed = (lap_end - lap_start) / 1000
        lap_timer = elapsed - paused_ms(lap_start, lap_end, spans) / 1000
        enc.write(
            LAP, n, _fit_time(lap_end), EV_LAP, ET_STOP, _fit_time(lap_start),
            _u(elapsed, 1000, 0, u32, u32), _u(lap_timer, 1000, 0, u32, u32),
            _u(dist, 100, 0, u32, u32), 0,
        )  # fmt: skip
    sport, sub = FIT_SPORT.get(a.sport, (0, 0))
    elapsed = (a.ended_ms - a.started_ms) / 1000
    timer = max(0.0, elapsed - paused_s)
    enc.write(
        SESSION, 0, end, EV_SESSION, ET_STOP, start, sport, sub,
        _u(elapsed, 1000, 0, u32, u32), _u(timer, 1000, 0, u32, u32),
        _u(a.distance_m, 100, 0, u32, u32),
        _u(a.kcal, 1, 0, INVALID[UINT16], INVALID[UINT16]),
        _u(a.avg_hr, 1, 0, INVALID[UINT8], INVALID[UINT8]),
        _u(a.max_hr, 1, 0, INVALID[UINT8], INVALID[UINT8]),
        0, len(bounds) - 1,
        float("nan") if a.rmssd_ms is None else float(a.rmssd_ms),
    )  # fmt: skip
    enc.write(EVENT, end, EV_TIMER, ET_STOP_ALL, 0)
    enc.write(ACTIVITY, end, _u(timer, 1000, 0, u32, u32), 1, 0, EV_ACTIVITY, ET_STOP)
    return enc.finish()


def session_fit_activity(store: Store, session_id: int) -> FitActivity:
    """A stored session with every RR interval attached to the sample it arrived with."""
    info = store.get_session(session_id)
    if info is None:
        raise LookupError(f"no session {session_id}")
    samples = store.load_samples(session_id)
    with store.engine.connect() as conn:
        rr_rows = conn.exec_driver_sql(
            "SELECT t_ms, rr_ms FROM rr_intervals WHERE session_id = ? ORDER BY t_ms, id",
            (session_id,),
        ).all()
    rr: dict[int, list[float]] = {}
    for t_ms, value in rr_rows:
        rr.setdefault(t_ms, []).append(value)
    with_rr = []
    for s in samples:  # several samples at one time: the RR go with the first
        values = rr.pop(s.t_ms, None)
        with_rr.append(replace(s, rr=tuple(values)) if values else s)
    markers = store.load_markers(session_id)
    pauses = [(p.start_ms, p.end_ms) for p in store.load_pauses(session_id)]
    last = samples[-1].t_ms if samples else info.started_ms
    return FitActivity(
        sport=info.sport,
        started_ms=info.started_ms,
        ended_ms=max(info.ended_ms or last, last),
        samples=with_rr,
        laps=[t for kind, t, _ in markers if kind == "lap"],
        pauses=pauses,
        kcal=info.kcal,
        rmssd_ms=info.rmssd_ms,
        distance_m=info.distance_m,
        avg_hr=info.avg_hr,
        max_hr=info.max_hr,
        serial=session_id,
    )


def write_session_fit(
    store: Store,
    session_id: int,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    force: bool = False,
) -> Path:
    """`export session --format fit`: load, encode, write atomically (Cancelled: no file)."""
    from sync.exports.common import atomic_file, check_target

    check_target(path, force=force)
    steps = Steps(3, progress, cancel)
    steps.start()
    activity = session_fit_activity(store, session_id)
    steps.step()
    data = encode_activity(activity)
    steps.step()
    with atomic_file(path, "wb", newline=None, force=force) as fh:
        fh.write(data)
        steps.check()
    steps.finish()
    return path
