"""Long tasks in the real window: export, GDPR zip and lake push with progress and Cancel.

Real store (SQLite file), real exports, real S3 (moto's server on 127.0.0.1 behind a counting
proxy). To cancel "mid-way" deterministically the tests wrap the service's `progress`
callback so that the worker waits at a chosen report until the test has clicked Cancel: the
work, the runner, the token and the button are the real ones.
"""

from __future__ import annotations

import threading
import time
import zipfile
from collections.abc import Callable

import pytest

from sync.exports import gdpr
from sync.exports import session as session_export
from tests.lake.factory import T0, record_session
from tests.lake.s3 import FaultProxy, all_keys, boto

DAY = 86_400_000


class Gate:
    """Holds the worker at the report where `when(done, total)` first holds, until opened."""

    def __init__(self, when: Callable[[int, int], bool]) -> None:
        self.when = when
        self.reached = threading.Event()
        self.opened = threading.Event()
        self.calls = 0

    def wrap(self, progress: Callable[[int, int], None]) -> Callable[[int, int], None]:
        def wrapped(done: int, total: int) -> None:
            self.calls += 1
            progress(done, total)
            if not self.reached.is_set() and self.when(done, total):
                self.reached.set()
                self.opened.wait(20)

        return wrapped


def gate_service(monkeypatch: pytest.MonkeyPatch, services: object, name: str,
                 gate: Gate) -> None:  # fmt: skip
    """Make `services.<name>(..., progress=p)` see `gate.wrap(p)` (everything else is real)."""
    real = getattr(services, name)

    def method(*args: object, progress: Callable[[int, int], None], **kwargs: object):  # noqa: ANN202
        return real(*args, progress=gate.wrap(progress), **kwargs)

    monkeypatch.setattr(services, name, method)


def record_progress(runner) -> list[tuple[int, int]]:  # noqa: ANN001
    seen: list[tuple[int, int]] = []
    runner.progressed.connect(lambda p: seen.append((p.done, p.total)))
    return seen


@pytest.fixture
def me_session(store) -> int:  # noqa: ANN001
    """A 2,000-sample session of the self athlete (every channel, GPS, RR)."""
    return record_session(store, store.default_athlete().name, T0, n=2000)


def open_detail(qtbot, window, sid: int):  # noqa: ANN001, ANN201
    window.open_session(sid)
    detail = window.screens["session"]
    qtbot.waitUntil(lambda: detail.detail is not None, timeout=15_000)
    return detail


def history_screen(qtbot, window):  # noqa: ANN001, ANN201
    history = window.show_screen("history")
    qtbot.waitUntil(lambda: history.loaded, timeout=15_000)
    return history


# The runner itself ------------------------------------------------------------------


@pytest.fixture
def bridge(qapp):  # noqa: ANN001, ANN201
    from app.ui.bridge import Bridge, LoopThread

    loop = LoopThread().start()
    yield Bridge(loop)
    loop.stop()


def test_reports_reach_the_gui_at_most_ten_a_second_and_the_last_is_never_lost(qtbot, bridge):
    from app.ui.tasks import Task

    got: list[tuple[float, int]] = []
    task = Task("t", bridge, lambda p: got.append((time.monotonic(), p.done)), unit="rows")

    def work() -> None:  # 300 reports over ~0.6 s, like a chunked export
        for i in range(1, 301):
            task.progress(i, 300)
            time.sleep(0.002)  # the work's own pace, not a synchronisation

    started = time.monotonic()
    worker = threading.Thread(target=work)
    worker.start()
    qtbot.waitUntil(lambda: bool(got) and got[-1][1] == 300, timeout=10_000)
    elapsed = time.monotonic() - started
    worker.join()
    assert 2 <= len(got) <= elapsed * 10 + 2  # the product promise: <= ~10 Hz
    gaps = [b - a for (a, _), (b, _) in zip(got, got[1:], strict=False)]
    assert min(gaps) >= 0.09
    assert [d for _, d in got] == sorted(d for _, d in got)
    assert task.label(1500, 3000) == "1,500 of 3,000 rows"


def test_one_task_at_a_time_and_errors_are_reported(qtbot, bridge):
    from app.ui.tasks import TaskRunner

    runner = TaskRunner(bridge)
    release = threading.Event()
    first = runner.start("first", lambda _p, _c: release.wait(10), lambda _r: "first done")
    assert first is not None and runner.running
    assert runner.start("second", lambda _p, _c: None, lambda _r: None) is None
    with qtbot.waitSignal(runner.finished, timeout=10_000) as end:
        release.set()
    assert end.args == ["done", "first done"] and not runner.running

    def boom(_p, _c):  # noqa: ANN001, ANN202
        raise OSError("disk full")

    with qtbot.waitSignal(runner.finished, timeout=10_000) as end:
        runner.start("Export", boom, lambda _r: None)
    assert end.args == ["failed", "Export failed: disk full"]


# Session export --------------------------------------------------------------------


