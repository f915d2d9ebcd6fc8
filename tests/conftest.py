"""Shared test setup: offscreen Qt, temporary data dirs, an in-memory keyring."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Qt must never try to open a display in tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own PULSEDECK_HOME so nothing touches the user's data."""
    home = tmp_path / "pulsedeck-home"
    monkeypatch.setenv("PULSEDECK_HOME", str(home))
    return home


@pytest.fixture
def data_dir(_isolated_home: Path) -> Path:
    return _isolated_home


@pytest.fixture
def store(data_dir: Path) -> Iterator[object]:
    """A migrated store on a real SQLite file in a temporary directory."""
    from app.store.repo import Store

    s = Store.open(data_dir)
    yield s
    s.close()


@pytest.fixture
def shared_reference() -> Path:
    """../shared/reference, or skip: a user's clone does not have it (CI does)."""
    ref = SHARED / "reference"
    if not ref.is_dir():
        pytest.skip("../shared/reference is not present beside the project")
    return ref


@pytest.fixture(autouse=True)
def _fresh_rate_budgets() -> Iterator[None]:
    """Strava's process-wide rate budgets start empty in every test (emulator ports are reused)."""
    from sync.strava.budgets import process_budgets

    process_budgets().clear()
    yield
    process_budgets().clear()


@pytest.fixture(autouse=True)
def _memory_keyring() -> Iterator[None]:
    """Secrets go to a per-test in-memory keyring; never the machine's real one."""
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.store: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            from keyring.errors import PasswordDeleteError

            if self.store.pop((service, username), None) is None:
                raise PasswordDeleteError(username)

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)


# S3: moto's server on 127.0.0.1 (tests/lake, tests/ui) ---------------------------------


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy keys for the standard chain; nothing from the developer's ~/.aws is read."""
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto's standalone S3 server in a thread on a free loopback port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
