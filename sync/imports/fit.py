"""FIT reader: a streaming struct-based decoder of the messages an activity needs.

Why not fitdecode at run time: it builds an object per field and reads ~13k records/s here,
so a 10-hour 1 Hz file would take ~3 s; this decoder compiles one `struct.Struct` per
definition and reads only the fields Pulsedeck stores. fitdecode stays the independent
reference: the tests check this reader against it on every real file.

Read: record (time, position, altitude, HR, cadence + fraction, distance, speed, power,
temperature), hrv (every RR interval, attached to the record before it), developer fields
whose name says RR (kept as RR intervals) or HRV/RMSSD (kept in the notes), event (timer
stop/start: pauses), lap, session/sport (sport), file_id and device_info (the device).
Chained FIT files are read one after the other. The file is read in chunks, never whole,
and every CRC is checked.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

from app.domain.samples import Sample
from sync.files.fit import APP_ID, FIT_EPOCH_S, crc16

from .model import Activity, ByteStream, CorruptFile, InvalidActivity, UnsupportedFile
from .points import STEP_CADENCE_SPORTS, PointChecker

_CHUNK = 1 << 18
#: Times below this are seconds since the device powered on, not since the FIT epoch.
_MIN_ABSOLUTE = 0x10000000

# Base type number (low 5 bits) -> struct code, invalid value.
_BASE: dict[int, tuple[str, object]] = {
    0: ("B", 0xFF), 1: ("b", 0x7F), 2: ("B", 0xFF), 3: ("h", 0x7FFF), 4: ("H", 0xFFFF),
    5: ("i", 0x7FFFFFFF), 6: ("I", 0xFFFFFFFF), 7: ("s", None), 8: ("f", None), 9: ("d", None),
    10: ("B", 0), 11: ("H", 0), 12: ("I", 0), 13: ("B", 0xFF), 14: ("q", 0x7FFFFFFFFFFFFFFF),
    15: ("Q", 0xFFFFFFFFFFFFFFFF), 16: ("Q", 0),
}  # fmt: skip
_WIDTH = {"B": 1, "b": 1, "h": 2, "H": 2, "i": 4, "I": 4, "f": 4, "d": 8, "q": 8, "Q": 8}

RECORD, HRV, EVENT, LAP, SESSION, SPORT, FILE_ID, DEVICE_INFO = 20, 78, 21, 19, 18, 12, 0, 23
DEVELOPER_DATA_ID, FIELD_DESCRIPTION = 207, 206
#: Global messages decoded into dicts (everything else is skipped by size).
_GENERIC = {EVENT, LAP, SESSION, SPORT, FILE_ID, DEVICE_INFO, DEVELOPER_DATA_ID,
            FIELD_DESCRIPTION, HRV}  # fmt: skip

#: record field -> (channel index, scale, offset); enhanced fields win over the plain ones.
_LAT, _LON, _ALT, _ALT_E, _HR, _CAD, _FRAC, _DIST, _SPEED, _SPEED_E, _POWER, _TEMP = range(12)
_RECORD_FIELDS = {
    0: (_LAT, 2**31 / 180, 0.0),
    1: (_LON, 2**31 / 180, 0.0),
    2: (_ALT, 5.0, 500.0),
    78: (_ALT_E, 5.0, 500.0),
    3: (_HR, 1.0, 0.0),
    4: (_CAD, 1.0, 0.0),
    53: (_FRAC, 128.0, 0.0),
    5: (_DIST, 100.0, 0.0),
    6: (_SPEED, 1000.0, 0.0),
    73: (_SPEED_E, 1000.0, 0.0),
    7: (_POWER, 1.0, 0.0),
    13: (_TEMP, 1.0, 0.0),  # sint8 °C
}

MANUFACTURERS = {1: "Garmin", 15: "Dynastream", 23: "Suunto", 32: "Wahoo", 69: "Stages",
                 89: "Tacx", 123: "Polar", 255: "Pulsedeck/development", 260: "Zwift",
                 265: "Strava", 294: "Coros"}  # fmt: skip

#: FIT (sport, sub_sport) -> Pulsedeck sport; sub_sport None = any.
_SPORTS: dict[tuple[int, int | None], str] = {
    (1, 3): "trail_run", (1, 58): "virtual_run", (1, None): "run",
    (2, 58): "virtual_ride", (2, 6): "virtual_ride", (2, None): "ride",
    (11, None): "walk", (17, None): "hike", (5, None): "swim", (15, None): "row",
    (4, 14): "row", (10, 20): "strength", (10, None): "gym",
}  # fmt: skip

#: isinstance() target: a tuple is checked faster than `int | float`, built on every call.
_NUMBER = (int, float)

_RR_NAME = re.compile(r"(^|[^a-z])(rr|rri|rr_?intervals?|beat_?intervals?|ibi)([^a-z]|$)", re.I)
_HRV_NAME = re.compile(r"hrv|rmssd|sdnn", re.I)


def fit_sport(sport: int | None, sub: int | None) -> str | None:
    if sport is None:
        return None
    return _SPORTS.get((sport, sub)) or _SPORTS.get((sport, None)) or "other"


#: A record's Sample arguments before its RR intervals are all known:
#: (t_ms, hr, cadence, speed, power, distance, lat, lon, altitude, temperature).
_Open = tuple[
    int, int | None, float | None, float | None, float | None, float | None, float | None,
    float | None, float | None, float | None,
]  # fmt: skip


@dataclass(slots=True)
class _Def:
    global_num: int
    unpack: Callable[[bytes | bytearray, int], tuple[object, ...]]
    size: int
    names: tuple[int, ...]  # field number per unpacked slot (-1: a developer field slot)
    slots: tuple[tuple[int, int], ...]  # (start, count) of each field in the unpacked tuple
    bases: tuple[int, ...]
    dev: tuple[tuple[int, int], ...]  # (developer data index, field number) per dev field
    ts_slot: int  # unpacked index of the timestamp (253), -1 if none
    #: records only: (slot, channel index, scale, offset, invalid) of each channel read
    plan: tuple[tuple[int, int, float, float, object], ...] = ()
    #: hrv only: (start, count) of its uint16 `time` array, decoded without a field dict
    hrv_times: tuple[int, int] | None = None


class _Stream:
    """Bytes from a file in chunks, with the CRC of everything consumed."""

    def __init__(self, fh: ByteStream) -> None:
        self.fh = fh
        self.buf = b""
        self.pos = 0
        self.crc = 0
        self.consumed = 0  # bytes consumed before `buf`
        self._crc_done = 0  # position in buf up to which the CRC is computed

    def need(self, n: int) -> bool:
        """Make `n` bytes available at `pos`; False at the end of the file."""
        if len(self.buf) - self.pos >= n:
            return True
        self._flush_crc()
        rest = self.buf[self.pos :]
        self.consumed += self.pos
        more = self.fh.read(max(n, _CHUNK))
        self.buf, self.pos, self._crc_done = rest + more, 0, 0
        while len(self.buf) < n:
            more = self.fh.read(_CHUNK)
            if not more:
                return False
            self.buf += more
        return True

    def _flush_crc(self) -> None:
        if self.pos > self._crc_done:
            self.crc = crc16(memoryview(self.buf)[self._crc_done : self.pos], self.crc)
            self._crc_done = self.pos

    def take_crc(self) -> int:
        """The CRC of everything consumed so far (then reset for the next file)."""
        self._flush_crc()
        crc, self.crc = self.crc, 0
        return crc

    @property
    def offset(self) -> int:
        return self.consumed + self.pos


def _struct_for(fields: list[tuple[int, int, int]], big: bool) -> tuple[str, list[int]]:
    """The struct format of a definition and how many values each field unpacks to."""
    fmt = [">" if big else "<"]
    counts = []
    for _num, size, base in fields:
        code = _BASE.get(base & 0x1F, ("s", None))[0]
        width = _WIDTH.get(code)
        if code == "s" or width is None or size % width or size == 0:
            fmt.append(f"{size}s")
            counts.append(1)
        else:
            fmt.append(code * (size // width))
            counts.append(size // width)
    return "".join(fmt), counts


def _value(raw: tuple[object, ...], start: int, count: int, base: int) -> object:
    """A field's decoded value: None when invalid, a tuple for arrays, text for strings."""
    code, invalid = _BASE.get(base & 0x1F, ("s", None))
    if count == 1:
        v = raw[start]
        if isinstance(v, bytes):
            if code == "s" and base & 0x1F == 7:
                text = v.split(b"\0", 1)[0].decode("utf-8", "replace")
                return text or None
            return v
        if v == invalid or (isinstance(v, float) and not math.isfinite(v)):
            return None
        return v
    values = tuple(
        v
        for v in raw[start : start + count]
        if v != invalid and not (isinstance(v, float) and not math.isfinite(v))
    )
    return values or None


