"""Secrets at rest (issue 16, finding 11): plaintext keyrings refused, the headless backend.

The unit tests swap the per-test keyring (tests/conftest.py); the end-to-end tests run
`pulsedeck` in subprocesses with no terminal, selecting backends the way a user does
(PYTHON_KEYRING_BACKEND, keyringrc.cfg), so they exercise keyring's real loading path.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from app import secret_backend
from app.secret_backend import CREDENTIAL_NAME, EncryptedFileKeyring
from app.secrets import (
    PlaintextKeyringRefused,
    SecretFileError,
    SecretsUnavailable,
    delete_secret,
    get_secret,
    read_secret_file,
    set_secret,
)

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "edge-b0x-feed-t0ken-4711"
HEADLESS = "app.secret_backend.EncryptedFileKeyring"
REFUSED = "refusing a plaintext keyring"


def _alt_file() -> object:
    return pytest.importorskip(
        "keyrings.alt.file", reason="keyrings.alt is not installed (pip install keyrings.alt)"
    )


# Refusing plaintext backends -----------------------------------------------------------


def test_keyrings_alt_plaintext_backend_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alt = _alt_file()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    backend = alt.PlaintextKeyring()  # type: ignore[attr-defined]
    keyring.set_keyring(backend)
    with pytest.raises(PlaintextKeyringRefused, match=REFUSED) as info:
        set_secret("feed:coach", TOKEN)
    assert "keyrings.alt.file.PlaintextKeyring" in str(info.value)
    assert HEADLESS in str(info.value)  # says what to use instead
    with pytest.raises(PlaintextKeyringRefused):
        get_secret("feed:coach")
    with pytest.raises(PlaintextKeyringRefused):
        delete_secret("feed:coach")
    assert not Path(backend.file_path).exists()
    assert not list(tmp_path.rglob("*"))


def test_a_subclass_claiming_a_higher_priority_is_refused_too() -> None:
    alt = _alt_file()

    class Sneaky(alt.PlaintextKeyring):  # type: ignore[name-defined,misc]
        priority = 99

    keyring.set_keyring(Sneaky())
    with pytest.raises(PlaintextKeyringRefused, match=REFUSED):
        set_secret("k", "v")


def test_a_plaintext_backend_inside_the_chainer_is_refused() -> None:
    """keyring chains every viable backend; reads would fall through to the plaintext file."""
    _alt_file()
    from keyring.backends.chainer import ChainerBackend

    keyring.set_keyring(ChainerBackend())
    with pytest.raises(PlaintextKeyringRefused, match="PlaintextKeyring"):
        get_secret("k")


def test_a_backend_that_admits_plaintext_in_its_name_is_refused() -> None:
    class PlaintextMemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return None

        def set_password(self, service: str, username: str, password: str) -> None:
            raise AssertionError("must not be reached")

        def delete_password(self, service: str, username: str) -> None:
            raise AssertionError("must not be reached")

    keyring.set_keyring(PlaintextMemoryKeyring())
    with pytest.raises(PlaintextKeyringRefused):
        set_secret("k", "v")


def test_a_backend_that_prompts_without_a_terminal_gets_one_clear_message() -> None:
    """keyrings.cryptfile and keyrings.alt's EncryptedKeyring call getpass: EOFError headless."""

    class Prompting(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            raise EOFError("EOF when reading a line")

        set_password = delete_password = get_password  # type: ignore[assignment]

    keyring.set_keyring(Prompting())
    with pytest.raises(SecretsUnavailable, match="asks for a password and there is no terminal"):
        get_secret("k")


def test_the_test_suite_in_memory_keyring_is_accepted() -> None:
    set_secret("k", "v")
    assert get_secret("k") == "v"
    delete_secret("k")
    delete_secret("k")  # idempotent
    assert get_secret("k") is None


# The encrypted file backend --------------------------------------------------------------


def _key(path: Path, mode: int = 0o400, size: int = 32) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    path.chmod(mode)
    return path


@pytest.fixture
def headless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """EncryptedFileKeyring keyed by a systemd-style credentials directory; returns the store."""
    _key(tmp_path / "creds" / CREDENTIAL_NAME)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path / "creds"))
    monkeypatch.delenv(secret_backend.ENV_KEY_FILE, raising=False)
    store = tmp_path / "state" / "keyring.enc"
    monkeypatch.setenv(secret_backend.ENV_STORE_FILE, str(store))
    keyring.set_keyring(EncryptedFileKeyring())
    return store


def _assert_no_cleartext(blob: bytes, *values: str) -> None:
    for value in values:
        raw = value.encode()
        assert raw not in blob
        assert base64.b64encode(raw) not in blob
        assert base64.b64encode(raw)[:-4] not in blob  # base64 at any 3-byte alignment
        assert raw.hex().encode() not in blob


