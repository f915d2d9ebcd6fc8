"""Every setting Pulsedeck keeps, declared once (key, type, default, label, scope).

The `settings` table is a key/value store; this registry is the only place that names its
keys. Code reads and writes through `Settings.get`/`Settings.set` with a declared `Setting`,
never with a string, so a key, its type and its default cannot drift between the CLI, the
desktop app and the sync engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from sqlalchemy import delete, select
from sqlalchemy.dialects.sqlite import insert

from . import models as m

if TYPE_CHECKING:
    from .repo import Store

T = TypeVar("T")


class Scope(StrEnum):
    """Whose value it is: the app's, one athlete's, one Strava account's or API client's."""

    APP = "app"
    ATHLETE = "athlete"
    ACCOUNT = "account"
    CLIENT = "client"


class SettingTypeError(ValueError):
    """A value of the wrong type for its setting; the message names the setting."""


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    """One declared setting; scoped ones are stored per owner as `key.<owner>`."""

    key: str
    type: type[T] | tuple[type, ...]
    default: T | None
    label: str
    scope: Scope = Scope.APP

    def storage_key(self, owner: int | str | None = None) -> str:
        """The row's key in the `settings` table."""
        if self.scope is Scope.APP:
            if owner is not None:
                raise ValueError(f"{self.key} is an app setting: no owner")
            return self.key
        if owner is None or owner == "":
            raise ValueError(f"{self.key} is per {self.scope}: an owner is required")
        return f"{self.key}.{owner}"

    def check(self, value: object) -> T:
        """The value if it has this setting's type (bools are not numbers here), else raise."""
        types = self.type if isinstance(self.type, tuple) else (self.type,)
        if isinstance(value, bool) and bool not in types:
            raise SettingTypeError(f"{self.key} must be {self._type_name()}, got {value!r}")
        if float in types and isinstance(value, int) and not isinstance(value, bool):
            return cast(T, float(value))
        if not isinstance(value, types):
            raise SettingTypeError(f"{self.key} must be {self._type_name()}, got {value!r}")
        return cast(T, value)

    def _type_name(self) -> str:
        types = self.type if isinstance(self.type, tuple) else (self.type,)
        return " or ".join(t.__name__ for t in types)


REGISTRY: dict[str, Setting[Any]] = {}


def declare(
    key: str,
    typ: type[T] | tuple[type, ...],
    default: T | None,
    label: str,
    scope: Scope = Scope.APP,
) -> Setting[T]:
    """Add a setting to the registry; a key declared twice is a programming error."""
    if key in REGISTRY:
        raise ValueError(f"setting {key} is declared twice")
    setting = Setting(key, typ, default, label, scope)
    REGISTRY[key] = setting
    return setting


# The desktop app -------------------------------------------------------------------------
THEME = declare("ui.theme", str, "light", "Theme (light, dark or high-contrast)")
SELECTED_ATHLETE = declare("ui.athlete_id", int, None, "Athlete shown in the app")

# Training ---------------------------------------------------------------------------------
CUSTOM_ZONES = declare(
    "training.custom_zones", list, None, "Custom zone lower bounds (bpm)", Scope.ATHLETE
)

# Websocket feeds ------------------------------------------------------------------------------
FEED_MAX_ATHLETES = declare(
    "feeds.max_athletes",
    int,
    300,
    "Remote athletes one feed may add (athletes beyond are refused and counted)",
)

# Activity file import ---------------------------------------------------------------------------
IMPORT_WATCH_DIR = declare(
    "import.watch_dir", str, None, "Watched folder: new activity files are imported"
)

# Background sync and Strava -----------------------------------------------------------------
BACKGROUND_SYNC: Setting[bool | str] = declare(
    "sync.background", (bool, str), True, "Sync in the background"
)
OUTBOX_INTERVAL_S = declare("sync.outbox_interval_s", float, None, "Outbox run interval (s)")
STRAVA_API_URL = declare("strava.api_url", str, None, "Strava API endpoint")
STRAVA_OAUTH_URL = declare("strava.oauth_url", str, None, "Strava OAuth endpoint")
STRAVA_POLL_INTERVAL_S = declare(
    "strava.poll_interval_s", float, None, "Strava activity poll interval (s)"
)
STRAVA_BACKFILL = declare(
    "strava.backfill", dict, None, "Resumable backfill cursor {after, page}", Scope.ACCOUNT
)
STRAVA_POLL_AFTER: Setting[float] = declare(
    "strava.poll_after", (int, float), None, "Newest start time polled (epoch s)", Scope.ACCOUNT
)
STRAVA_RATE_USAGE = declare(
    "strava.rate_usage", dict, None, "Last Strava rate usage seen", Scope.CLIENT
)
STRAVA_CHILD_CONTROLLED_MS: Setting[int] = declare(
    "strava.child_controlled_ms",
    int,
    None,
    "When the user confirmed they control this child account (epoch ms)",
    Scope.ACCOUNT,
)
STRAVA_COPY_WATCH = declare(
    "strava.copy_watch",
    bool,
    False,
    "Copy activities from elsewhere (a watch, the website) to this child",
    Scope.ACCOUNT,
)

