"""CLI wording (issue 21 #18): help text, metavars, readable output, rounding, progress."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.cli import build_parser, main
from app.commands import progress as cli_progress
from app.commands.common import clip
from app.commands.progress import TerminalProgress
from app.services.rows import METRIC, SPORTS, goal_progress_text
from app.store.repo import Store

from .training.helpers import athlete, ms, session


def _actions(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _actions(child, (*path, name))
        elif not isinstance(action, argparse._HelpAction | argparse._VersionAction):
            yield path, action


def test_every_option_and_argument_has_help() -> None:
    missing = [
        " ".join((*path, "/".join(a.option_strings) or a.dest))
        for path, a in _actions(build_parser())
        if not a.help
    ]
    assert missing == []


def test_no_metavar_leaks_a_python_name() -> None:
    parser = build_parser()
    for path, a in _actions(parser):
        if a.option_strings and a.nargs != 0 and a.metavar is None:
            assert not a.dest.endswith("_"), (path, a.option_strings)
    load = next(a for p, a in _actions(parser) if p == ("load",) and "--from" in a.option_strings)
    assert load.metavar == "DATE"


def test_sport_help_lists_the_sports() -> None:
    for path, a in _actions(build_parser()):
        if "--sport" in a.option_strings:
            assert a.help and all(s in a.help for s in SPORTS), path


def test_athlete_set_prints_a_readable_line_and_json_on_request(data_dir, capsys) -> None:
    dd = ["--data-dir", str(data_dir)]
    assert main([*dd, "athlete", "set", "Ann", "--weight", "60.5", "--sex", "female"]) == 0
    out = capsys.readouterr().out
    assert out == "Ann (id 1): female, 60.5 kg\n"
    assert main([*dd, "athlete", "set", "Ann", "--max-hr", "190", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "id": 1, "name": "Ann", "birth_year": None, "sex": "female", "weight_kg": 60.5,
        "resting_hr": None, "max_hr": 190,
    }  # fmt: skip


def test_load_prints_days_with_load_and_one_line_for_the_rest(data_dir, capsys) -> None:
    s = Store.open(data_dir)
    a = athlete(s)
    session(s, a, ms(2026, 6, 2, 8), 1800, hr=150)
    s.close()
    argv = ["--data-dir", str(data_dir), "load", "--from", "2026-05-30", "--to", "2026-06-05"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("date ")
    assert [ln.split()[0] for ln in lines[1:-1]] == ["2026-06-02"]
    assert lines[-1].startswith("6 of 7 days without load not shown (--json lists every day); ")
    assert "on 2026-06-05: CTL " in lines[-1]
    assert main([*argv, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 7


def test_clipped_columns_end_with_an_ellipsis(data_dir, capsys) -> None:
    assert clip("short", 8) == "short"
    assert clip("exactly8", 8) == "exactly8"
    assert clip("Alexandrina Longname", 12) == "Alexandrina…"
    s = Store.open(data_dir)
    session(s, athlete(s, "Alexandrina Longname"), ms(2026, 6, 2, 8), 60, sport="virtual_ride")
    s.close()
    assert main(["--data-dir", str(data_dir), "sessions", "list"]) == 0
    row = capsys.readouterr().out.splitlines()[1]
    assert "Alexandrina… virtual… " in row


def test_goal_progress_is_rounded_as_the_app_rounds_it(data_dir, capsys) -> None:
    assert goal_progress_text("active_min", 2.527, 30.0, "min", METRIC) == "3 / 30 min"
    assert goal_progress_text("distance", 2.527, 5.0, "km", METRIC) == "2.53 km / 5.00 km"
    now = datetime.now(ZoneInfo("Europe/Paris"))
    if (now - timedelta(minutes=5)).date() != now.date():
        pytest.skip("just after midnight: the session would fall on yesterday")
    s = Store.open(data_dir)
    session(s, athlete(s), int(now.timestamp() * 1000) - 170_000, 152, hr=150, steps_per_s=2)
    s.close()
    dd = ["--data-dir", str(data_dir)]
    assert main([*dd, "goals", "add", "active_min", "30"]) == 0
    capsys.readouterr()
    assert main([*dd, "goals", "progress", "--json"]) == 0
    (goal,) = json.loads(capsys.readouterr().out)["goals"]
    assert 2.5 < goal["value"] < 2.6  # JSON keeps its precision
    assert main([*dd, "goals", "progress"]) == 0
    assert "] 3 / 30 min  " in capsys.readouterr().out


def test_terminal_progress_shows_rate_and_eta_and_erases_itself() -> None:
    now = [0.0]
    out = io.StringIO()
    bar = TerminalProgress("export", "rows", stream=out, clock=lambda: now[0])
    bar(0, 100)
    now[0] = 2.0
    bar(25, 100)
    assert out.getvalue().endswith("\rexport [#####               ] 25/100 rows  12.5/s  ETA 0:06")
    now[0] = 2.05
    bar(26, 100)  # within a tenth of a second: not redrawn
    assert "26/100" not in out.getvalue()
    now[0] = 4.0
    bar(100, 100)  # the end is always drawn, without an ETA
    assert out.getvalue().endswith("100/100 rows  25.0/s" + " " * 9)
    bar.clear()
    assert out.getvalue().endswith("\r" + " " * len(bar.line(100, 100)) + "\r")


def test_long_commands_draw_progress_only_on_a_terminal(data_dir, capsys, monkeypatch) -> None:
    s = Store.open(data_dir)
    session(s, athlete(s), ms(2026, 6, 2, 8), 120)
    s.close()
    argv = ["--data-dir", str(data_dir), "export", "all", "-o", str(data_dir / "a.zip")]
    assert main(argv) == 0
    assert capsys.readouterr().err == ""  # not a terminal: silent
    monkeypatch.setattr(cli_progress, "is_terminal", lambda stream: True)
    assert main([*argv[:-1], str(data_dir / "b.zip")]) == 0
    captured = capsys.readouterr()
    assert "\rexport [" in captured.err and "/s" in captured.err
    assert captured.err.endswith("\r")  # erased before the command's own output
    assert "written to" in captured.out