def test_export_reports_progress_to_the_total(qtbot, window, me_session, tmp_path, monkeypatch):
    monkeypatch.setattr(session_export, "CHUNK_ROWS", 100)
    detail = open_detail(qtbot, window, me_session)
    seen = record_progress(detail.tasks)
    out = tmp_path / "s.csv"
    started = time.monotonic()
    with qtbot.waitSignal(detail.tasks.finished, timeout=20_000) as end:
        task = detail.export_to(out)
        assert task is not None
        assert detail.task_strip.isVisible() and not detail.export_btn.isEnabled()
    elapsed = time.monotonic() - started
    assert end.args == ["done", f"Exported to {out}"]
    assert seen[-1] == (2000, 2000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    # The work reported 21 times; the GUI got what the throttle let through (<= 10 a second).
    assert task.reports == len(seen) <= elapsed * 10 + 2
    assert out.read_text().count("\n") == 2001
    assert not detail.task_strip.isVisible() and detail.export_btn.isEnabled()


@pytest.mark.parametrize("fmt", ["gpx", "tcx", "parquet", "xlsx"])
def test_every_format_exports_from_the_detail(qtbot, window, me_session, tmp_path, fmt):
    detail = open_detail(qtbot, window, me_session)
    out = tmp_path / f"s.{fmt}"
    with qtbot.waitSignal(detail.tasks.finished, timeout=20_000) as end:
        detail.export_to(out)
    assert end.args[0] == "done"
    assert out.stat().st_size > 0


def test_export_error_is_said_and_leaves_nothing(qtbot, window, store, tmp_path):
    sid = record_session(store, store.default_athlete().name, T0, n=50, gps=False)
    detail = open_detail(qtbot, window, sid)
    with qtbot.waitSignal(window.ctx.message, timeout=20_000) as msg:
        detail.export_to(tmp_path / "s.gpx")
    assert msg.args[0].startswith("Not exported:") and "no GPS" in msg.args[0]
    assert list(tmp_path.iterdir()) == [tmp_path / "pulsedeck-home"]


def test_gpx_export_says_what_it_left_out(qtbot, window, store, tmp_path):
    from app.domain.samples import Sample

    me = store.default_athlete()
    sid = store.create_session(me.id, sport="run", source="simulator", started_ms=T0)
    store.insert_samples(sid, [
        Sample(T0 + i * 1000, hr=140, lat=48.0 + i * 1e-5 if i < 30 else None,
               lon=2.0 if i < 30 else None)
        for i in range(100)
    ])  # fmt: skip
    store.finish_session(sid, T0 + 100_000)
    detail = open_detail(qtbot, window, sid)
    out = tmp_path / "s.gpx"
    with qtbot.waitSignal(detail.tasks.finished, timeout=20_000) as end:
        detail.export_to(out)
    assert end.args[0] == "done" and end.args[1].startswith(f"Exported to {out}. GPX left out")
    assert "70 of 100 points" in end.args[1] and "TCX or FIT" in end.args[1]
    assert detail.problem.isVisible() and "70 of 100 points" in detail.problem_text.text()


def test_cancel_mid_export_leaves_no_file(qtbot, window, me_session, tmp_path, monkeypatch):
    monkeypatch.setattr(session_export, "CHUNK_ROWS", 100)
    detail = open_detail(qtbot, window, me_session)
    gate = Gate(lambda done, _total: done >= 500)
    gate_service(monkeypatch, window.ctx.services.exports, "session", gate)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    try:
        detail.export_to(out_dir / "s.csv")
        qtbot.waitUntil(gate.reached.is_set, timeout=20_000)
        qtbot.waitUntil(lambda: detail.task_strip.bar.value() >= 400, timeout=5_000)
        strip = detail.task_strip
        assert strip.isVisible() and strip.bar.maximum() == 2000
        assert "of 2,000 samples" in strip.detail.text()
        assert [p.name for p in out_dir.iterdir()] != ["s.csv"]  # only a temporary file
        bar_width = strip.bar.width()
        image = window.grab().toImage()  # what an offscreen screenshot shows
        assert not image.isNull() and strip.geometry().bottom() < detail.height()
        strip.cancel_btn.click()
        assert not strip.cancel_btn.isEnabled() and strip.cancel_btn.text() == "Cancelling…"
        strip.layout().activate()  # lay out now: the bar must not jump when the texts change
        assert strip.bar.width() == bar_width
    finally:
        gate.opened.set()
    with qtbot.waitSignal(detail.tasks.finished, timeout=20_000) as end:
        pass
    assert end.args[0] == "cancelled"
    assert list(out_dir.iterdir()) == [], "no file, no .part or temporary file"
    assert end.args[1] == "Exporting CSV: cancelled (nothing was kept)"
    assert gate.calls < 20  # it stopped at the next check, not at the end
    assert detail.export_btn.isEnabled() and not detail.tasks.running


# GDPR export from History -----------------------------------------------------------


def test_gdpr_export_from_history_with_progress(qtbot, window, me_session, tmp_path,
                                                monkeypatch):  # fmt: skip
    monkeypatch.setattr(gdpr, "CHUNK_ROWS", 200)
    history = history_screen(qtbot, window)
    seen = record_progress(history.tasks)
    out = tmp_path / "me.zip"
    with qtbot.waitSignal(history.tasks.finished, timeout=20_000) as end:
        assert history.export_all_to(out) is not None
        assert not history.export_all_btn.isEnabled()
    assert end.args[0] == "done" and str(out) in end.args[1]
    done, total = seen[-1]
    assert done == total and total > 2000  # samples + RR + every other table
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert "data/samples.csv" in zf.namelist()
        assert zf.read("data/samples.csv").count(b"\n") == 2001
    assert history.export_all_btn.isEnabled()


def test_gdpr_cancel_midway_leaves_no_zip(qtbot, window, me_session, tmp_path, monkeypatch):
    monkeypatch.setattr(gdpr, "CHUNK_ROWS", 200)
    history = history_screen(qtbot, window)
    gate = Gate(lambda done, total: 0 < done < total)
    gate_service(monkeypatch, window.ctx.services.exports, "everything", gate)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    try:
        history.export_all_to(out_dir / "me.zip")
        qtbot.waitUntil(gate.reached.is_set, timeout=20_000)
        qtbot.waitUntil(history.task_strip.isVisible, timeout=5_000)
        history.task_strip.cancel_btn.click()
    finally:
        gate.opened.set()
    with qtbot.waitSignal(window.ctx.message, timeout=20_000) as msg:
        pass
    assert "cancelled" in msg.args[0]
    assert list(out_dir.iterdir()) == []
    assert not history.task_strip.isVisible() and history.export_all_btn.isEnabled()


# Lake push from History --------------------------------------------------------------


@pytest.fixture
def lake(aws_env, moto_url, store):  # noqa: ANN001, ANN201
    """A fresh bucket, reached through a PUT-counting proxy, saved as the lake setting."""
    import uuid

    from sync.lake.config import save_settings

    bucket = f"ui-{uuid.uuid4().hex[:12]}"
    boto(moto_url).create_bucket(Bucket=bucket)
    proxy = FaultProxy(moto_url)
    proxy.start()
    save_settings(store, bucket=bucket, prefix="lake/v1", endpoint_url=proxy.url,
                  region="us-east-1")  # fmt: skip
    yield bucket, proxy, boto(moto_url)
    proxy.stop()


def test_lake_button_says_how_to_configure(qtbot, window):
    history = history_screen(qtbot, window)
    window.settle()
    assert not history.lake_btn.isEnabled()
    assert "pulsedeck lake configure" in history.lake_btn.toolTip()


def test_lake_push_progress_cancel_and_resume_without_duplicates(
    qtbot, window, store, lake, monkeypatch
):
    from sync.lake.push import KIND
    from sync.lake.schema import TABLES
    from sync.outbox import DONE, PENDING, Outbox

    bucket, proxy, s3 = lake
    me = store.default_athlete().name
    ids = [record_session(store, me, T0 + i * DAY, n=60, seed=i) for i in range(4)]
    history = history_screen(qtbot, window)
    history.check_lake()
    qtbot.waitUntil(history.lake_btn.isEnabled, timeout=15_000)
    assert bucket in history.lake_btn.toolTip()

    seen = record_progress(history.tasks)
    gate = Gate(lambda done, _total: done == 1)
    services = window.ctx.services.exports
    real_push = services.push_lake
    try:
        gate_service(monkeypatch, services, "push_lake", gate)
        history.lake_btn.click()
        qtbot.waitUntil(gate.reached.is_set, timeout=30_000)
        qtbot.waitUntil(lambda: seen and seen[-1] == (1, 4), timeout=5_000)
        assert history.task_strip.detail.text() == "1 of 4 sessions"
        assert not history.lake_btn.isEnabled() and not history.export_all_btn.isEnabled()
        history.task_strip.cancel_btn.click()
    finally:
        gate.opened.set()
    with qtbot.waitSignal(history.tasks.finished, timeout=30_000) as end:
        pass
    assert end.args[0] == "cancelled" and "after 1 session" in end.args[1]
    assert proxy.faults.puts_seen == len(TABLES)
    assert len(all_keys(s3, bucket)) == len(TABLES)
    states = {j.session_id: j.state for j in Outbox(store).jobs(kind=KIND)}
    assert [states[i] for i in ids] == [DONE, PENDING, PENDING, PENDING]

    monkeypatch.setattr(services, "push_lake", real_push)  # the second push runs straight
    seen.clear()
    with qtbot.waitSignal(history.tasks.finished, timeout=30_000) as end:
        assert history.push_lake() is not None
    assert end.args[0] == "done" and "4 pushed" in end.args[1]
    assert seen[-1] == (3, 3)
    assert proxy.faults.puts_seen == 4 * len(TABLES)  # the first session was not sent again
    assert len(all_keys(s3, bucket)) == 4 * len(TABLES)
    jobs = Outbox(store).jobs(kind=KIND)
    assert [j.state for j in jobs] == [DONE] * 4 and [j.attempts for j in jobs] == [1] * 4
    assert history.lake_btn.isEnabled()
