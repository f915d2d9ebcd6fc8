"""The one retry-delay function sensors, feeds and the outbox share."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.backoff import exponential_backoff


def delay(attempt: int, rand: float, *, base: float = 1.0, cap: float = 60.0) -> float:
    return exponential_backoff(attempt, base_s=base, cap_s=cap, jitter=0.5, rand=rand)


def test_doubles_from_the_base_up_to_the_cap() -> None:
    assert [delay(n, 1.0) for n in range(8)] == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0]
    assert delay(10**9, 1.0) == 60.0  # a long outage neither overflows nor passes the cap


def test_jitter_takes_a_share_off_never_all_of_it() -> None:
    assert delay(3, 0.0) == pytest.approx(2.0)  # half of 4 s at jitter 0.5
    assert delay(3, 0.5) == pytest.approx(3.0)
    assert delay(3, -1.0) == delay(3, 0.0) and delay(3, 9.0) == delay(3, 1.0)  # clamped


@given(st.integers(1, 10_000), st.floats(0, 1), st.floats(0, 1))
def test_bounded_and_never_instant(attempt: int, rand: float, jitter: float) -> None:
    d = exponential_backoff(attempt, base_s=0.5, cap_s=30.0, jitter=jitter, rand=rand)
    assert 0.5 * (1 - jitter) - 1e-12 <= d <= 30.0
    assert d > 0 or jitter == 1.0
