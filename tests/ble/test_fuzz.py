"""Hypothesis: random bytes into every decoder; only GattDecodeError may come out."""

from __future__ import annotations

import os
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from device.ble import uuids as U
from device.ble.decoders import DECODERS, GattDecodeError, decode
from device.ble.derive import derive_csc, derive_power
from device.ble.describe import describe, value_json
from device.ble.samples import SampleBuilder

FUZZ = settings(
    max_examples=int(os.environ.get("PULSEDECK_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
UUIDS = sorted(DECODERS)


@FUZZ
@given(uuid=st.sampled_from(UUIDS), data=st.binary(max_size=64))
def test_random_bytes_decode_or_raise_the_typed_error(uuid: str, data: bytes) -> None:
    try:
        value = decode(uuid, data)
    except GattDecodeError as exc:
        assert str(exc)
        return
    out = value_json(uuid, value)  # whatever decodes must also render
    assert isinstance(out, dict) and out
    # Never garbage for a short payload: a decoded value consumed at most what was there.
    assert getattr(value, "trailing_octets", 0) <= len(data)


@FUZZ
@given(
    uuid=st.sampled_from(UUIDS),
    flags=st.integers(0, 0xFFFF),
    body=st.binary(min_size=0, max_size=40),
)
def test_plausible_flags_with_random_fields(uuid: str, flags: int, body: bytes) -> None:
    """Random flag words (the interesting branch selector) followed by random field bytes."""
    data = struct.pack("<H", flags) + body
    for payload in (data, data[1:]):  # 16-bit and 8-bit flag characteristics
        try:
            decode(uuid, payload)
        except GattDecodeError:
            pass


@FUZZ
@given(
    uuid=st.sampled_from([U.CSC_MEASUREMENT, U.CYCLING_POWER_MEASUREMENT]),
    a=st.binary(max_size=24),
    b=st.binary(max_size=24),
    circumference=st.floats(0.5, 3.0),
)
def test_derivation_from_random_pairs(uuid: str, a: bytes, b: bytes, circumference: float) -> None:
    try:
        prev, cur = decode(uuid, a), decode(uuid, b)
    except GattDecodeError:
        return
    derive = derive_csc if uuid == U.CSC_MEASUREMENT else derive_power
    d = derive(prev, cur, circumference)  # type: ignore[arg-type]
    for value in (d.delta_crank_revs, d.delta_crank_time_raw_1024):
        assert value is None or 0 <= value < 1 << 16
    assert d.delta_wheel_revs is None or 0 <= d.delta_wheel_revs < 1 << 32


@FUZZ
@given(text=st.text(max_size=30), payload=st.text(max_size=30))
def test_describe_with_random_text_raises_only_typed_errors(text: str, payload: str) -> None:
    from device.ble.decoders import UnknownCharacteristic
    from device.ble.uuids import InvalidUuid

    try:
        describe(text, payload)
    except (GattDecodeError, UnknownCharacteristic, InvalidUuid):
        pass


@FUZZ
@given(
    stream=st.lists(
        st.tuples(st.sampled_from(UUIDS), st.binary(max_size=24), st.integers(1, 5000)),
        max_size=40,
    )
)
def test_sample_builder_never_raises_and_emits_only_valid_samples(
    stream: list[tuple[str, bytes, int]],
) -> None:
    from app.domain.samples import validate

    builder = SampleBuilder("AA:BB")
    t = 1_700_000_000_000
    for uuid, data, step in stream:
        t += step
        sample = builder.feed(uuid, data, t)
        if sample is not None:
            validate(sample)  # the recorder would accept it
            assert sample.source == "AA:BB"
    assert builder.stats.notifications == len(stream)
