"""The trace protocol's pure parser: table-first vectors, then property tests."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.samples import Sample
from device.feeds import protocol as p

T0 = 1_764_000_000_000
ARRIVAL = T0 + 1234


def msg(**fields: object) -> str:
    return json.dumps({"v": 1, **fields})


def one(**sample: object) -> str:
    return msg(type="samples", samples=[{"athlete": "a1", "measured_at": T0, **sample}])


def test_a_full_sample_maps_every_channel_and_keeps_both_clocks() -> None:
    raw = one(
        heart_rate=142,
        rr=[420.5, 430],
        cadence=171.5,
        steps=1200,
        met=9.5,
        speed=3.4,
        power=250,
        distance=1000.5,
        height_cm=180,
        weight_kg=72.5,
    )
    parsed = p.parse_message(raw, ARRIVAL)
    assert parsed.rejects == ()
    [(athlete, sample)] = parsed.samples
    assert athlete == "a1"
    assert sample == Sample(
        t_ms=T0,
        hr=142,
        rr=(420.5, 430.0),
        cadence=171.5,
        steps=1200,
        met=9.5,
        speed=3.4,
        power=250,
        distance=1000.5,
        received_ms=ARRIVAL,
    )
    assert parsed.athletes == (p.RemoteAthlete("a1", None, 180.0, 72.5),)


def test_single_sample_messages_and_numeric_athlete_ids() -> None:
    raw = msg(type="sample", athlete=7, measured_at=T0, heart_rate=60)
    parsed = p.parse_message(raw, ARRIVAL)
    assert [(a, s.hr) for a, s in parsed.samples] == [("7", 60)]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"v":1,"type":"samples","samples":[{"athlete":', p.BAD_JSON),
        (b"\xff\xfe not utf-8", p.BAD_JSON),
        ("[" * 50_000 + "]" * 50_000, p.BAD_JSON),  # nesting bomb: RecursionError, not a crash
        ('{"v":1,"type":"sample","athlete":"a","measured_at":' + "9" * 5000 + "}", p.BAD_JSON),
        (
            '{"v":1,"type":"sample","athlete":"a","measured_at":1764000000000,"heart_rate":NaN}',
            p.NON_FINITE,
        ),
        (
            '{"v":1,"type":"sample","athlete":"a","measured_at":1764000000000,"speed":-Infinity}',
            p.NON_FINITE,
        ),
        (
            '{"v":1,"type":"sample","athlete":"a","measured_at":1764000000000,"speed":1e999}',
            p.NON_FINITE,
        ),
        (one(heart_rate="142"), p.WRONG_TYPE),
        (one(heart_rate=True), p.WRONG_TYPE),
        (one(heart_rate=142.5), p.WRONG_TYPE),
        (one(steps=10.5), p.WRONG_TYPE),
        (one(rr="420"), p.WRONG_TYPE),
        (one(rr=[420, "x"]), p.WRONG_TYPE),
        (one(heart_rate=400), p.OUT_OF_RANGE),
        (one(heart_rate=0), p.OUT_OF_RANGE),
        (one(cadence=-1), p.OUT_OF_RANGE),
        (one(rr=[50]), p.OUT_OF_RANGE),
        (one(rr=[500] * 33), p.OUT_OF_RANGE),
        (one(heart_rate=60, weight_kg=5), p.OUT_OF_RANGE),
        (msg(type="sample", athlete="a", measured_at=12, heart_rate=60), p.OUT_OF_RANGE),
        (msg(type="sample", athlete="a", measured_at="1764000000000", heart_rate=60), p.WRONG_TYPE),
        (msg(type="sample", athlete="a", measured_at=float(T0), heart_rate=60), p.WRONG_TYPE),
        (msg(type="sample", athlete="a", heart_rate=60), p.MISSING_FIELD),
        (msg(type="sample", measured_at=T0, heart_rate=60), p.MISSING_FIELD),
        (msg(type="sample", athlete="", measured_at=T0, heart_rate=60), p.OUT_OF_RANGE),
        (msg(type="sample", athlete="x" * 65, measured_at=T0, heart_rate=60), p.OUT_OF_RANGE),
        (msg(type="sample", athlete=["a"], measured_at=T0, heart_rate=60), p.WRONG_TYPE),
        (one(), p.EMPTY),
        (msg(type="samples", samples="nope"), p.WRONG_TYPE),
        (msg(type="samples", samples=[1]), p.WRONG_TYPE),
        (msg(type="samples", samples=[{}] * (p.MAX_BATCH + 1)), p.OVERSIZE),
        (msg(type="telemetry"), p.UNKNOWN_TYPE),
        ('{"type":"samples","v":2,"samples":[]}', p.BAD_VERSION),
        ("[1, 2]", p.WRONG_TYPE),
        ("null", p.WRONG_TYPE),
        (msg(type="gap", athlete="a"), p.MISSING_FIELD),
        ("x" * (p.MAX_MESSAGE_BYTES + 1), p.OVERSIZE),
    ],
)
def test_bad_input_becomes_one_counted_reject_never_an_exception(
    raw: str | bytes, reason: str
) -> None:
    parsed = p.parse_message(raw, ARRIVAL)
    assert parsed.samples == ()
    assert [r.reason for r in parsed.rejects] == [reason], parsed.rejects
    assert parsed.rejects[0].detail


def test_one_bad_sample_does_not_sink_its_batch() -> None:
    raw = msg(
        type="samples",
        samples=[
            {"athlete": "a", "measured_at": T0, "heart_rate": 100},
            {"athlete": "b", "measured_at": T0, "heart_rate": 999},
            {"athlete": "c", "measured_at": T0, "heart_rate": 101},
        ],
    )
    parsed = p.parse_message(raw, ARRIVAL)
    assert [a for a, _ in parsed.samples] == ["a", "c"]
    assert [(r.reason, r.athlete) for r in parsed.rejects] == [(p.OUT_OF_RANGE, "b")]


def test_control_messages() -> None:
    hello = p.parse_message(
        p.encode_hello("sim", [p.RemoteAthlete("a1", "Ann", 170.0, 60.0), p.RemoteAthlete("b")]),
        ARRIVAL,
    )
    assert hello.hello
    assert hello.athletes == (p.RemoteAthlete("a1", "Ann", 170.0, 60.0), p.RemoteAthlete("b"))
    gap = p.parse_message(p.encode_control("gap", athlete="a1", **{"from": 5, "to": 9}), ARRIVAL)
    assert gap.gaps == (p.Gap("a1", 5, 9),)
    assert p.parse_message(p.encode_control("end"), ARRIVAL).end
    assert p.parse_message(p.encode_control("error", message="boom"), ARRIVAL).error == "boom"
    bad_hello = p.parse_message(msg(type="hello", athletes=[{"name": "no id"}]), ARRIVAL)
    assert [r.reason for r in bad_hello.rejects] == [p.MISSING_FIELD]


def test_subscribe_round_trip_and_refusals() -> None:
    sub = p.parse_subscribe(p.encode_subscribe({"a1": T0, "b": T0 + 5}))
    assert sub == p.Subscribe({"a1": T0, "b": T0 + 5}, None)
    assert p.parse_subscribe('{"type":"subscribe","since":5}') == p.Subscribe({}, 5)
    assert p.parse_subscribe('{"type":"subscribe"}') == p.Subscribe({}, None)
    for bad in (
        '{"type":"hello"}',
        "nope",
        '{"type":"subscribe","since":{"a":"1"}}',
        '{"type":"subscribe","since":[1]}',
    ):
        with pytest.raises(ValueError):
            p.parse_subscribe(bad)


channel = st.one_of(st.none(), st.integers(20, 250))
floats = st.floats(0, 300, allow_nan=False).map(lambda v: round(v, 3))


@settings(max_examples=80, deadline=None)
@given(
    t=st.integers(p.MIN_EPOCH_MS, p.MAX_EPOCH_MS),
    hr=channel,
    cadence=st.one_of(st.none(), floats),
    steps=st.one_of(st.none(), st.integers(0, 10_000_000)),
    rr=st.lists(st.floats(200, 3000, allow_nan=False).map(lambda v: round(v, 1)), max_size=5),
    athlete=st.text(
        st.characters(min_codepoint=33, max_codepoint=0x2FFF, categories=["L", "N", "P"]),
        min_size=1,
        max_size=64,
    ),
)
def test_encode_then_parse_is_identity(
    t: int,
    hr: int | None,
    cadence: float | None,
    steps: int | None,
    rr: list[float],
    athlete: str,
) -> None:
    sample = Sample(t_ms=t, hr=hr, cadence=cadence, steps=steps, rr=tuple(rr))
    if sample.hr is None and sample.cadence is None and sample.steps is None and not sample.rr:
        sample = Sample(t_ms=t, hr=60)
    text = p.encode_batch([p.encode_sample(athlete, sample)])
    parsed = p.parse_message(text, ARRIVAL)
    assert parsed.rejects == ()
    assert parsed.samples == ((athlete, Sample(**{**_fields(sample), "received_ms": ARRIVAL})),)


def _fields(sample: Sample) -> dict[str, object]:
    return {name: getattr(sample, name) for name in Sample.__slots__}


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300),
        st.recursive(
            st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
            lambda inner: st.one_of(
                st.lists(inner, max_size=4),
                st.dictionaries(
                    st.sampled_from(
                        [
                            "v",
                            "type",
                            "samples",
                            "athlete",
                            "measured_at",
                            "heart_rate",
                            "rr",
                            "steps",
                            "id",
                            "athletes",
                        ]
                    ),
                    inner,
                    max_size=6,
                ),
            ),
            max_leaves=20,
        ).map(lambda v: json.dumps(v) if not isinstance(v, float) else str(v)),
    )
)
def test_the_parser_never_raises(raw: bytes | str) -> None:
    parsed = p.parse_message(raw, ARRIVAL)
    for _, sample in parsed.samples:
        assert p.MIN_EPOCH_MS <= sample.t_ms <= p.MAX_EPOCH_MS