def test_encrypted_file_round_trip_holds_no_cleartext(headless: Path) -> None:
    set_secret("feed:coach", TOKEN)
    set_secret("strava:tokens:1", "refresh-xyz")
    assert get_secret("feed:coach") == TOKEN
    delete_secret("strava:tokens:1")
    delete_secret("strava:tokens:1")
    assert get_secret("strava:tokens:1") is None
    assert stat.S_IMODE(headless.stat().st_mode) == 0o600
    _assert_no_cleartext(headless.read_bytes(), TOKEN, "feed:coach", "pulsedeck")


def test_a_different_key_cannot_read_the_store(headless: Path, tmp_path: Path) -> None:
    set_secret("feed:coach", TOKEN)
    _key(tmp_path / "creds" / CREDENTIAL_NAME, mode=0o600)  # replaced: another key
    with pytest.raises(SecretsUnavailable, match="cannot decrypt"):
        get_secret("feed:coach")


def test_no_key_says_where_to_put_one(headless: Path, tmp_path: Path) -> None:
    (tmp_path / "creds" / CREDENTIAL_NAME).unlink()
    with pytest.raises(SecretsUnavailable, match="LoadCredential=") as info:
        set_secret("k", "v")
    assert secret_backend.ENV_KEY_FILE in str(info.value)
    assert not headless.exists()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_key_file_others_can_read_is_refused(
    headless: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    key = _key(tmp_path / "etc" / "keyring.key", mode=mode)
    monkeypatch.setenv(secret_backend.ENV_KEY_FILE, str(key))
    with pytest.raises(SecretsUnavailable, match=f"readable by others.*chmod 600 {key}"):
        set_secret("k", "v")
    key.chmod(0o600)
    set_secret("k", "v")
    assert get_secret("k") == "v"


def test_a_short_key_is_refused(headless: Path, tmp_path: Path) -> None:
    _key(tmp_path / "creds" / CREDENTIAL_NAME, mode=0o600, size=16)
    with pytest.raises(SecretsUnavailable, match="too short"):
        set_secret("k", "v")


def test_concurrent_writers_lose_no_entry(headless: Path) -> None:
    """The recorder and the sync worker write from separate processes; flock serialises."""
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(5):
                set_secret(f"w{n}:{i}", f"v{n}.{i}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(get_secret(f"w{n}:{i}") == f"v{n}.{i}" for n in range(6) for i in range(5))


# Secrets from files, not arguments -------------------------------------------------------


def test_read_secret_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "token"
    f.write_text(TOKEN + "\n")
    assert read_secret_file(str(f)) == TOKEN
    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN + "\r\n"))
    assert read_secret_file("-") == TOKEN
    f.write_text("\n")
    with pytest.raises(SecretFileError, match="empty"):
        read_secret_file(str(f))
    f.write_text("a\nb\n")
    with pytest.raises(SecretFileError, match="more than one line"):
        read_secret_file(str(f))
    with pytest.raises(SecretFileError, match="cannot read"):
        read_secret_file(str(tmp_path / "missing"))


@pytest.mark.parametrize(
    ("command", "flag", "alternative"),
    [
        ("feeds add", "--token", "--token-file"),
        ("feeds record", "--token", "--token-file"),
        ("feeds record", "--broadcast-token", "--broadcast-token-file"),
        ("feeds serve-live", "--token", "--token-file"),
        ("simulate", "--token", "--token-file"),
        ("accounts link", "--client-secret", "--client-secret-file"),
    ],
)
def test_help_says_secret_arguments_are_visible_in_ps(
    command: str, flag: str, alternative: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    with pytest.raises(SystemExit):
        main([*command.split(), "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert re.search(rf"{flag} {flag.lstrip('-').upper().replace('-', '_')} [^-]*in `ps`", text)
    assert alternative in text


# End to end: `pulsedeck` in subprocesses, no terminal -----------------------------------


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The user's environment minus any keyring choice, with private dirs under tmp_path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "PYTHON_KEYRING_BACKEND",
            "CREDENTIALS_DIRECTORY",
            secret_backend.ENV_KEY_FILE,
            secret_backend.ENV_STORE_FILE,
            "DBUS_SESSION_BUS_ADDRESS",
            "PULSEDECK_FEED_TOKEN",
        }
    }
    env.update(
        PULSEDECK_HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),  # no user keyringrc.cfg
        XDG_DATA_HOME=str(tmp_path / "share"),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def _run(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line_error(result: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert result.returncode == code, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("pulsedeck:")]
    assert len(lines) == 1 and text in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_edge_box_stores_and_reads_a_feed_token_with_a_systemd_credential(
    tmp_path: Path,
) -> None:
    """The documented recipe: key from $CREDENTIALS_DIRECTORY, token from a file, no TTY."""
    creds = tmp_path / "creds"
    _key(creds / CREDENTIAL_NAME)
    store = tmp_path / "state" / "keyring.enc"
    token_file = tmp_path / "feed.token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    env = _env(
        tmp_path,
        PYTHON_KEYRING_BACKEND=HEADLESS,
        CREDENTIALS_DIRECTORY=str(creds),
        PULSEDECK_KEYRING_FILE=str(store),
    )
    sim_env = _env(tmp_path, PULSEDECK_HOME=str(tmp_path / "sim-home"))
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "simulate",
            "--athletes",
            "1",
            "--rate",
            "4",
            "--port",
            "0",
            "--token-file",
            str(token_file),
            "--duration",
            "2",
            "--speed",
            "2",
            "--wait-for-client",
        ],  # fmt: skip
        cwd=ROOT,
        env=sim_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = sim.stdout.readline() if sim.stdout else ""
        match = re.search(r"(ws://\S+/api/v1/traces)", line)
        assert match, line
        added = _run(env, "feeds", "add", "coach", match.group(1), "--token-file", str(token_file))
        assert added.returncode == 0, added.stderr
        # Another process reads the token back from the encrypted file to log in.
        recorded = _run(env, "feeds", "record", "coach", "--json", "-q")
        assert recorded.returncode == 0, recorded.stderr
        assert json.loads(recorded.stdout)["stored"] > 0
    finally:
        sim.kill()
        sim.wait()
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    _assert_no_cleartext(store.read_bytes(), TOKEN, "feed:coach")
    db = b"".join(p.read_bytes() for p in (tmp_path / "home").glob("pulsedeck.db*"))
    assert TOKEN.encode() not in db
    # The same service started without its credential: one line, exit 2, nothing decrypted.
    (creds / CREDENTIAL_NAME).unlink()
    _one_line_error(_run(env, "feeds", "record", "coach"), 2, "no key for the encrypted keyring")


