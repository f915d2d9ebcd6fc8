"""Issue 16 #8: profiles are validated in one place (app.domain.profile.validate_profile).

`athlete set`, the store (which the GUI's profile form writes through) and the form itself
refuse out-of-range, non-finite and inconsistent values with one clear line; nothing is
written when a value is refused.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from app.cli import main
from app.domain.profile import Profile, ProfileError, validate_profile
from app.store.repo import Store

YEAR = datetime.now(UTC).year


def _set(*argv: str) -> int:
    return main(["athlete", "set", *argv])


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--birth-year", "3000"], "birth year must be between 1900"),
        (["--birth-year", "9999"], "birth year must be between 1900"),
        (["--birth-year", "1066"], "birth year must be between 1900"),
        (["--weight", "-4"], "weight must be between 10 and 400 kg"),
        (["--weight", "inf"], "weight must be a finite number"),
        (["--weight", "nan"], "weight must be a finite number"),
        (["--weight", "1e400"], "weight must be a finite number"),
        (["--resting-hr", "0"], "resting HR must be between 25 and 150 bpm"),
        (["--max-hr", "999"], "max HR must be between 80 and 250 bpm"),
        (["--max-hr", "100", "--resting-hr", "120"], "max HR (100 bpm) must be above resting"),
        (["--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_athlete_set_refuses_bad_values_with_one_line(
    data_dir, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    assert _set("--weight", "70", "--resting-hr", "50") == 0
    before = capsys.readouterr().out
    assert _set(*argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1, captured.err
    assert words in captured.err and "Traceback" not in captured.err
    assert _set() == 0  # nothing was written
    assert capsys.readouterr().out == before


def test_max_hr_is_checked_against_the_stored_resting_hr(data_dir, capsys) -> None:
    assert _set("--resting-hr", "120") == 0
    assert _set("--max-hr", "110") == 2  # zones would have been 80.5-80.9 bpm wide
    assert "must be above resting HR (120 bpm)" in capsys.readouterr().err
    # A resting HR above what the age predicts as max needs a max HR too.
    assert _set("--birth-year", str(YEAR - 90), "--resting-hr", "149") == 2
    assert "estimated from age" in capsys.readouterr().err


def test_a_refused_profile_creates_no_athlete(data_dir, capsys) -> None:
    assert _set("Newcomer", "--weight", "-4") == 2
    capsys.readouterr()
    assert main(["athlete", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_good_values_are_stored_and_printed_as_plain_json(data_dir, capsys) -> None:
    assert (
        _set(
            "--birth-year",
            "1990",
            "--weight",
            "70.5",
            "--resting-hr",
            "48",
            "--max-hr",
            "191",
            "--json",
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Infinity" not in out and "NaN" not in out
    data = json.loads(out)
    assert (data["birth_year"], data["weight_kg"], data["resting_hr"], data["max_hr"]) == (
        1990,
        70.5,
        48,
        191,
    )


def test_the_store_refuses_too_so_the_gui_cannot_store_what_the_cli_refuses(
    store: Store,
) -> None:
    me = store.default_athlete()
    store.update_profile(me.id, resting_hr=60)
    for bad in (
        {"weight_kg": math.nan},
        {"weight_kg": -4.0},
        {"birth_year": 3000},
        {"max_hr": 59},
        {"max_hr": 100.5},
        {"sex": "other"},
        {"height_cm": math.inf},
    ):
        with pytest.raises(ProfileError):
            store.update_profile(me.id, **bad)
    info = store.athlete(me.id)
    assert info is not None and info.profile == Profile(resting_hr=60)


def test_validate_profile_is_a_value_error_with_the_range() -> None:
    with pytest.raises(ValueError, match=r"weight must be between 10 and 400 kg, not -4"):
        validate_profile(Profile(), {"weight_kg": -4}, year=YEAR)
    checked = validate_profile(
        Profile(max_hr=190), {"resting_hr": 45.0, "sex": "female"}, year=YEAR
    )
    assert checked == {"resting_hr": 45, "sex": "female"}
    assert validate_profile(Profile(weight_kg=70), {"weight_kg": None}, year=YEAR) == {
        "weight_kg": None
    }
