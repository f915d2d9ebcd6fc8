"""Issue 18 #11: FTP and threshold HR (the load model's profile fields) in the profile form."""

from __future__ import annotations

import pytest


def _settings(qtbot, window):
    settings = window.show_screen("settings")
    qtbot.waitUntil(lambda: settings.profile is not None, timeout=15_000)
    return settings


def _save(qtbot, window, settings) -> None:
    settings.feedback.clear()
    settings.save()
    qtbot.waitUntil(lambda: settings.feedback.text().startswith(("Saved", "Not")), timeout=15_000)
    qtbot.waitUntil(lambda: window.bridge.busy == 0, timeout=15_000)


def test_ftp_and_threshold_hr_are_saved_read_back_and_cleared(qtbot, window, store) -> None:
    from app.training.load import LoadService

    settings = _settings(qtbot, window)
    assert settings.ftp.text() == "not set" and settings.threshold_hr.text() == "not set"
    settings.ftp.setValue(250)
    settings.threshold_hr.setValue(168)
    _save(qtbot, window, settings)
    assert settings.feedback.text().startswith("Saved")
    athlete_id = window.ctx.athlete.id
    stored = window.services.athletes.profile(athlete_id)
    assert (stored.ftp_w, stored.threshold_hr) == (250.0, 168)
    assert LoadService(store)._ftp(athlete_id) == 250.0  # what the load model reads
    assert settings.ftp.value() == 250 and settings.threshold_hr.value() == 168

    settings.ftp.setValue(settings.ftp.minimum())  # "not set" clears it
    _save(qtbot, window, settings)
    stored = window.services.athletes.profile(athlete_id)
    assert stored.ftp_w is None and stored.threshold_hr == 168


def test_the_service_checks_thresholds_like_the_cli_before_storing_anything(store) -> None:
    from app.services.athletes import AthleteService

    athletes = AthleteService(store)
    me = store.default_athlete().id
    with pytest.raises(ValueError, match="FTP must be 30-2000 W"):
        athletes.save_profile(me, weight_kg=70.0, ftp_w=5000)
    with pytest.raises(ValueError, match="threshold HR must be 60-230"):
        athletes.save_profile(me, threshold_hr=20)
    assert store.athlete(me).profile.weight_kg is None  # nothing stored