class _Decoder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.checker = PointChecker()
        self.defs: dict[int, _Def] = {}
        self.dev_fields: dict[tuple[int, int], tuple[str, int, str | None, float, float]] = {}
        self.dev_apps: dict[int, bytes] = {}
        self.last_ts = 0
        self.pending_rr: list[float] = []
        #: The latest record's Sample arguments and RR: it is checked and kept once the hrv
        #: messages after it have added their RR (one Sample per record, never replaced).
        self.open: _Open | None = None
        self.open_rr: list[float] = []
        self.sport: tuple[int | None, int | None] = (None, None)
        self.sport_name: str | None = None
        self.laps: list[int] = []
        self.pauses: list[tuple[int, int | None]] = []
        self.device: str | None = None
        self.hrv_notes: dict[str, float] = {}
        self.records = 0

    # Definitions ---------------------------------------------------------------------------

    def define(self, s: _Stream, header: int) -> None:
        local = header & 0x0F
        if not s.need(5):
            raise CorruptFile(f"truncated inside a definition at byte {s.offset}")
        _res, arch, nfields = s.buf[s.pos], s.buf[s.pos + 1], s.buf[s.pos + 4]
        big = arch == 1
        global_num = struct.unpack_from(">H" if big else "<H", s.buf, s.pos + 2)[0]
        s.pos += 5
        if not s.need(nfields * 3):
            raise CorruptFile(f"truncated inside a definition at byte {s.offset}")
        raw = s.buf[s.pos : s.pos + nfields * 3]
        s.pos += nfields * 3
        fields = [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]
        dev: list[tuple[int, int]] = []
        dev_sizes: list[tuple[int, int, int]] = []
        if header & 0x20:
            if not s.need(1):
                raise CorruptFile(f"truncated inside a definition at byte {s.offset}")
            ndev = s.buf[s.pos]
            s.pos += 1
            if not s.need(ndev * 3):
                raise CorruptFile(f"truncated inside a definition at byte {s.offset}")
            rawd = s.buf[s.pos : s.pos + ndev * 3]
            s.pos += ndev * 3
            for i in range(0, len(rawd), 3):
                num, size, index = rawd[i], rawd[i + 1], rawd[i + 2]
                base = self.dev_fields.get((index, num), ("", 0x0D, None, 1.0, 0.0))[1]
                dev.append((index, num))
                dev_sizes.append((num, size, base))
        fmt, counts = _struct_for(fields + dev_sizes, big)
        st = struct.Struct(fmt)
        slots, start = [], 0
        for c in counts:
            slots.append((start, c))
            start += c
        names = tuple(f[0] for f in fields) + (-1,) * len(dev)
        ts_slot = next(
            (slots[i][0] for i, f in enumerate(fields) if f[0] == 253 and counts[i] == 1), -1
        )
        hrv_times = None
        if global_num == HRV:
            for i, (num, size, base) in enumerate(fields):
                if num == 0 and base & 0x1F == 4 and size and size % 2 == 0:  # uint16 array
                    hrv_times = slots[i]
        plan = []
        if global_num == RECORD:
            for i, (num, _size, base) in enumerate(fields):
                spec = _RECORD_FIELDS.get(num)
                code, invalid = _BASE.get(base & 0x1F, ("s", None))
                if spec is not None and code != "s":  # an array: its first value
                    plan.append((slots[i][0], spec[0], spec[1], spec[2], invalid))
        self.defs[local] = _Def(
            global_num,
            st.unpack_from,
            st.size,
            names,
            tuple(slots),
            tuple(f[2] for f in fields) + tuple(b for _n, _s, b in dev_sizes),
            tuple(dev),
            ts_slot,
            tuple(plan),
            hrv_times,
        )

    # Data ----------------------------------------------------------------------------------

    def data(self, s: _Stream, local: int, compressed_ts: int | None) -> None:
        d = self.defs.get(local)
        if d is None:
            raise CorruptFile(f"data message for undefined local type {local} at {s.offset}")
        if len(s.buf) - s.pos < d.size and not s.need(d.size):  # need()'s test, inline
            raise CorruptFile(
                f"truncated: a message at byte {s.offset} needs {d.size} bytes, "
                f"{len(s.buf) - s.pos} left"
            )
        gnum = d.global_num
        if gnum != RECORD and gnum not in _GENERIC:
            s.pos += d.size
            if compressed_ts is not None:
                self._compressed(compressed_ts)
            return
        raw = d.unpack(s.buf, s.pos)
        s.pos += d.size
        ts: int | None = None
        if d.ts_slot >= 0:
            v = raw[d.ts_slot]
            if isinstance(v, int) and v != 0xFFFFFFFF:
                ts = v
                self.last_ts = v
        elif compressed_ts is not None:
            ts = self._compressed(compressed_ts)
        if d.hrv_times is not None:  # an hrv message: RR in 1/1000 s, 0xFFFF unused slots
            start, count = d.hrv_times
            rr_times = [float(v) for v in raw[start : start + count] if v != 0xFFFF]  # type: ignore[arg-type]
            if rr_times:
                self._rr(rr_times)
            return
        if gnum == RECORD:
            values: list[float | None] = [None] * 12
            for slot, index, scale, offset, invalid in d.plan:
                x = raw[slot]
                if x != invalid and x == x:  # x == x: not NaN
                    values[index] = x / scale - offset  # type: ignore[operator]
            devs: dict[tuple[int, int], object] = {}
            if d.dev:
                ndef = len(d.names) - len(d.dev)
                for i, key in enumerate(d.dev, start=ndef):
                    start, count = d.slots[i]
                    value = _value(raw, start, count, d.bases[i])
                    if value is not None:
                        devs[key] = value
            self.record(values, devs, ts)
            return
        fields: dict[int, object] = {}
        devs = {}
        ndef = len(d.names) - len(d.dev)
        for i, (start, count) in enumerate(d.slots):
            value = _value(raw, start, count, d.bases[i])
            if value is None:
                continue
            if i < ndef:
                fields[d.names[i]] = value
            else:
                devs[d.dev[i - ndef]] = value
        if gnum == HRV:
            t = fields.get(0)
            times = t if isinstance(t, tuple) else (t,) if t is not None else ()
            self._rr([float(v) for v in times if isinstance(v, int | float)])  # 1/1000 s = ms
        else:
            self.other(gnum, fields, devs, ts)

    def _compressed(self, offset: int) -> int:
        ts = self.last_ts + ((offset - (self.last_ts & 0x1F)) & 0x1F)
        self.last_ts = ts
        return ts

    def _rr(self, values: list[float]) -> None:
        if not values:
            return
        if self.open is not None:
            self.open_rr.extend(values)
        else:
            self.pending_rr.extend(values)

    def close(self) -> None:
        """Check and keep the open record with every RR interval that came after it."""
        if self.open is not None:
            t, hr, cad, speed, power, dist, lat, lon, alt, temp = self.open
            sample = Sample(
                t, hr, cad, speed, power, dist, lat, lon, alt, rr=tuple(self.open_rr),
                temperature=temp,
            )  # fmt: skip
            self.open, self.open_rr = None, []
            self.checker.add(sample, "record")

    def record(
        self, v: list[float | None], devs: dict[tuple[int, int], object], ts: int | None
    ) -> None:
        self.records += 1
        if ts is None:
            raise InvalidActivity(f"record {self.records}: no timestamp")
        if ts < _MIN_ABSOLUTE:
            raise InvalidActivity(f"record {self.records}: a time relative to power-on, not a date")
        t_ms = (ts + FIT_EPOCH_S) * 1000
        rr: list[float] = []
        if devs:
            t_ms += self._dev_record(devs, rr)
        hr = v[_HR]
        cadence, fraction = v[_CAD], v[_FRAC]
        if cadence is not None and fraction is not None:
            cadence += fraction
        speed = v[_SPEED_E] if v[_SPEED_E] is not None else v[_SPEED]
        altitude = v[_ALT_E] if v[_ALT_E] is not None else v[_ALT]
        if self.pending_rr:
            rr = self.pending_rr + rr
            self.pending_rr = []
        self.close()
        hr_value = None if hr is None or hr <= 0 else int(hr)
        self.open = (
            t_ms,
            hr_value,
            cadence,
            speed,
            v[_POWER],
            v[_DIST],
            v[_LAT],
            v[_LON],
            altitude,
            v[_TEMP],
        )
        self.open_rr = rr

    def _dev_record(self, devs: dict[tuple[int, int], object], rr: list[float]) -> int:
        """Developer fields of a record: RR values into `rr`; our millisecond part returned."""
        ms = 0
        for key, value in devs.items():
            name, _base, units, scale, offset = self.dev_fields.get(key, ("", 0, None, 1.0, 0.0))
            if isinstance(value, _NUMBER):  # the usual single value: no list building
                nums = [value / scale - offset]
            else:
                values = value if isinstance(value, tuple) else (value,)
                nums = [x / scale - offset for x in values if isinstance(x, _NUMBER)]
            if not nums:
                continue
            if name == "time_ms" and self.dev_apps.get(key[0]) == APP_ID:
                ms = int(nums[0])
            elif _RR_NAME.search(name):
                seconds = units in ("s", "sec") or (units is None and max(nums) < 10)
                rr.extend(x * 1000 if seconds else x for x in nums)
            elif _HRV_NAME.search(name):
                self.hrv_notes[name] = nums[0]
        return ms

    def other(
        self, gnum: int, f: dict[int, object], devs: dict[tuple[int, int], object], ts: int | None
    ) -> None:
        if gnum == FIELD_DESCRIPTION:
            index, num, base = f.get(0), f.get(1), f.get(2)
            if isinstance(index, int) and isinstance(num, int) and isinstance(base, int):
                scale, offset = f.get(6), f.get(7)
                self.dev_fields[(index, num)] = (
                    str(f.get(3) or ""),
                    base,
                    str(f[8]) if isinstance(f.get(8), str) else None,
                    float(scale) if isinstance(scale, int) and scale else 1.0,
                    float(offset) if isinstance(offset, int) else 0.0,
                )
        elif gnum == DEVELOPER_DATA_ID:
            index, app = f.get(3), f.get(1)
            if isinstance(index, int):
                if isinstance(app, tuple):  # a byte array unpacks to ints
                    app = bytes(x for x in app if isinstance(x, int))
                self.dev_apps[index] = app if isinstance(app, bytes) else b""
        elif gnum == EVENT and f.get(0) == 0 and ts is not None:  # the timer
            t_ms = (ts + FIT_EPOCH_S) * 1000
            kind = f.get(1)
            paused = bool(self.pauses) and self.pauses[-1][1] is None
            if kind in (1, 4) and not paused and self.records:
                self.pauses.append((t_ms, None))
            elif kind == 0 and paused:
                self.pauses[-1] = (self.pauses[-1][0], t_ms)
        elif gnum == LAP:
            start = f.get(2)
            if isinstance(start, int) and start >= _MIN_ABSOLUTE:
                self.laps.append((start + FIT_EPOCH_S) * 1000)
        elif gnum in (SESSION, SPORT):
            sport_field, sub_field = (5, 6) if gnum == SESSION else (0, 1)
            sport, sub = f.get(sport_field), f.get(sub_field)
            if isinstance(sport, int) and self.sport[0] is None:
                self.sport = (sport, sub if isinstance(sub, int) else None)
            if gnum == SPORT and isinstance(f.get(3), str):
                self.sport_name = str(f[3])
            for key, value in devs.items():
                name = self.dev_fields.get(key, ("",))[0]
                if _HRV_NAME.search(name) and isinstance(value, int | float):
                    self.hrv_notes[name] = float(value)
        elif gnum in (FILE_ID, DEVICE_INFO):
            if gnum == DEVICE_INFO and f.get(0) not in (0, None):
                return  # a sensor, not the device that wrote the file
            maker, product = f.get(1 if gnum == FILE_ID else 2), f.get(2 if gnum == FILE_ID else 4)
            text = f.get(8 if gnum == FILE_ID else 27)
            product_name = text if isinstance(text, str) else None
            label = None
            if isinstance(maker, int) and maker:
                label = MANUFACTURERS.get(maker, f"manufacturer {maker}")
            if product_name is not None:
                label = f"{label} {product_name}" if label else product_name
            elif product is not None and label:
                label = f"{label} (product {product})"
            if label and (self.device is None or gnum == DEVICE_INFO and product_name is not None):
                self.device = label


