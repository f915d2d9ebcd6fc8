"""The Pulsedeck trace protocol v1 (docs/trace-protocol.md) as pure parse/encode functions.

Parsing never raises on bad input: it returns what was valid plus one `Reject` (with a short
reason category and a detail) per refused message or sample, so the client can count and log
every rejection and keep the feed running.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from app.domain.samples import RANGES, RR_RANGE_MS, Sample
from app.domain.text import escape_controls

PROTOCOL_VERSION = 1
PATH = "/api/v1/traces"
#: A message larger than this is refused (counted as "oversize") without reading its JSON:
#: a batch of 1000 full samples is ~200 KiB, so anything bigger is a fault or an attack.
MAX_MESSAGE_BYTES = 256 * 1024
#: More samples than this in one message is refused: keeps one message's work bounded.
MAX_BATCH = 1000
#: RR intervals per sample: 32 beats at the slowest plausible rate is ~96 s of data.
MAX_RR = 32
#: measured_at must lie between 2000-01-01 and 2100-01-01 (epoch ms): outside is a bad clock.
MIN_EPOCH_MS = 946_684_800_000
MAX_EPOCH_MS = 4_102_444_800_000
MAX_ATHLETE_ID = 64
MAX_NAME = 120
#: Profile fields (optional, on samples or athlete descriptors) and their plausible ranges.
PROFILE_RANGES: dict[str, tuple[float, float]] = {"height_cm": (50, 260), "weight_kg": (20, 400)}
#: Wire name -> (Sample field, integer-only). `steps` is cumulative since the athlete's stream
#: began (a delta feed must be summed by the server before sending).
CHANNELS: dict[str, tuple[str, bool]] = {
    "heart_rate": ("hr", True),
    "cadence": ("cadence", False),
    "steps": ("steps", True),
    "met": ("met", False),
    "speed": ("speed", False),
    "power": ("power", False),
    "distance": ("distance", False),
}

# Reject reasons (the categories counted by the client; details go to the log).
OVERSIZE = "oversize"
BAD_JSON = "bad-json"
NON_FINITE = "non-finite"
WRONG_TYPE = "wrong-type"
OUT_OF_RANGE = "out-of-range"
MISSING_FIELD = "missing-field"
UNKNOWN_TYPE = "unknown-type"
BAD_VERSION = "bad-version"
NON_MONOTONIC = "non-monotonic"
CLOCK_AHEAD = "clock-ahead"
EMPTY = "no-measurement"


@dataclass(frozen=True, slots=True)
class Reject:
    """One refused message or sample: `reason` is a category, `detail` says what was wrong."""

    reason: str
    detail: str
    athlete: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteAthlete:
    """A remote athlete's descriptor; profile fields are None when the feed does not say."""

    key: str
    name: str | None = None
    height_cm: float | None = None
    weight_kg: float | None = None


@dataclass(frozen=True, slots=True)
class Gap:
    """The server no longer holds samples of `athlete` in [from_ms, to_ms]: they are lost."""

    athlete: str
    from_ms: int
    to_ms: int


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one message carried: samples as (remote athlete, Sample), plus control items."""

    samples: tuple[tuple[str, Sample], ...] = ()
    athletes: tuple[RemoteAthlete, ...] = ()
    rejects: tuple[Reject, ...] = ()
    gaps: tuple[Gap, ...] = ()
    end: bool = False
    error: str | None = None
    hello: bool = False
    auth_failed: bool = False
    #: Readings the feed marked as "no reading" (HypeRate's 0 bpm): skipped, not errors.
    no_reading: int = 0
    #: From hello: each athlete's newest buffered measured_at (where "live" starts).
    latest: Mapping[str, int] = field(default_factory=dict)


class WireError(Exception):
    """A field or message that breaks the protocol; `reason` is the category counted."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _no_constants(name: str) -> float:
    raise WireError(NON_FINITE, f"non-finite number {name} in JSON")


