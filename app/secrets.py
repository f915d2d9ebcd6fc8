"""Secrets (tokens, client secrets, S3 keys) live in the OS keyring, never in SQLite or logs.

There is deliberately no fallback: if no usable keyring exists we fail with a clear message
rather than writing plaintext somewhere (keyrings.alt does that silently).
"""

from __future__ import annotations

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

SERVICE = "pulsedeck"


class SecretsUnavailable(RuntimeError):
    """No working OS keyring; the message tells the user what to install or configure."""


def _fail(exc: BaseException) -> SecretsUnavailable:
    return SecretsUnavailable(
        "no usable OS keyring (install and unlock GNOME Keyring/KWallet, or set "
        f"PYTHON_KEYRING_BACKEND): {type(exc).__name__}"
    )


def get_secret(key: str) -> str | None:
    """The secret stored under `key`, or None if there is none."""
    try:
        return keyring.get_password(SERVICE, key)
    except (KeyringError, RuntimeError) as exc:
        raise _fail(exc) from None


def set_secret(key: str, value: str) -> None:
    try:
        keyring.set_password(SERVICE, key, value)
    except (KeyringError, RuntimeError) as exc:
        raise _fail(exc) from None


def delete_secret(key: str) -> None:
    """Forget `key`; absent keys are fine (idempotent)."""
    try:
        keyring.delete_password(SERVICE, key)
    except PasswordDeleteError:
        pass
    except (KeyringError, RuntimeError) as exc:
        raise _fail(exc) from None
