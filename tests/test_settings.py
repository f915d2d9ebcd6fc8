"""The settings registry: every key declared once, typed reads and writes, no stray keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.store import settings as st
from app.store.repo import Store

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_types_and_removal(store: Store) -> None:
    settings = st.Settings(store)
    assert settings.get(st.THEME) == "light"  # the declared default
    settings.set(st.THEME, "dark")
    assert settings.get(st.THEME) == "dark"
    with pytest.raises(st.SettingTypeError, match="ui.theme must be str"):
        settings.set(st.THEME, 3)  # type: ignore[arg-type]
    with pytest.raises(st.SettingTypeError, match="lake.path_style must be bool"):
        settings.set(st.LAKE_PATH_STYLE, "yes")  # type: ignore[arg-type]
    settings.set(st.OUTBOX_INTERVAL_S, 30)  # an int is a fine float
    assert settings.get(st.OUTBOX_INTERVAL_S) == 30.0
    settings.set(st.THEME, None)
    assert settings.get(st.THEME) == "light"  # removed: the default applies again


def test_scoped_settings_are_stored_per_owner(store: Store) -> None:
    settings = st.Settings(store)
    settings.set(st.CUSTOM_ZONES, [100.0, 120.0, 140.0, 160.0, 175.0], owner=7)
    assert settings.get(st.CUSTOM_ZONES, owner=7) == [100.0, 120.0, 140.0, 160.0, 175.0]
    assert settings.get(st.CUSTOM_ZONES, owner=8) is None
    assert list(settings.owners(st.CUSTOM_ZONES)) == ["7"]
    with pytest.raises(ValueError, match="an owner is required"):
        settings.get(st.CUSTOM_ZONES)
    with pytest.raises(ValueError, match="app setting"):
        settings.get(st.THEME, owner=1)


def test_a_key_cannot_be_declared_twice() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        st.declare("ui.theme", str, "light", "again")


def test_a_stored_value_of_the_wrong_type_reads_as_the_default(store: Store) -> None:
    from app.store import models as m

    with store.orm() as s, s.begin():
        s.add(m.Setting(key="ui.athlete_id", value="not an id"))
    assert st.Settings(store).get(st.SELECTED_ATHLETE) is None


def test_strava_endpoints_default_then_stored_then_environment(store: Store) -> None:
    from sync.strava.config import DEFAULT_API_URL, ENV_API_URL, stored_config

    settings = st.Settings(store)
    assert stored_config(settings, env={}).api_url == DEFAULT_API_URL
    settings.set(st.STRAVA_API_URL, "http://127.0.0.1:9/api/v3/")
    assert stored_config(settings, env={}).api_url == "http://127.0.0.1:9/api/v3"
    env = {ENV_API_URL: "http://127.0.0.1:8/api"}
    assert stored_config(settings, env=env).api_url == "http://127.0.0.1:8/api"


def test_no_setting_key_is_spelled_outside_the_registry() -> None:
    """Every module goes through app.store.settings: no `"lake.bucket"`-style literals."""
    keys = "|".join(re.escape(k) for k in st.REGISTRY)
    pattern = re.compile(rf"""["']({keys})(\.|["'])""")
    offenders = []
    for package in ("app", "device", "sync"):
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "app" / "store" / "settings.py" or "migrations" in path.parts:
                continue
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []
