"""Where the lake is: settings (declared once here), CLI overrides, and job payloads.

Nothing here is secret. Credentials come from the standard AWS chain (environment,
AWS_PROFILE, shared config/credentials files, instance roles) or, when `credentials_key` is
set, from the OS keyring entry of that name (see app.secrets); never from SQLite.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from app.secrets import get_secret, set_secret
from app.store import settings as st
from app.store.repo import Store
from app.store.settings import Setting, Settings

from .layout import normalize_prefix

#: LakeConfig field -> its declared setting (app.store.settings owns keys, types, defaults).
SETTINGS: dict[str, Setting[Any]] = {s.key.removeprefix("lake."): s for s in st.LAKE_SETTINGS}
#: Default keyring entry for S3 keys entered in the app's settings.
DEFAULT_CREDENTIALS_KEY = "lake.s3"


class LakeNotConfigured(ValueError):
    """No bucket given on the command line nor in the settings."""


@dataclass(frozen=True, slots=True)
class LakeConfig:
    """One lake destination; `path_style` None means 'path style when the endpoint is custom'."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    path_style: bool | None = None
    profile: str | None = None
    credentials_key: str | None = None

    def effective_endpoint(self) -> str | None:
        """The endpoint in force: ours, else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL."""
        return (
            self.endpoint_url
            or os.environ.get("AWS_ENDPOINT_URL_S3")
            or os.environ.get("AWS_ENDPOINT_URL")
            or None
        )

    def use_path_style(self) -> bool:
        """MinIO, Ceph and moto need path-style keys; AWS itself prefers virtual hosts."""
        if self.path_style is not None:
            return self.path_style
        return self.effective_endpoint() is not None

    def location(self) -> str:
        """Human-readable destination, e.g. s3://bucket/prefix (endpoint)."""
        where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        endpoint = self.effective_endpoint()
        return f"{where} ({endpoint})" if endpoint else where

    def to_payload(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: Mapping[str, object]) -> LakeConfig:
        return _from_values({k: payload.get(k) for k in cls.__dataclass_fields__})


def load_settings(store: Store) -> dict[str, object]:
    """The lake settings by LakeConfig field name, defaults filled in."""
    stored = Settings(store).get_many(SETTINGS.values())
    return {name: stored[setting] for name, setting in SETTINGS.items()}


def save_settings(store: Store, **values: object) -> None:
    """Store lake settings by LakeConfig field name; None removes a setting."""
    unknown = set(values) - set(SETTINGS)
    if unknown:
        raise ValueError(f"unknown lake setting {sorted(unknown)[0]!r}")
    settings = Settings(store)
    checked = [
        (SETTINGS[name], SETTINGS[name].check(v) if v is not None else None)
        for name, v in values.items()
    ]
    for setting, value in checked:  # every value checked before any is written
        settings.set(setting, value)


def resolve_config(store: Store, **overrides: object) -> LakeConfig:
    """Settings, with every non-None override (from CLI flags) taking precedence."""
    values = load_settings(store)
    values.update({k: v for k, v in overrides.items() if v is not None})
    bucket = values.pop("bucket")
    if not bucket:
        raise LakeNotConfigured("no bucket: pass --bucket or run `pulsedeck lake configure`")
    return _from_values({**values, "bucket": str(bucket)})


def _from_values(values: Mapping[str, object]) -> LakeConfig:
    """A LakeConfig (prefix normalized) from settings, CLI overrides or a job payload."""
    # The values were type-checked when stored (save_settings, to_payload) and are not
    # checked again here; mypy cannot see the types of values looked up by field name.
    cfg = LakeConfig(**values)  # type: ignore[arg-type]
    return replace(cfg, prefix=normalize_prefix(cfg.prefix))


@dataclass(frozen=True, slots=True)
class StaticCredentials:
    """S3 keys from the keyring; repr hides the secret so it never reaches a log."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def __repr__(self) -> str:
        return f"StaticCredentials(access_key_id={self.access_key_id[:4]}..., secret=***)"


def store_credentials(
    key: str, access_key_id: str, secret_access_key: str, session_token: str | None = None
) -> None:
    """Save S3 keys in the OS keyring under `key` (the settings keep only the name)."""
    body = {"access_key_id": access_key_id, "secret_access_key": secret_access_key}
    if session_token:
        body["session_token"] = session_token
    set_secret(key, json.dumps(body))


def load_credentials(key: str | None) -> StaticCredentials | None:
    """Keys stored under `key`, or None (then the standard AWS chain applies)."""
    if not key:
        return None
    raw = get_secret(key)
    if raw is None:
        return None
    try:
        body = json.loads(raw)
        return StaticCredentials(
            body["access_key_id"], body["secret_access_key"], body.get("session_token")
        )
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"keyring entry {key!r} does not hold S3 credentials") from None
