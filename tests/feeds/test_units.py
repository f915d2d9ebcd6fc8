"""Pure pieces of the client: backoff, ordering guard, clock offsets, Pulsoid/HypeRate parsing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device.feeds import protocol as p
from device.feeds.backoff import BackoffPolicy, backoff_delay, next_attempt
from device.feeds.client import ClockOffsets
from device.feeds.formats import HypeRateFormat, PulsoidFormat, make_format, redact_url, with_query
from device.feeds.guard import SequenceGuard, Verdict

T0 = 1_764_000_000_000


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (0, 0.0, 0.25),
        (0, 0.999999, 0.5),
        (1, 0.0, 0.5),
        (3, 0.5, 3.0),
        (10, 0.0, 15.0),
        (10, 0.999999, 30.0),
        (500, 0.0, 15.0),
    ],
)
def test_backoff_table(attempt: int, rand: float, expected: float) -> None:
    assert backoff_delay(attempt, BackoffPolicy(), rand) == pytest.approx(expected, abs=1e-4)


@given(st.integers(0, 1000), st.floats(0, 1, exclude_max=True))
def test_backoff_is_bounded_never_instant_and_grows(attempt: int, rand: float) -> None:
    policy = BackoffPolicy()
    delay = backoff_delay(attempt, policy, rand)
    assert policy.base_s * (1 - policy.jitter) <= delay <= policy.cap_s
    assert backoff_delay(attempt + 1, policy, 0.0) >= backoff_delay(attempt, policy, 0.0)


def test_backoff_rejects_nonsense_and_resets_after_a_healthy_connection() -> None:
    with pytest.raises(ValueError):
        backoff_delay(-1, BackoffPolicy(), 0.5)
    with pytest.raises(ValueError):
        backoff_delay(0, BackoffPolicy(), 1.0)
    policy = BackoffPolicy(healthy_after_s=10)
    assert next_attempt(4, 0.0, policy) == 5
    assert next_attempt(4, 9.9, policy) == 5
    assert next_attempt(4, 10.0, policy) == 0


def test_guard_accepts_increasing_times_and_classifies_the_rest() -> None:
    g = SequenceGuard()
    assert [g.check("a", t) for t in (T0, T0 + 250, T0 + 500)] == [Verdict.ACCEPT] * 3
    assert g.check("a", T0 + 250) is Verdict.DUPLICATE  # replayed
    assert g.check("a", T0 + 500) is Verdict.DUPLICATE
    assert g.check("a", T0 + 100) is Verdict.NON_MONOTONIC  # never seen, older
    assert g.check("a", T0 - 1) is Verdict.NON_MONOTONIC  # before the stream began
    assert g.check("b", T0) is Verdict.ACCEPT  # athletes are independent
    assert g.cursors() == {"a": T0 + 500, "b": T0}


def test_guard_resumed_from_a_stored_cursor_treats_older_as_already_stored() -> None:
    g = SequenceGuard({"a": T0})
    assert g.check("a", T0 - 100) is Verdict.DUPLICATE
    assert g.check("a", T0) is Verdict.DUPLICATE
    assert g.check("a", T0 + 1) is Verdict.ACCEPT


def test_guard_memory_is_bounded() -> None:
    g = SequenceGuard()
    for i in range(5000):
        assert g.check("a", T0 + i) is Verdict.ACCEPT
    assert g.check("a", T0 + 10) is Verdict.DUPLICATE  # forgotten: assumed delivered
    assert g.check("a", T0 + 4999) is Verdict.DUPLICATE


def test_clock_offset_is_the_window_minimum() -> None:
    offsets = ClockOffsets(window=3)
    assert offsets.get("a") is None
    for value in (500, 120, 300, 310, 305):
        offsets.add("a", value)
    assert offsets.get("a") == 300  # 120 left the window
    assert offsets.all() == {"a": 300}


def test_pulsoid_messages() -> None:
    fmt = PulsoidFormat()
    ok = fmt.parse(json.dumps({"measured_at": T0, "data": {"heart_rate": 77}}), T0 + 40, 9999)
    assert [(a, s.t_ms, s.hr, s.received_ms) for a, s in ok.samples] == [
        ("pulsoid", T0, 77, T0 + 40)
    ]
    for raw, reason in [
        ('{"measured_at": 1764000000000, "data": {"heart_rate": NaN}}', p.NON_FINITE),
        ('{"measured_at": 1764000000000, "data": {"heart_rate": "77"}}', p.WRONG_TYPE),
        ('{"measured_at": 1764000000000, "data": {}}', p.MISSING_FIELD),
        ('{"data": {"heart_rate": 77}}', p.MISSING_FIELD),
        ("[]", p.WRONG_TYPE),
        ("{", p.BAD_JSON),
    ]:
        assert [r.reason for r in fmt.parse(raw, T0, 9999).rejects] == [reason], raw
    url, headers = fmt.request("wss://dev.pulsoid.net/api/v1/data/real_time", "tok", False)
    assert headers == {"Authorization": "Bearer tok"} and "tok" not in url
    url, headers = fmt.request("wss://dev.pulsoid.net/api/v1/data/real_time", "tok", True)
    assert url.endswith("?access_token=tok") and headers == {}


def test_hyperate_messages() -> None:
    fmt = HypeRateFormat("ABC")
    [join] = fmt.opening({}, None)
    assert json.loads(join) == {"topic": "hr:ABC", "event": "phx_join", "payload": {}, "ref": "1"}
    assert json.loads(fmt.heartbeat())["topic"] == "phoenix"

    def update(hr: object, topic: str = "hr:ABC") -> str:
        return json.dumps(
            {"topic": topic, "event": "hr_update", "payload": {"hr": hr}, "ref": None}
        )

    first = fmt.parse(update(80), T0, 9999)
    same_ms = fmt.parse(update(81), T0, 9999)
    assert [s.t_ms for _, s in first.samples + same_ms.samples] == [T0, T0 + 1]
    assert fmt.parse(update(0), T0, 9999).no_reading == 1
    assert fmt.parse(update(0), T0, 9999).samples == ()
    assert [r.reason for r in fmt.parse(update(300), T0, 9999).rejects] == [p.OUT_OF_RANGE]
    assert [r.reason for r in fmt.parse(update("80"), T0, 9999).rejects] == [p.WRONG_TYPE]
    assert fmt.parse(update(80, "hr:OTHER"), T0, 9999).rejects
    refused = {"topic": "hr:ABC", "event": "phx_reply", "payload": {"status": "error"}, "ref": "1"}
    assert fmt.parse(json.dumps(refused), T0, 9999).auth_failed
    ok = {**refused, "payload": {"status": "ok", "response": {}}}
    assert not fmt.parse(json.dumps(ok), T0, 9999).auth_failed
    url, headers = fmt.request("wss://app.hyperate.io/socket/websocket", "key", False)
    assert url.endswith("?token=key") and headers == {}
    with pytest.raises(ValueError):
        make_format("hyperate")
    with pytest.raises(ValueError):
        make_format("garmin")


def test_urls_are_redacted_for_logs_and_storage() -> None:
    url = with_query("wss://user:pw@example.org:8443/api/v1/traces?x=1", access_token="secret")
    assert redact_url(url) == "wss://example.org:8443/api/v1/traces"


def test_guard_refuses_a_sample_dated_beyond_its_arrival_plus_the_skew() -> None:
    g = SequenceGuard(max_ahead_ms=60_000)
    assert g.check("a", T0, arrival_ms=T0) is Verdict.ACCEPT
    assert g.check("a", T0 + 60_000, arrival_ms=T0) is Verdict.ACCEPT  # inside the window
    assert g.check("a", T0 + 30 * 86_400_000, arrival_ms=T0 + 1) is Verdict.CLOCK_AHEAD
    assert g.cursors() == {"a": T0 + 60_000}  # the future sample did not move it
    assert g.check("a", T0 + 61_000, arrival_ms=T0 + 2_000) is Verdict.ACCEPT


@given(st.lists(st.tuples(st.integers(0, 10**7), st.integers(-(10**7), 10**9)), max_size=50))
def test_no_sample_moves_a_cursor_past_its_arrival_plus_the_skew(
    items: list[tuple[int, int]],
) -> None:
    g = SequenceGuard(max_ahead_ms=1000)
    latest_arrival = 0
    for arrival, delta in items:
        latest_arrival = max(latest_arrival, T0 + arrival)
        g.check("a", T0 + arrival + delta, arrival_ms=T0 + arrival)
        assert g.cursors().get("a", T0) <= latest_arrival + 1000
