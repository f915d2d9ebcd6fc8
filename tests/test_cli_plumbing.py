"""CLI plumbing written once: athlete lookup that never creates unless asked, errors as codes."""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from app.cli import main
from app.commands import EXIT_USAGE, UserError
from app.commands.common import CommandContext, command, report_error
from app.store.errors import DatabaseUnavailable
from app.store.repo import AthleteNotFound, Store, resolve_athlete

HR = "AA:BB:CC:DD:EE:01"


def db_rows(data_dir: Path) -> list[str]:
    """Every row of every table, as SQL: equal lists mean nothing was written."""
    with sqlite3.connect(data_dir / "pulsedeck.db") as conn:
        return list(conn.iterdump())


def db_digest(data_dir: Path) -> str:
    return hashlib.sha256((data_dir / "pulsedeck.db").read_bytes()).hexdigest()


@pytest.fixture
def seeded(data_dir: Path) -> Path:
    """Yourself (with a profile, a sensor and a session) and a client; WAL checkpointed."""
    from app.sensors import SensorService
    from app.training.catalog import sync_builtin

    store = Store.open(data_dir)
    me = store.ensure_athlete("Me", is_self=True)
    store.update_profile(me.id, birth_year=1990, sex="male", weight_kg=80.0, timezone="UTC")
    store.ensure_athlete("Ann")
    SensorService(store).remember(me.id, HR, "hr", "Polar H10")
    sid = store.create_session(me.id, sport="run", source="simulator", started_ms=1_750_000_000_000)
    store.finish_session(sid, 1_750_000_060_000)
    sync_builtin(store)  # the exercise catalog fills itself on first use; not what we test
    store.close()
    return data_dir


#: Commands that only read; with an unknown --athlete each must exit 4 and write nothing.
READS = [
    ["sessions", "list"],
    ["devices", "list"],
    ["devices", "list", "--all", "--json"],
    ["summary"],
    ["summary", "--json"],
    ["goals", "list"],
    ["prs"],
    ["exercises", "list"],
    ["exercises", "search", "bench"],
    ["sets", "list"],
    ["body", "list"],
    ["zones"],
    ["load"],
    ["export", "daily", "-o", "{tmp}/d.csv"],
    ["export", "xlsx", "-o", "{tmp}/b.xlsx"],
    ["export", "all", "-o", "{tmp}/all.zip"],
]

#: Commands that write for an existing athlete, but must not create an unknown one.
WRITES_FOR_EXISTING = [
    ["goals", "add", "steps", "10000"],
    ["goals", "progress"],
    ["sets", "add", "bench press", "5", "100"],
    ["body", "add", "--weight", "70"],
    ["exercises", "add", "Zercher Squat"],
    ["zones", "--model", "karvonen"],
    ["devices", "forget", HR],
    ["export", "delete-all", "--confirm", "Nobody"],
]


def _argv(template: list[str], tmp: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)) for a in template]


