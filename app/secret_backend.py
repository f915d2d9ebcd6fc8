"""An encrypted-file keyring for headless boxes (systemd services), with no prompt ever.

Select it the way keyring selects any backend:
`PYTHON_KEYRING_BACKEND=app.secret_backend.EncryptedFileKeyring`, or in keyringrc.cfg
`[backend] default-keyring = app.secret_backend.EncryptedFileKeyring`.

The key material is read, in this order, from
  1. `$PULSEDECK_KEYRING_KEY_FILE`: a file owned by this user with mode 0600 or 0400 (checked);
  2. `$CREDENTIALS_DIRECTORY/pulsedeck-keyring-key`: a systemd credential (`LoadCredential=` or
     `LoadCredentialEncrypted=`). systemd keeps that directory private to the service and grants
     read access with an ACL, so its mode bits (the ACL mask shows as group bits) are not checked.
It must hold at least 32 bytes (e.g. `head -c 32 /dev/urandom`). An AES-256-GCM key is
derived from it with HKDF-SHA256; the store, `$PULSEDECK_KEYRING_FILE` (default
`keyring.enc` in the user data directory), is one ciphertext: entry names are hidden too.
Writers take an exclusive lock and replace the file atomically (the recorder and the sync
worker run as separate processes). Any failure raises `KeyfileError` with a message that says
what to fix; nothing is ever written unencrypted and nothing asks for a password.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

try:
    import fcntl
except ImportError:  # Windows: the backend is meant for Linux edge boxes
    fcntl = None  # type: ignore[assignment]

BACKEND = "app.secret_backend.EncryptedFileKeyring"
ENV_KEY_FILE = "PULSEDECK_KEYRING_KEY_FILE"
ENV_STORE_FILE = "PULSEDECK_KEYRING_FILE"
CREDENTIAL_NAME = "pulsedeck-keyring-key"
MIN_KEY_BYTES = 32
#: First bytes of the store; also authenticated with the ciphertext (a format change is seen).
MAGIC = b"PULSEDECK-KEYRING-1\n"
NONCE_BYTES = 12  # AES-GCM's standard nonce; random per write
_HKDF_INFO = b"pulsedeck keyring file v1"


class KeyfileError(KeyringError):
    """The encrypted file keyring cannot work; the message says what to fix."""


def store_path() -> Path:
    """Where the encrypted store lives: $PULSEDECK_KEYRING_FILE, else the user data dir."""
    env = os.environ.get(ENV_STORE_FILE)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("Pulsedeck", appauthor=False)) / "keyring.enc"


def _key_source() -> Path:
    explicit = os.environ.get(ENV_KEY_FILE)
    if explicit:
        return Path(explicit).expanduser()
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    if creds and (Path(creds) / CREDENTIAL_NAME).exists():
        return Path(creds) / CREDENTIAL_NAME
    raise KeyfileError(
        f"no key for the encrypted keyring: give the service the systemd credential "
        f"{CREDENTIAL_NAME} (LoadCredential=), or set ${ENV_KEY_FILE} to a file of at least "
        f"{MIN_KEY_BYTES} random bytes readable only by this user (chmod 600)"
    )


def _check_private(path: Path, st: os.stat_result) -> None:
    """A key file named by the environment must be ours and unreadable by anyone else."""
    if not stat.S_ISREG(st.st_mode):
        raise KeyfileError(f"keyring key {path} is not a regular file")
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        raise KeyfileError(f"keyring key {path} must be owned by the user running Pulsedeck")
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise KeyfileError(
            f"keyring key {path} is readable by others (mode "
            f"{stat.S_IMODE(st.st_mode):04o}): chmod 600 {path}"
        )


def load_key() -> bytes:
    """The AES-256 key derived from the configured key material."""
    path = _key_source()
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if os.environ.get(ENV_KEY_FILE):
                _check_private(path, st)
            material = fh.read(64 * 1024)
    except OSError as exc:
        raise KeyfileError(f"cannot read keyring key {path}: {exc.strerror or exc}") from None
    if len(material) < MIN_KEY_BYTES:
        raise KeyfileError(
            f"keyring key {path} is too short ({len(material)} bytes; at least "
            f"{MIN_KEY_BYTES} random bytes: head -c 32 /dev/urandom > {path.name})"
        )
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(material)


Entries = dict[str, dict[str, str]]


def _decrypt(path: Path, key: bytes) -> Entries:
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise KeyfileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + NONCE_BYTES + 16:
        raise KeyfileError(f"{path} is not a Pulsedeck keyring file")
    nonce = blob[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
    try:
        plain = AESGCM(key).decrypt(nonce, blob[len(MAGIC) + NONCE_BYTES :], MAGIC)
    except InvalidTag:
        raise KeyfileError(
            f"cannot decrypt {path}: the key is not the one it was written with, or the file "
            "is damaged"
        ) from None
    data = json.loads(plain)
    if not isinstance(data, dict):
        raise KeyfileError(f"{path} holds no keyring entries")
    return data


def _write(path: Path, key: bytes, entries: Entries) -> None:
    """Encrypt and replace atomically; the file is 0600 from the moment it exists."""
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(entries, separators=(",", ":")).encode()
    blob = MAGIC + nonce + AESGCM(key).encrypt(nonce, plain, MAGIC)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".keyring-", dir=path.parent)  # mkstemp: mode 0600
    except OSError as exc:
        raise KeyfileError(f"cannot write the keyring in {path.parent}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise KeyfileError(f"cannot write {path}: {exc.strerror or exc}") from None


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock beside the store for one read-modify-write."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise KeyfileError(f"cannot write the keyring in {path.parent}: {exc.strerror}") from None
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class EncryptedFileKeyring(KeyringBackend):
    """AES-256-GCM file keyring keyed by a systemd credential or a private key file."""

    # Never chosen automatically (it is not registered as an entry point); only when named
    # in PYTHON_KEYRING_BACKEND or keyringrc.cfg.
    priority = 0.1

    @property
    def path(self) -> Path:
        return store_path()

    def get_password(self, service: str, username: str) -> str | None:
        return _decrypt(self.path, load_key()).get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        key = load_key()
        path = self.path
        with _locked(path):
            entries = _decrypt(path, key)
            entries.setdefault(service, {})[username] = password
            _write(path, key, entries)

    def delete_password(self, service: str, username: str) -> None:
        key = load_key()
        path = self.path
        with _locked(path):
            entries = _decrypt(path, key)
            if username not in entries.get(service, {}):
                raise PasswordDeleteError(f"no entry {username!r} for {service!r}")
            del entries[service][username]
            if not entries[service]:
                del entries[service]
            _write(path, key, entries)
