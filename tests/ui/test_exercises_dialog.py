"""Issue 18 #10 in the GUI: your own exercises are edited and deleted (built-ins never)."""

from __future__ import annotations

from app.training import catalog, strength
from app.ui.screens.exercises_dialog import ExercisesDialog, split_list


def test_rename_carries_to_sets_and_delete_is_refused_while_used(qtbot, window, store) -> None:
    me = window.ctx.athlete.id
    mine = catalog.add_custom(store, me, "Zottman Curl", muscle_groups=["biceps"])
    logged = strength.log_set(store, me, mine, 10, 12.0, 1_000)
    gym = window.show_screen("gym")
    assert gym.exercises_btn.text() == "Your exercises…"
    calls: list[int] = []
    dialog = ExercisesDialog(window.ctx, gym, lambda: calls.append(1))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.list.count() == 1, timeout=15_000)
    assert dialog.list.item(0).text() == "Zottman Curl"  # only yours, no built-ins
    assert dialog.muscles.text() == "biceps" and dialog.save_btn.isEnabled()

    dialog.name.setText("Zottman curl (slow)")
    dialog.aliases.setText("zottman, , reverse curl")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Saved"), timeout=15_000)
    (row,) = strength.sets(store, me)
    assert row.id == logged.id and row.exercise == "Zottman curl (slow)" and calls
    edited = catalog.lookup(store, me, "reverse curl")
    assert edited.id == mine.id and edited.aliases == ("zottman", "reverse curl")

    qtbot.waitUntil(lambda: dialog.list.item(0).text() == "Zottman curl (slow)", timeout=15_000)
    dialog.delete()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Not deleted"), timeout=15_000)
    assert "1 sets" in dialog.status.text()
    strength.delete_set(store, me, logged.id)
    dialog.delete()
    qtbot.waitUntil(lambda: dialog.list.count() == 0, timeout=15_000)
    assert window.services.training_log.own_exercises(me) == []
    assert not dialog.save_btn.isEnabled() and "No exercises of your own" in dialog.status.text()


def test_split_list_drops_blanks() -> None:
    assert split_list(" a, ,b ,") == ["a", "b"] and split_list("") == []


def test_new_adds_an_exercise_of_your_own_and_refuses_a_known_name(qtbot, window, store) -> None:
    me = window.ctx.athlete.id
    gym = window.show_screen("gym")
    dialog = ExercisesDialog(window.ctx, gym, lambda: None)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "No exercises of your own" in dialog.status.text(), timeout=15_000)
    assert dialog.new_btn.isEnabled() and not dialog.save_btn.isEnabled()
    dialog.new_btn.click()
    assert dialog.save_btn.isEnabled() and dialog.name.isEnabled() and dialog.name.text() == ""
    dialog.name.setText("Bench Press")  # the catalog has it: refused, nothing added
    dialog.save()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Not saved"), timeout=15_000)
    assert "already exists" in dialog.status.text()
    dialog.name.setText("Zottman Curl")
    dialog.muscles.setText("biceps, forearms")
    dialog.equipment.setText("dumbbell")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Added"), timeout=15_000)
    qtbot.waitUntil(lambda: dialog.list.count() == 1, timeout=15_000)
    assert dialog.list.currentItem().text() == "Zottman Curl" and not dialog.creating
    made = catalog.lookup(store, me, "zottman curl")
    assert made.athlete_id == me and made.muscle_groups == ("biceps", "forearms")
    assert made.equipment == "dumbbell" and made.kind == "strength"
