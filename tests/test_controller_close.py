"""The recording controller on exit: a second stop waits for the first, close saves a start."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.recorder.controller import RecordingController, RecordingError, WriterOptions
from app.store.repo import STATUS_FINISHED, Store
from device.simulator import SimulatedStrap


def _controller(store: Store, data_dir: Path) -> RecordingController:
    return RecordingController(store, data_dir=data_dir, writer=WriterOptions(0.05))


def _strap() -> list[SimulatedStrap]:
    return [SimulatedStrap(seed=1, rate_hz=50.0)]


def test_a_second_stop_waits_for_the_first_instead_of_finishing_twice(
    store: Store, data_dir: Path
) -> None:
    async def main() -> None:
        ctl = _controller(store, data_dir)
        started = await ctl.start(store.default_athlete(), "run", _strap())
        await asyncio.sleep(0.2)
        first, second = await asyncio.gather(ctl.stop(), ctl.stop(), return_exceptions=True)
        assert not isinstance(first, BaseException) and first.sample_count > 0
        assert isinstance(second, RecordingError)
        info = store.get_session(started.session.id)
        assert info is not None and info.status == STATUS_FINISHED and info.samples > 0

    asyncio.run(main())


def test_close_waits_for_a_start_under_way_then_saves_it(store: Store, data_dir: Path) -> None:
    async def main() -> None:
        ctl = _controller(store, data_dir)
        starting = asyncio.ensure_future(ctl.start(store.default_athlete(), "run", _strap()))
        await asyncio.sleep(0)  # the start is under way, its session not yet committed
        summary = await ctl.close()
        started = await starting
        assert summary is not None and ctl.recording is None
        info = store.get_session(started.session.id)
        assert info is not None and info.status == STATUS_FINISHED
        with pytest.raises(RecordingError, match="closing"):
            await ctl.start(store.default_athlete(), "run", _strap())
        assert await ctl.close() is None  # twice: nothing left to save

    asyncio.run(main())