@pytest.mark.parametrize("argv", READS + WRITES_FOR_EXISTING, ids=" ".join)
def test_unknown_athlete_exits_4_and_writes_nothing(
    argv: list[str], seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows, digest = db_rows(seeded), db_digest(seeded)
    assert main([*_argv(argv, tmp_path), "--athlete", "Nobody"]) == 4
    assert capsys.readouterr().err == "pulsedeck: no athlete named 'Nobody'\n"
    assert db_rows(seeded) == rows
    assert db_digest(seeded) == digest  # byte-identical: not even a settings write


def test_devices_list_for_an_unknown_athlete_does_not_create_it(
    seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The finding: `devices list --athlete Nobody` exited 0 and created Nobody."""
    assert main(["devices", "list", "--athlete", "Nobody", "--json"]) == 4
    assert capsys.readouterr().out == ""
    store = Store.open(seeded)
    try:
        assert [a.name for a in store.list_athletes()] == ["Me", "Ann"]
    finally:
        store.close()


def data_rows(data_dir: Path) -> list[str]:
    """Every row outside the derived tables (day cache, readings) as SQL."""
    from app.store.models import DERIVED_TABLES

    derived = tuple(f'INSERT INTO "{t}"' for t in DERIVED_TABLES)
    return [line for line in db_rows(data_dir) if not line.startswith(derived)]


@pytest.mark.parametrize("argv", READS, ids=" ".join)
def test_read_commands_for_yourself_write_nothing(
    argv: list[str], seeded: Path, tmp_path: Path
) -> None:
    """No data changes; a read may store the daily figures it computed (a cache, re-derivable)."""
    rows = data_rows(seeded)
    assert main(_argv(argv, tmp_path)) == 0
    assert data_rows(seeded) == rows


@pytest.mark.parametrize(
    "argv", [["summary"], ["devices", "list"], ["prs"], ["export", "all", "-o", "{tmp}/a.zip"]]
)
def test_read_commands_never_create_yourself(
    argv: list[str], data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before any athlete exists, a read says so instead of creating "Me"."""
    Store.open(data_dir).close()
    assert main(_argv(argv, tmp_path)) == 4
    assert "no athlete yet" in capsys.readouterr().err
    assert json.loads(_athletes_json(capsys)) == []


def _athletes_json(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["athlete", "list", "--json"]) == 0
    return capsys.readouterr().out


def test_commands_that_create_say_so(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["athlete", "set", "Ann", "--weight", "60"]) == 0
    assert main(["athlete", "set", "--weight", "80"]) == 0  # yourself, created as "Me"
    assert main(["goals", "add", "sessions", "1"]) == 0  # yourself already exists
    capsys.readouterr()
    data = json.loads(_athletes_json(capsys))
    assert [(a["name"], a["role"]) for a in data] == [("Ann", "client"), ("Me", "self")]


def test_athlete_list_shows_ids_roles_and_read_only(
    seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store.open(seeded)
    pulled = store.ensure_athlete("Client from the lake")
    store.update_profile(pulled.id, read_only=True)
    store.close()
    rows = db_rows(seeded)
    assert json.loads(_athletes_json(capsys)) == [
        {"id": 1, "name": "Me", "role": "self", "read_only": False},
        {"id": 2, "name": "Ann", "role": "client", "read_only": False},
        {"id": pulled.id, "name": "Client from the lake", "role": "client", "read_only": True},
    ]
    assert main(["athlete", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "role", "access", "name"]
    assert lines[1].split() == ["1", "self", "read-write", "Me"]
    assert lines[3].split()[:3] == [str(pulled.id), "client", "read-only"]
    assert lines[3].endswith(" Client from the lake")
    assert db_rows(seeded) == rows


def test_athlete_list_on_an_empty_database(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["athlete", "list"]) == 0
    assert "no athletes yet" in capsys.readouterr().out


# resolve_athlete -----------------------------------------------------------------------


def test_resolve_athlete_creates_only_when_asked(store: Store) -> None:
    with pytest.raises(AthleteNotFound, match="no athlete yet"):
        resolve_athlete(store, None)
    with pytest.raises(AthleteNotFound, match="no athlete named 'Ann'"):
        resolve_athlete(store, "Ann")
    assert store.list_athletes() == []
    me = resolve_athlete(store, None, create=True)
    assert (me.name, me.is_self) == ("Me", True)
    ann = resolve_athlete(store, "Ann", create=True)
    assert not ann.is_self
    assert resolve_athlete(store, "Ann") == ann
    assert resolve_athlete(store, None) == me


def test_me_by_name_is_the_self_only_when_there_is_none(store: Store) -> None:
    assert resolve_athlete(store, "Me", create=True).is_self
    store.update_profile(1, name="Ann")  # yourself, renamed
    assert not resolve_athlete(store, "Me", create=True).is_self


# @command and report_error ---------------------------------------------------------------


def _args(data_dir: Path, **extra: object) -> argparse.Namespace:
    return argparse.Namespace(data_dir=str(data_dir), **extra)


def test_command_opens_the_store_on_first_use_and_closes_it(data_dir: Path) -> None:
    seen: list[CommandContext] = []

    @command
    def untouched(args: argparse.Namespace, ctx: CommandContext) -> int:
        seen.append(ctx)
        return 0

    assert untouched(_args(data_dir)) == 0
    assert not (data_dir / "pulsedeck.db").exists()

    @command
    def reads(args: argparse.Namespace, ctx: CommandContext) -> int:
        assert ctx.store is ctx.store  # one store per command
        seen.append(ctx)
        return 0

    assert reads(_args(data_dir)) == 0
    assert seen[-1]._store is None  # closed


class Refused(Exception):
    pass


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (UserError("bad flag"), EXIT_USAGE, "bad flag"),
        (UserError("gone", 4), 4, "gone"),
        (DatabaseUnavailable("x.db: the disk is full"), 3, "x.db: the disk is full"),
        (AthleteNotFound("no athlete named 'X'"), 4, "no athlete named 'X'"),
        (Refused("no thanks"), 7, "no thanks"),
        (KeyboardInterrupt(), 130, "interrupted"),
        (KeyError("k"), 1, "unexpected error: KeyError: 'k' (run with -v for details)"),
    ],
)
def test_errors_become_one_line_and_an_exit_code(
    exc: BaseException, code: int, line: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    @command(errors={Refused: 7})
    def fails(args: argparse.Namespace, ctx: CommandContext) -> int:
        ctx.store  # noqa: B018 - opened, so it must be closed despite the error
        raise exc

    assert fails(_args(data_dir)) == code
    assert capsys.readouterr().err == f"pulsedeck: {line}\n"
    assert report_error(exc, {Refused: 7}) == code


def test_storage_error_while_opening_exits_3(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "pulsedeck.db").write_bytes(b"not a database at all" * 100)
    assert main(["devices", "list"]) == 3
    assert main(["export", "daily", "-o", str(data_dir / "x.csv")]) == 3
    assert main(["lake", "status"]) == 3
    assert main(["athlete", "list"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.splitlines()) == 4


def test_record_takes_a_title_and_refuses_a_read_only_client(data_dir, capsys) -> None:
    """`record --title` names the session; a read-only (imported) client cannot be recorded."""
    from app.cli import main
    from app.store.repo import Store

    argv = ["--data-dir", str(data_dir), "record", "--simulate", "--duration", "1", "--rate", "20"]
    assert main([*argv, "--title", "Hike with Luna", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Hike with Luna"
    store = Store.open(data_dir)
    try:
        client = store.ensure_athlete("Imported client")
        with store.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE athletes SET read_only = 1 WHERE id = ?", (client.id,))
    finally:
        store.close()
    assert main([*argv, "--athlete", "Imported client"]) == 2
    err = capsys.readouterr().err
    assert "read-only" in err and "Traceback" not in err


def test_record_feed_reads_its_token_from_a_file_not_argv(data_dir, capsys) -> None:
    """`record --feed` forwards --token-file (a token in argv is visible in `ps`)."""
    from app.cli import main

    argv = ["--data-dir", str(data_dir), "record", "--feed", "ws://127.0.0.1:9/x"]
    assert main([*argv, "--token-file", str(data_dir / "missing.token")]) == 2
    assert "cannot read" in capsys.readouterr().err  # the file was looked for


@pytest.mark.parametrize(
    "write",
    [
        ["goals", "add", "steps", "8000"],
        ["body", "add", "--weight", "70"],
        ["sets", "add", "Squat", "5", "100"],
    ],
)
def test_training_writes_refuse_an_imported_client(data_dir, capsys, write) -> None:
    """Pulled (read-only) clients are never changed locally: exit 2, one line, nothing written."""
    from app.cli import main
    from app.store.repo import Store

    store = Store.open(data_dir)
    try:
        client = store.ensure_athlete("Pulled client")
        with store.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE athletes SET read_only = 1 WHERE id = ?", (client.id,))
    finally:
        store.close()
    before = db_rows(data_dir)
    assert main(["--data-dir", str(data_dir), *write, "--athlete", "Pulled client"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "read-only" in err[0]
    assert db_rows(data_dir) == before


def test_names_printed_by_the_cli_cannot_drive_the_terminal(data_dir, capsys) -> None:
    """A name stored by an older version or pulled from elsewhere prints its controls escaped."""
    from app.cli import main
    from app.store.repo import Store

    store = Store.open(data_dir)
    try:
        me = store.default_athlete()
        with store.engine.begin() as conn:  # as an older Pulsedeck could have stored it
            conn.exec_driver_sql(
                "UPDATE athletes SET name = ? WHERE id = ?", ("Eve\x1b[2J\x1b]0;pwned\x07", me.id)
            )
        sid = store.create_session(me.id, sport="run", source="simulator", started_ms=1_000)
        store.finish_session(sid, 2_000)
    finally:
        store.close()
    for argv in (["athlete", "list"], ["sessions", "list"], ["sessions", "show", str(sid)]):
        assert main(["--data-dir", str(data_dir), *argv]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x07" not in out and "Eve\\x1b[2J" in out, argv


def test_a_summary_all_below_zone_1_says_how_to_set_the_profile(data_dir, capsys) -> None:
    """The first recording with no profile: the zones are empty and the summary says why."""
    from app.cli import main

    argv = ["--data-dir", str(data_dir), "record", "--simulate", "--duration", "2", "--rate", "5"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "below zone 1" in out and "--resting-hr" in out
    from dataclasses import replace

    from app.cli import format_summary
    from app.store.repo import Store

    store = Store.open(data_dir)
    try:
        (info,) = store.list_sessions()
    finally:
        store.close()
    in_zones = replace(info, zone_s=(30.0, 0.0, 0.0, 0.0, 0.0))
    assert "below zone 1" not in format_summary(in_zones)  # only when every zone is empty


@pytest.mark.parametrize("name", ["summary", "load", "readiness", "trends"])
@pytest.mark.parametrize(
    ("span", "message"),
    [
        (["--from", "2026-03-02", "--to", "2026-03-01"], "--to is before --from"),
        (["--from", "2010-01-01", "--to", "2026-03-01"], "at most ten years at a time"),
    ],
)
def test_day_ranges_follow_one_rule(
    name: str,
    span: list[str],
    message: str,
    seeded: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every daily or weekly command refuses the same ranges the same way (exit 2, one line)."""
    assert main([name, *span]) == EXIT_USAGE
    assert capsys.readouterr().err == f"pulsedeck: {message}\n"