@pytest.mark.slow
def test_keyringrc_selects_the_backend_with_a_private_key_file(tmp_path: Path) -> None:
    """keyring's config file works as well as the variable; S3 keys come in on stdin."""
    rc = tmp_path / "config" / "python_keyring" / "keyringrc.cfg"
    rc.parent.mkdir(parents=True)
    rc.write_text(f"[backend]\ndefault-keyring = {HEADLESS}\n")
    key = _key(tmp_path / "etc" / "pulsedeck.key", mode=0o600)
    store = tmp_path / "state" / "keyring.enc"
    env = _env(tmp_path, PULSEDECK_KEYRING_KEY_FILE=str(key), PULSEDECK_KEYRING_FILE=str(store))
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
    configured = _run(
        env, "lake", "configure", "--bucket", "b", "--access-key-id", "AKIAEDGE",
        "--secret-access-key-stdin", stdin=secret + "\n",
    )  # fmt: skip
    assert configured.returncode == 0, configured.stderr
    status = _run(env, "lake", "status", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["credentials"].startswith("OS keyring entry")
    _assert_no_cleartext(store.read_bytes(), secret, "AKIAEDGE")
    # Without a terminal the hidden prompt is impossible: a usage error, not a crash.
    _one_line_error(
        _run(env, "lake", "configure", "--access-key-id", "AKIAEDGE"),
        2,
        "--secret-access-key-stdin",
    )
    key.chmod(0o644)
    again = _run(env, "lake", "configure", "--access-key-id", "AKIAEDGE",
                 "--secret-access-key-stdin", stdin=secret)  # fmt: skip
    _one_line_error(again, 2, "chmod 600")


@pytest.mark.slow
def test_keyrings_alt_plaintext_backend_is_refused_end_to_end(tmp_path: Path) -> None:
    _alt_file()
    token_file = tmp_path / "feed.token"
    token_file.write_text(TOKEN)
    env = _env(tmp_path, PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring")
    result = _run(
        env, "feeds", "add", "coach", "ws://127.0.0.1:9/x", "--token-file", str(token_file)
    )
    _one_line_error(result, 2, REFUSED)
    assert "keyrings.alt.file.PlaintextKeyring" in result.stderr and HEADLESS in result.stderr
    written = [p for p in (tmp_path / "share").rglob("*") if p.is_file()]
    assert not [p for p in written if TOKEN.encode() in p.read_bytes()]
    assert not (tmp_path / "share" / "python_keyring" / "keyring_pass.cfg").exists()
    listed = _run(env, "feeds", "list", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []  # nothing half-stored


@pytest.mark.slow
def test_an_unloadable_backend_name_is_one_line_exit_2(tmp_path: Path) -> None:
    """The old recipe named keyrings.cryptfile; when it is absent the message says what works."""
    token_file = tmp_path / "feed.token"
    token_file.write_text(TOKEN)
    env = _env(tmp_path, PYTHON_KEYRING_BACKEND="keyrings.cryptfile.cryptfile.CryptFileKeyring")
    result = _run(
        env, "feeds", "add", "coach", "ws://127.0.0.1:9/x", "--token-file", str(token_file)
    )
    _one_line_error(result, 2, HEADLESS)  # not installed: cannot be loaded; installed: prompts
