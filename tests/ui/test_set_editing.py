"""Issue 18 #4, #10 in the GUI: Gym logs a set with its span, RPE and HR against the recording;
a set is edited (dialog) and deleted (asked first), records and goals recomputed."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.training import strength
from app.training.goals import GoalEngine
from app.ui.screens.set_editing import SetChange, SetDialog


def _log(qtbot, window, gym, name: str, reps: int, kg: float, rpe: float) -> None:
    gym.exercise.setText(name)
    gym.reps.setValue(reps)
    gym.weight.setValue(kg)
    gym.rpe.setValue(rpe)
    before = len(gym.rows)
    gym.set_done()
    qtbot.waitUntil(lambda: len(gym.rows) == before + 1, timeout=15_000)


def _select(qtbot, gym, i: int) -> None:
    gym.table.selectRow(i)
    qtbot.waitUntil(lambda: gym.set_editing.edit_btn.isEnabled(), timeout=5_000)


def _answer(text: str) -> list[str]:
    """Click `text` in the next modal message box; returns the box's text once seen."""
    seen: list[str] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, click)
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text().replace("&", "") == text).click()

    QTimer.singleShot(0, click)
    return seen


def test_a_set_logged_during_a_recording_carries_its_span_rpe_and_hr(qtbot, window, store) -> None:
    with qtbot.waitSignal(window.ctx.stateChanged, timeout=20_000):
        window.ctx.start("gym")
    qtbot.waitUntil(lambda: window.ctx.last_view.samples >= 5, timeout=20_000)
    gym = window.show_screen("gym")
    gym.start_set()
    qtbot.waitUntil(lambda: window.ctx.last_view.samples >= 25, timeout=20_000)
    _log(qtbot, window, gym, "Squat", 5, 100.0, 8.5)
    (saved,) = strength.sets(store, window.ctx.athlete.id)
    assert saved.session_id == window.ctx.session_id
    assert saved.ended_ms is not None and saved.ended_ms - saved.started_ms >= 500
    assert saved.rpe == 8.5 and saved.avg_hr is not None and saved.max_hr is not None
    assert gym.table.item(0, 3).text() == "8.5"  # RPE shown in the list
    assert gym.table.item(0, 4).text() == f"{saved.avg_hr:.0f}/{saved.max_hr}"
    with qtbot.waitSignal(window.ctx.stateChanged, timeout=20_000):
        window.ctx.stop()


def test_edit_and_delete_a_set_replay_records_and_withdraw_goals(qtbot, window, store) -> None:
    me = window.ctx.athlete.id
    goal = GoalEngine(store).add(me, "reps", "daily", 12)
    gym = window.show_screen("gym")
    assert not gym.set_editing.edit_btn.isEnabled()  # nothing selected
    _log(qtbot, window, gym, "Bench Press", 8, 80.0, 7.0)
    _log(qtbot, window, gym, "Bench Press", 8, 90.0, 8.0)
    assert gym.rows[1].is_pr and "PR" in gym.table.item(1, 0).text()
    assert [a.goal_id for a in GoalEngine(store).evaluate(me)] == [goal.id]

    _select(qtbot, gym, 1)
    with qtbot.waitSignal(window.ctx.message, timeout=15_000) as msg:
        gym.set_editing.apply(gym.rows[1].id, SetChange(None, 3, 70.0, 9.0))
    assert "withdrawn" in msg.args[0]  # 8 + 3 reps no longer reach 12
    qtbot.waitUntil(lambda: gym.rows[1].reps == 3, timeout=15_000)
    assert gym.table.item(1, 1).text() == "3" and gym.table.item(1, 3).text() == "9.0"
    assert GoalEngine(store).achievements(me) == []
    best = strength.current_records(strength.pr_history(store, me))
    assert {(r.kind, r.reps): r.value for r in best}[("weight_for_reps", 8)] == 80.0

    _select(qtbot, gym, 0)
    seen = _answer("No")
    gym.set_editing.delete_selected()
    assert seen and "cannot be undone" in seen[0] and len(strength.sets(store, me)) == 2
    _answer("Yes")
    gym.set_editing.delete_selected()
    qtbot.waitUntil(lambda: len(gym.rows) == 1, timeout=15_000)
    assert [s.reps for s in strength.sets(store, me)] == [3]
    assert gym.rows[0].is_pr  # the remaining set holds the records now


def test_the_edit_dialog_shows_the_set_in_the_athletes_units(qtbot, window) -> None:
    from app.ui import viewmodels as vm

    row = vm.SetRow(7, "Deadlift", 5, 100.0, 8.0, 0, 0, None, None, None)
    dialog = SetDialog(None, row, vm.IMPERIAL)
    qtbot.addWidget(dialog)
    assert dialog.weight.value() == 220.5 and dialog.rpe.value() == 8.0
    dialog.reps.setValue(4)
    change = dialog.change()
    assert change.exercise is None and change.reps == 4
    assert abs(change.weight_kg - 100.0) < 0.05 and change.rpe == 8.0
    dialog.weight.setValue(0)
    dialog.exercise.setText("squat")
    assert dialog.weight.text() == "bodyweight"
    assert dialog.change().weight_kg == 0 and dialog.change().exercise == "squat"