def load_json(raw: bytes | str, max_bytes: int = MAX_MESSAGE_BYTES) -> Any:
    """Decode one message strictly (no NaN/Infinity), or raise `WireError` with a reason."""
    if len(raw) > max_bytes:
        raise WireError(OVERSIZE, f"message of {len(raw)} bytes exceeds the {max_bytes} cap")
    try:
        return json.loads(raw, parse_constant=_no_constants)
    except WireError:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, huge ints
        raise WireError(BAD_JSON, f"not JSON: {str(exc)[:80]}") from None


def number_field(obj: Mapping[str, Any], key: str, integer: bool, low: float, high: float) -> Any:
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WireError(WRONG_TYPE, f"{key} must be a number, got {type(value).__name__}")
    if integer and not isinstance(value, int):
        raise WireError(WRONG_TYPE, f"{key} must be an integer, got {value!r}")
    if not math.isfinite(value):
        raise WireError(NON_FINITE, f"{key} is not finite")
    if not low <= value <= high:
        raise WireError(OUT_OF_RANGE, f"{key}={value} outside [{low}, {high}]")
    return value


def string_field(obj: Mapping[str, Any], key: str, limit: int) -> str:
    value = obj[key]
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # numeric user ids are common; they are keys, not numbers
    if not isinstance(value, str):
        raise WireError(WRONG_TYPE, f"{key} must be a string, got {type(value).__name__}")
    if not value or len(value) > limit or not value.isprintable():
        raise WireError(OUT_OF_RANGE, f"{key} must be 1..{limit} printable characters")
    return value