# The S3 data lake ----------------------------------------------------------------------------
LAKE_BUCKET = declare("lake.bucket", str, None, "Bucket")
LAKE_PREFIX = declare("lake.prefix", str, "", "Key prefix")
LAKE_ENDPOINT_URL = declare("lake.endpoint_url", str, None, "S3 endpoint (MinIO, Ceph...)")
LAKE_REGION = declare("lake.region", str, None, "Region")
LAKE_PATH_STYLE = declare("lake.path_style", bool, None, "Path-style addressing")
LAKE_PROFILE = declare("lake.profile", str, None, "AWS profile")
LAKE_CREDENTIALS_KEY = declare("lake.credentials_key", str, None, "Keyring entry for S3 keys")
LAKE_SETTINGS: tuple[Setting[Any], ...] = (
    LAKE_BUCKET,
    LAKE_PREFIX,
    LAKE_ENDPOINT_URL,
    LAKE_REGION,
    LAKE_PATH_STYLE,
    LAKE_PROFILE,
    LAKE_CREDENTIALS_KEY,
)
LAKE_PULL_INTERVAL_H = declare(
    "lake.pull_interval_h", int, None, "Pull the clients from the lake every N hours (unset: off)"
)
LAKE_LAST_PULL_MS: Setting[int] = declare(
    "lake.last_pull_ms", int, None, "Last pull of a lake athlete id (epoch ms)", Scope.ATHLETE
)
LAKE_SEEN_MS: Setting[int] = declare(
    "lake.seen_ms", int, None,
    "Start of the last pull of a lake athlete id that read every session (epoch ms)",
    Scope.ATHLETE,
)


class Settings:
    """Typed reads and writes of declared settings; each call is one short transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, setting: Setting[T], owner: int | str | None = None) -> T | None:
        """The stored value, else the declared default (a stored value of a wrong type too)."""
        with self.store.orm() as s:
            row = s.get(m.Setting, setting.storage_key(owner))
        if row is None:
            return setting.default
        try:
            return setting.check(row.value)
        except SettingTypeError:
            return setting.default

    def get_many(self, settings: Iterable[Setting[Any]]) -> dict[Setting[Any], Any]:
        """Several app settings in one query, defaults filled in."""
        wanted = {s.storage_key(): s for s in settings}
        with self.store.orm() as s:
            rows = s.execute(
                select(m.Setting.key, m.Setting.value).where(m.Setting.key.in_(list(wanted)))
            ).all()
        stored: Mapping[str, object] = dict(rows)
        out: dict[Setting[Any], Any] = {}
        for key, setting in wanted.items():
            value: Any = setting.default
            if key in stored:
                try:
                    value = setting.check(stored[key])
                except SettingTypeError:
                    pass
            out[setting] = value
        return out

    def set(self, setting: Setting[T], value: T | None, owner: int | str | None = None) -> None:
        """Store a value (type-checked); None removes it, so the default applies again."""
        key = setting.storage_key(owner)
        with self.store.engine.begin() as conn:
            if value is None:
                conn.execute(delete(m.Setting).where(m.Setting.key == key))
                return
            checked = setting.check(value)
            stmt = insert(m.Setting).values(key=key, value=checked)
            conn.execute(
                stmt.on_conflict_do_update(index_elements=["key"], set_={"value": checked})
            )

    def owners(self, setting: Setting[Any]) -> dict[str, Any]:
        """Every stored owner of a scoped setting and its value."""
        prefix = f"{setting.key}."
        with self.store.orm() as s:
            rows = s.execute(
                select(m.Setting.key, m.Setting.value).where(m.Setting.key.like(f"{prefix}%"))
            ).all()
        return {key.removeprefix(prefix): value for key, value in rows}