def _gym_session(store, athlete_id: int) -> int:
    from app.store.repo import now_ms

    t0 = now_ms() - 3_600_000
    sid = store.create_session(athlete_id, sport="gym", source="simulator", started_ms=t0)
    store.finish_session(sid, t0 + 1_800_000, "finished")
    strength.log_set(store, athlete_id, "Squat", 5, 100.0, t0 + 60_000, session_id=sid, rpe=8.0)
    return sid


def test_session_detail_deletes_its_sets_and_leaves_a_read_only_clients_alone(
    qtbot, window, store
) -> None:
    me = window.ctx.athlete.id
    sid = _gym_session(store, me)
    window.open_session(sid)
    screen = window.show_screen("session")
    qtbot.waitUntil(
        lambda: screen.detail is not None and screen.detail.row.id == sid, timeout=15_000
    )
    assert screen.sets.item(0, 3).text() == "8.0" and screen.set_editing.bar.isVisibleTo(screen)
    screen.sets.selectRow(0)
    assert screen.set_editing.delete_btn.isEnabled()
    _answer("Yes")
    screen.set_editing.delete_selected()
    qtbot.waitUntil(lambda: screen.detail is not None and not screen.detail.sets, timeout=15_000)
    assert strength.sets(store, me) == []

    client = store.ensure_athlete("Sam").id
    theirs = _gym_session(store, client)
    store.update_profile(client, read_only=True)
    window.open_session(theirs)
    qtbot.waitUntil(lambda: screen.detail is not None and screen.detail.row.id == theirs,
                    timeout=15_000)  # fmt: skip
    screen.sets.selectRow(0)
    assert not screen.set_editing.edit_btn.isEnabled()
    assert not screen.set_editing.delete_btn.isEnabled()


def test_the_edit_dialog_clears_a_wrong_rpe(qtbot, window, store) -> None:
    from app.ui import viewmodels as vm
    from app.ui.screens.set_editing import NO_RPE

    me = window.ctx.athlete.id
    logged = strength.log_set(store, me, "Squat", 5, 100.0, 1_000, rpe=8.0)
    row = vm.SetRow(logged.id, "Squat", 5, 100.0, 8.0, 0, 0, None, None, None)
    dialog = SetDialog(None, row, vm.METRIC)
    qtbot.addWidget(dialog)
    dialog.rpe.setValue(0)
    assert dialog.rpe.text() == NO_RPE and dialog.change().rpe is None
    gym = window.show_screen("gym")
    with qtbot.waitSignal(window.ctx.message, timeout=15_000) as msg:
        gym.set_editing.apply(logged.id, dialog.change())
    assert msg.args[0].startswith("Set changed")
    (saved,) = strength.sets(store, me)
    assert saved.rpe is None and (saved.reps, saved.weight_kg) == (5, 100.0)


def test_gym_never_files_an_unknown_name_under_a_look_alike_and_can_create_it(
    qtbot, window, store
) -> None:
    from app.training import catalog

    me = window.ctx.athlete.id
    gym = window.show_screen("gym")
    gym.search.setText("Zottman Curl")
    qtbot.waitUntil(lambda: gym.picker.suggesting, timeout=15_000)
    assert gym.exercise.text() == "-"  # not silently a Dumbbell Curl
    texts = [gym.matches.item(i).text() for i in range(gym.matches.count())]
    assert texts and all(t.startswith("Did you mean ") for t in texts)
    assert len(set(texts)) == len(texts)  # each built-in once (stored once at first use)
    assert gym.picker.create_btn.isVisibleTo(gym)
    assert gym.picker.create_btn.text() == "Create “Zottman Curl” as your own exercise"
    with qtbot.waitSignal(window.ctx.message, timeout=5_000) as said:
        gym.set_done()
    assert "not in the catalog" in said.args[0] and strength.sets(store, me) == []

    first = gym.matches.item(0)
    gym.matches.itemClicked.emit(first)  # a suggestion the athlete clicks is taken
    assert gym.exercise.text() == first.data(Qt.ItemDataRole.UserRole)  # its exercise's name

    with qtbot.waitSignal(window.ctx.message, timeout=15_000) as said:
        gym.picker.create_btn.click()
    assert said.args[0].startswith("Created “Zottman Curl”")
    qtbot.waitUntil(lambda: gym.exercise.text() == "Zottman Curl", timeout=15_000)
    assert not gym.picker.create_btn.isVisibleTo(gym)
    made = catalog.lookup(store, me, "Zottman Curl")
    assert made.athlete_id == me and made.kind == "strength"
    _log(qtbot, window, gym, "Zottman Curl", 10, 12.0, 7.0)
    (logged,) = strength.sets(store, me)
    assert logged.exercise_id == made.id


def test_gym_picks_a_sure_match_as_you_type(qtbot, window) -> None:
    gym = window.show_screen("gym")
    gym.search.setText("bench prss")
    qtbot.waitUntil(lambda: gym.exercise.text() == "Bench Press", timeout=15_000)
    assert not gym.picker.suggesting and not gym.picker.create_btn.isVisibleTo(gym)
    assert gym.matches.item(0).text() == "Bench Press"