def _profile(obj: Mapping[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, (low, high) in PROFILE_RANGES.items():
        if obj.get(key) is not None:
            out[key] = float(number_field(obj, key, False, low, high))
    return out


def parse_sample(
    obj: Any, arrival_ms: int, default_athlete: str | None = None
) -> tuple[str, Sample, RemoteAthlete | None]:
    """One wire sample -> (athlete key, Sample, profile update or None); raises `WireError`."""
    if not isinstance(obj, dict):
        raise WireError(WRONG_TYPE, f"a sample must be an object, got {type(obj).__name__}")
    if "athlete" in obj:
        athlete = string_field(obj, "athlete", MAX_ATHLETE_ID)
    elif default_athlete is not None:
        athlete = default_athlete
    else:
        raise WireError(MISSING_FIELD, "sample has no athlete")
    try:
        if "measured_at" not in obj:
            raise WireError(MISSING_FIELD, "sample has no measured_at")
        t_ms = number_field(obj, "measured_at", True, MIN_EPOCH_MS, MAX_EPOCH_MS)
        values: dict[str, Any] = {}
        for wire, (name, integer) in CHANNELS.items():
            if obj.get(wire) is not None:
                low, high = RANGES[name]
                values[name] = number_field(obj, wire, integer, low, high)
        rr: tuple[float, ...] = ()
        if obj.get("rr") is not None:
            raw_rr = obj["rr"]
            if not isinstance(raw_rr, list):
                raise WireError(WRONG_TYPE, "rr must be a list of milliseconds")
            if len(raw_rr) > MAX_RR:
                raise WireError(OUT_OF_RANGE, f"rr has {len(raw_rr)} values (max {MAX_RR})")
            low, high = RR_RANGE_MS
            rr = tuple(float(number_field({"rr": v}, "rr", False, low, high)) for v in raw_rr)
        if not values and not rr:
            raise WireError(EMPTY, "sample carries no measurement")
        profile = _profile(obj)
    except WireError as exc:
        raise WireError(exc.reason, f"athlete {athlete}: {exc.detail}") from None
    sample = Sample(t_ms=t_ms, rr=rr, received_ms=arrival_ms, **values)
    update = RemoteAthlete(athlete, None, profile.get("height_cm"), profile.get("weight_kg"))
    return athlete, sample, update if profile else None


def parse_athlete(obj: Any) -> RemoteAthlete:
    """An athlete descriptor (in `hello.athletes` or an `athlete` message); raises `WireError`."""
    if not isinstance(obj, dict):
        raise WireError(WRONG_TYPE, "an athlete descriptor must be an object")
    if "id" not in obj:
        raise WireError(MISSING_FIELD, "athlete descriptor has no id")
    key = string_field(obj, "id", MAX_ATHLETE_ID)
    name = string_field(obj, "name", MAX_NAME) if obj.get("name") is not None else None
    profile = _profile(obj)
    return RemoteAthlete(key, name, profile.get("height_cm"), profile.get("weight_kg"))


def _reject(exc: WireError) -> Reject:
    return Reject(exc.reason, exc.detail)


def _samples(items: Iterable[Any], arrival_ms: int) -> Parsed:
    samples: list[tuple[str, Sample]] = []
    athletes: list[RemoteAthlete] = []
    rejects: list[Reject] = []
    for item in items:
        try:
            athlete, sample, update = parse_sample(item, arrival_ms)
        except WireError as exc:
            who = item.get("athlete") if isinstance(item, dict) else None
            shown = escape_controls(who[:MAX_ATHLETE_ID]) if isinstance(who, str) else None
            rejects.append(Reject(exc.reason, exc.detail, shown))
            continue
        samples.append((athlete, sample))
        if update is not None:
            athletes.append(update)
    return Parsed(samples=tuple(samples), athletes=tuple(athletes), rejects=tuple(rejects))


def parse_message(raw: bytes | str, arrival_ms: int, max_bytes: int = MAX_MESSAGE_BYTES) -> Parsed:
    """Parse one server message of the Pulsedeck protocol; bad input becomes `rejects`."""
    try:
        msg = load_json(raw, max_bytes)
        if not isinstance(msg, dict):
            raise WireError(WRONG_TYPE, f"a message must be an object, got {type(msg).__name__}")
        version = msg.get("v", PROTOCOL_VERSION)
        if version != PROTOCOL_VERSION or isinstance(version, bool):
            raise WireError(BAD_VERSION, f"protocol version {version!r} is not {PROTOCOL_VERSION}")
        kind = msg.get("type")
        if kind == "samples":
            items = msg.get("samples")
            if not isinstance(items, list):
                raise WireError(WRONG_TYPE, "samples must be a list")
            if len(items) > MAX_BATCH:
                raise WireError(OVERSIZE, f"batch of {len(items)} samples (max {MAX_BATCH})")
            return _samples(items, arrival_ms)
        if kind == "sample":
            return _samples([msg], arrival_ms)
        if kind == "hello":
            described = msg.get("athletes") or []
            if not isinstance(described, list):
                raise WireError(WRONG_TYPE, "hello.athletes must be a list")
            latest = msg.get("latest") or {}
            if not isinstance(latest, dict):
                raise WireError(WRONG_TYPE, "hello.latest must be an object")
            for key in latest:
                number_field(latest, key, True, 0, MAX_EPOCH_MS)
            parsed = _described(described, hello=True)
            return replace(parsed, latest={str(k)[:MAX_ATHLETE_ID]: v for k, v in latest.items()})
        if kind == "athlete":
            return _described([msg])
        if kind == "gap":
            athlete = string_field(msg, "athlete", MAX_ATHLETE_ID) if "athlete" in msg else None
            if athlete is None or "from" not in msg or "to" not in msg:
                raise WireError(MISSING_FIELD, "gap needs athlete, from and to")
            low = number_field(msg, "from", True, 0, MAX_EPOCH_MS)
            high = number_field(msg, "to", True, 0, MAX_EPOCH_MS)
            return Parsed(gaps=(Gap(athlete, low, high),))
        if kind == "end":
            return Parsed(end=True)
        if kind == "error":
            text = msg.get("message")
            # The server's words, shown to the user: never able to drive a terminal.
            shown = escape_controls(str(text)[:200]) if text is not None else "server error"
            return Parsed(error=shown)
        raise WireError(UNKNOWN_TYPE, f"unknown message type {str(kind)[:40]!r}")
    except WireError as exc:
        return Parsed(rejects=(_reject(exc),))


def _described(items: Sequence[Any], hello: bool = False) -> Parsed:
    athletes: list[RemoteAthlete] = []
    rejects: list[Reject] = []
    for item in items:
        try:
            athletes.append(parse_athlete(item))
        except WireError as exc:
            rejects.append(_reject(exc))
    return Parsed(athletes=tuple(athletes), rejects=tuple(rejects), hello=hello)


# Encoding (server side, and the inverse used by property tests) --------------------------


def _clean(value: float) -> float | int:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value


def sample_object(athlete: str, sample: Sample) -> dict[str, Any]:
    """A Sample as its wire object (channels that are None are left out)."""
    obj: dict[str, Any] = {"athlete": athlete, "measured_at": sample.t_ms}
    for wire, (name, integer) in CHANNELS.items():
        value = getattr(sample, name)
        if value is not None:
            obj[wire] = int(value) if integer else _clean(value)
    if sample.rr:
        obj["rr"] = [_clean(v) for v in sample.rr]
    return obj


def encode_sample(athlete: str, sample: Sample) -> str:
    """One sample as a compact JSON object, ready to be joined into a batch."""
    return json.dumps(sample_object(athlete, sample), separators=(",", ":"), allow_nan=False)


def encode_batch(fragments: Sequence[str], sent_at_ms: int | None = None) -> str:
    """A `samples` message from pre-encoded sample objects (no re-encoding per client)."""
    head = f'{{"v":{PROTOCOL_VERSION},"type":"samples"'
    if sent_at_ms is not None:
        head += f',"sent_at":{sent_at_ms}'
    return head + ',"samples":[' + ",".join(fragments) + "]}"


def athlete_object(athlete: RemoteAthlete) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": athlete.key}
    if athlete.name is not None:
        obj["name"] = athlete.name
    if athlete.height_cm is not None:
        obj["height_cm"] = athlete.height_cm
    if athlete.weight_kg is not None:
        obj["weight_kg"] = athlete.weight_kg
    return obj


def encode_control(kind: str, **fields: Any) -> str:
    """A control message (`hello`, `athlete`, `gap`, `end`, `error`)."""
    return json.dumps({"v": PROTOCOL_VERSION, "type": kind, **fields}, separators=(",", ":"))


def encode_hello(
    server: str,
    athletes: Iterable[RemoteAthlete],
    latest: Mapping[str, int] | None = None,
    steps: str = "cumulative",
) -> str:
    """The server's first message: who streams here and each athlete's newest buffered time."""
    return encode_control(
        "hello",
        server=server,
        steps=steps,
        athletes=[athlete_object(a) for a in athletes],
        latest=dict(latest or {}),
    )


def encode_subscribe(since: Mapping[str, int], default: int | None = None) -> str:
    """The client's reply to hello: resume each athlete after its cursor (exclusive).

    `default` applies to athletes not named in `since` (0: everything buffered; absent:
    live only).
    """
    msg: dict[str, Any] = {"v": PROTOCOL_VERSION, "type": "subscribe", "since": dict(since)}
    if default is not None:
        msg["default"] = default
    return json.dumps(msg, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Subscribe:
    """Where a client wants each athlete's stream to resume; `default` for unnamed athletes."""

    since: Mapping[str, int]
    default: int | None = None


def parse_subscribe(raw: bytes | str, max_bytes: int = 64 * 1024) -> Subscribe:
    """The client's subscribe message; raises ValueError with a reason when it is invalid."""
    try:
        msg = load_json(raw, max_bytes)
    except WireError as exc:
        raise ValueError(exc.detail) from None
    if not isinstance(msg, dict) or msg.get("type") != "subscribe":
        raise ValueError("expected a subscribe message")
    since = msg.get("since", {})
    default = msg.get("default")
    if default is not None and (isinstance(default, bool) or not isinstance(default, int)):
        raise ValueError("default must be an integer")
    if isinstance(since, int) and not isinstance(since, bool):
        return Subscribe({}, since)
    if not isinstance(since, dict):
        raise ValueError("since must be an object of athlete -> epoch ms")
    out: dict[str, int] = {}
    for key, value in since.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"since[{key[:40]!r}] must be an integer")
        out[str(key)] = value
    return Subscribe(out, default)
