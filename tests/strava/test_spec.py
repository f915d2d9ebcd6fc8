"""The emulator's Swagger check really rejects what the spec does not allow (canary)."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import CLIENT_ID, OWNER_ID  # noqa: E402


def test_spec_violations_are_caught(emulator) -> None:
    if emulator.spec is None:
        pytest.skip("shared/reference/strava/swagger.json is not present")
    token = emulator.grant(CLIENT_ID, OWNER_ID, "read,activity:read_all,activity:write")
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    api = emulator.api_url
    httpx.get(
        f"{api}/athlete/activities", params={"per_page": "many", "since": "1"}, headers=headers
    )
    httpx.post(
        f"{api}/uploads", data={"data_type": "kml"}, files={"file": ("a", b"x")}, headers=headers
    )
    httpx.post(f"{api}/activities", data={"name": "x", "sport_type": "Jogging"}, headers=headers)
    aid = emulator.add_activity(OWNER_ID, "a", 1.0)
    httpx.put(f"{api}/activities/{aid}", json={"sport_type": "Run", "kudos": 3}, headers=headers)
    httpx.get(
        f"{api}/activities/{aid}/streams", params={"keys": "heartrate,pulse"}, headers=headers
    )
    found = "\n".join(emulator.violations)
    emulator.violations.clear()  # expected here; the fixture fails on any left over
    for fragment in [
        "per_page='many' is not an integer",
        "unknown parameter since",
        "data_type='kml' not in enum",
        "missing required start_date_local",
        "missing required elapsed_time",
        "sport_type 'Jogging' not in sportType",
        "kudos is not in updatableActivity",
        "unknown items ['pulse']",
        "missing required key_by_type",
    ]:
        assert fragment in found
