"""Secrets (tokens, client secrets, S3 keys) live in the OS keyring, never in SQLite or logs.

There is deliberately no fallback: if no usable keyring exists we fail with a clear message
rather than writing plaintext somewhere. Backends that store secrets readable by anyone who can
read a file are refused before any read or write: keyrings.alt's PlaintextKeyring (its
"encryption" is base64), anything built on it whatever priority it claims, and such backends
inside keyring's chainer. Headless boxes use `app.secret_backend.EncryptedFileKeyring`
(README: "Running on an edge box"). Every failure is `SecretsUnavailable`; the CLI exits 2.
"""

from __future__ import annotations

import sys

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

from app import secret_backend  # imported here so a frozen build carries the headless backend

SERVICE = "pulsedeck"

HEADLESS_HELP = (
    f"on a headless box set PYTHON_KEYRING_BACKEND={secret_backend.BACKEND} with a key from "
    f"the systemd credential {secret_backend.CREDENTIAL_NAME} or "
    f"${secret_backend.ENV_KEY_FILE} (README: Running on an edge box)"
)
#: Backends that keep secrets unencrypted (qualified class names); subclasses are refused too.
PLAINTEXT_BACKENDS = frozenset(
    {
        "keyrings.alt.file.PlaintextKeyring",  # base64 "encryption" in keyring_pass.cfg
        "keyrings.alt.pyfs.PlaintextKeyring",  # keyrings.alt < 5
    }
)
#: Words in a backend's module or class name that admit it does not encrypt.
PLAINTEXT_MARKS = ("plaintext", "cleartext", "unencrypted", "insecure")


class SecretsUnavailable(RuntimeError):
    """No safe keyring; the message tells the user what to install or configure."""


class PlaintextKeyringRefused(SecretsUnavailable):
    """The configured keyring would store secrets in clear text."""


def _name(obj: object) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _members(backend: KeyringBackend) -> list[KeyringBackend]:
    """The backend and those it hands secrets to (keyring's chainer, keyrings.alt's wrapper)."""
    found = [backend]
    chained = getattr(type(backend), "backends", None)  # ChainerBackend: a class property
    if isinstance(chained, list | tuple):
        found += [b for b in chained if isinstance(b, KeyringBackend)]
    inner = getattr(backend, "_keyring", None)  # keyrings.alt.multi.MultipartKeyringWrapper
    if isinstance(inner, KeyringBackend):
        found += _members(inner)
    return found


def plaintext_reason(backend: KeyringBackend) -> str | None:
    """Why `backend` would store secrets in clear text, or None if it is not known to."""
    for member in _members(backend):
        for cls in type(member).__mro__:
            name = _name(cls)
            if name in PLAINTEXT_BACKENDS or any(m in name.lower() for m in PLAINTEXT_MARKS):
                where = getattr(member, "file_path", None)
                return f"{_name(member)} stores secrets unencrypted" + (
                    f" in {where}" if isinstance(where, str) else ""
                )
    return None


def _backend() -> KeyringBackend:
    """The configured keyring, refused if it would keep secrets in clear text."""
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a bad PYTHON_KEYRING_BACKEND or keyringrc.cfg fails to import
        raise SecretsUnavailable(
            f"the configured keyring backend cannot be loaded ({type(exc).__name__}: {exc}); "
            f"{HEADLESS_HELP}"
        ) from None
    reason = plaintext_reason(backend)
    if reason:
        raise PlaintextKeyringRefused(
            f"refusing a plaintext keyring: {reason}. Uninstall keyrings.alt or choose "
            f"another backend; {HEADLESS_HELP}"
        )
    return backend


def _fail(exc: BaseException, backend: KeyringBackend) -> SecretsUnavailable:
    if isinstance(exc, secret_backend.KeyfileError):
        return SecretsUnavailable(f"encrypted file keyring: {exc}")
    if isinstance(exc, EOFError):  # getpass with no terminal: keyrings.cryptfile, alt's Encrypted
        return SecretsUnavailable(
            f"keyring backend {_name(backend)} asks for a password and there is no terminal; "
            f"{HEADLESS_HELP}"
        )
    return SecretsUnavailable(
        "no usable OS keyring (install and unlock GNOME Keyring/KWallet, or "
        f"{HEADLESS_HELP}): {type(exc).__name__}"
    )


#: What a backend raises when it cannot work (locked, missing, no terminal for its prompt).
_BACKEND_ERRORS = (KeyringError, RuntimeError, EOFError)


def get_secret(key: str) -> str | None:
    """The secret stored under `key`, or None if there is none."""
    backend = _backend()
    try:
        return backend.get_password(SERVICE, key)
    except _BACKEND_ERRORS as exc:
        raise _fail(exc, backend) from None


def set_secret(key: str, value: str) -> None:
    backend = _backend()
    try:
        backend.set_password(SERVICE, key, value)
    except _BACKEND_ERRORS as exc:
        raise _fail(exc, backend) from None


def delete_secret(key: str) -> None:
    """Forget `key`; absent keys are fine (idempotent)."""
    backend = _backend()
    try:
        backend.delete_password(SERVICE, key)
    except PasswordDeleteError:
        pass
    except _BACKEND_ERRORS as exc:
        raise _fail(exc, backend) from None


class SecretFileError(ValueError):
    """A --*-file option named a file that holds no usable secret."""


def read_secret_file(path: str) -> str:
    """A secret from a file (`-`: standard input), without its trailing newline.

    Files and pipes keep secrets out of `ps`, where command-line arguments are visible to
    every user of the machine.
    """
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
    except OSError as exc:
        raise SecretFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SecretFileError(f"{path} is not UTF-8 text") from None
    value = text.rstrip("\r\n")
    where = "standard input" if path == "-" else path
    if not value.strip():
        raise SecretFileError(f"{where} is empty")
    if "\n" in value:
        raise SecretFileError(f"{where} holds more than one line")
    return value