def _iso(t_ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _header(s: _Stream, first: bool) -> int | None:
    """Read a FIT header; the data size, or None at a clean end of the file."""
    if not s.need(12):
        if first:
            raise UnsupportedFile("not a FIT file (shorter than a FIT header)")
        if len(s.buf) - s.pos:
            raise CorruptFile(f"{len(s.buf) - s.pos} stray byte(s) after the last FIT file")
        return None
    size = s.buf[s.pos]
    if s.buf[s.pos + 8 : s.pos + 12] != b".FIT" or size not in (12, 14):
        if first:
            raise UnsupportedFile("not a FIT file (no .FIT signature)")
        raise CorruptFile(f"no FIT header at byte {s.offset} after the previous file's CRC")
    if not s.need(size):
        raise CorruptFile("truncated inside the FIT header")
    data_size = int.from_bytes(s.buf[s.pos + 4 : s.pos + 8], "little")
    if size == 14:
        stored = int.from_bytes(s.buf[s.pos + 12 : s.pos + 14], "little")
        if stored and crc16(s.buf[s.pos : s.pos + 12]) != stored:
            raise CorruptFile("bad header CRC: the file is damaged")
    s.take_crc()
    s.pos += size
    if data_size == 0:
        raise CorruptFile("incomplete: the header says 0 bytes of data (never finished)")
    return data_size


def read_fit(
    fh: ByteStream, name: str = "file", cancel: Callable[[], None] | None = None
) -> Activity:
    """Decode a FIT activity from a binary stream; ImportRefused with the reason otherwise."""
    s = _Stream(fh)
    dec = _Decoder(name)
    first = True
    while True:
        data_size = _header(s, first)
        if data_size is None:
            break
        first = False
        end = s.offset + data_size
        n = 0
        while s.consumed + s.pos < end:  # s.offset, without a property call per message
            if s.pos >= len(s.buf) and not s.need(1):
                raise CorruptFile(
                    f"truncated: the header announces {data_size} bytes of data, "
                    f"the file ends {end - s.offset} bytes short"
                )
            header = s.buf[s.pos]
            s.pos += 1
            if header & 0x80:  # compressed timestamp header
                dec.data(s, (header >> 5) & 0x03, header & 0x1F)
            elif header & 0x40:
                dec.define(s, header)
            else:
                dec.data(s, header & 0x0F, None)
            n += 1
            if cancel is not None and n % 8192 == 0:
                cancel()
        if s.offset != end:
            raise CorruptFile(f"a message runs past the end of the data ({s.offset} > {end})")
        if not s.need(2):
            raise CorruptFile("truncated: the file CRC is missing")
        expected = int.from_bytes(s.buf[s.pos : s.pos + 2], "little")
        actual = s.take_crc()
        s.pos += 2
        if expected != actual:
            raise CorruptFile(
                f"bad CRC (file says {expected:#06x}, data gives {actual:#06x}): damaged file"
            )
        s.take_crc()
    dec.close()
    samples = dec.checker.samples
    sport = fit_sport(*dec.sport)
    if sport in STEP_CADENCE_SPORTS:  # FIT counts strides (one leg) per minute
        for smp in samples:
            _double_cadence(smp)
    if samples:  # a timer stop at the very end is the end, not a pause
        pauses = [(p, r) for p, r in dec.pauses if p < samples[-1].t_ms]
    else:
        pauses = []
    notes = None
    if dec.hrv_notes:
        notes = "From the file: " + ", ".join(f"{k} {v:g}" for k, v in dec.hrv_notes.items())
    start = samples[0].t_ms if samples else 0
    return Activity(
        format="fit",
        samples=samples,
        laps=sorted(t for t in set(dec.laps) if t > start),
        pauses=pauses,
        sport=sport,
        title=dec.sport_name,
        device=dec.device,
        notes=notes,
    )


def _double_cadence(s: Sample) -> None:
    """Steps per minute from strides, in place: the reader made `s` and nobody else holds it
    yet (a new Sample per record cost as much as decoding it)."""
    if s.cadence is not None:
        object.__setattr__(s, "cadence", s.cadence * 2)  # frozen: set as __init__ does
