"""Strava settings as a small frozen value: endpoints (env-overridable), timeouts, pacing."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

from app.store import settings as st
from app.store.settings import Settings

DEFAULT_API_URL = "https://www.strava.com/api/v3"
DEFAULT_OAUTH_URL = "https://www.strava.com/oauth"
ENV_API_URL = "PULSEDECK_STRAVA_API_URL"
ENV_OAUTH_URL = "PULSEDECK_STRAVA_OAUTH_URL"

#: What the owner grants: read the profile, read all activities (children copies come from
#: them, private ones included), and write uploads.
OWNER_SCOPES = "read,activity:read_all,activity:write"
#: A child only receives copies.
CHILD_SCOPES = "read,activity:write"
#: What each role cannot work without, checked at link time: each group needs one of its
#: scopes (the user may untick any box on Strava's consent page). "read" is not needed.
OWNER_NEEDS: tuple[tuple[str, ...], ...] = (
    ("activity:write",),
    ("activity:read_all", "activity:read"),
)
CHILD_NEEDS: tuple[tuple[str, ...], ...] = (("activity:write",),)


@dataclass(frozen=True, slots=True)
class StravaConfig:
    """Named defaults; tests shrink the waits, the user may move the hosts."""

    api_url: str = DEFAULT_API_URL
    oauth_url: str = DEFAULT_OAUTH_URL
    #: One request; Strava answers uploads in well under this, a hung proxy does not.
    timeout_s: float = 30.0
    #: Refresh this long before expiry so a request never starts with a dying token.
    refresh_margin_s: float = 300.0
    #: Upload processing usually takes a few seconds; poll gently, then give the job back
    #: to the outbox (it resumes polling the same upload id, never re-posts a known upload).
    poll_first_s: float = 1.0
    poll_max_s: float = 16.0
    poll_budget_s: float = 90.0
    #: Strava allows up to 200 per page; 100 keeps each reply small.
    page_size: int = 100
    #: Only requests waiting at most this long for the rate budget sleep in place; longer
    #: waits hand the job back to the outbox with RateLimited(retry_after).
    max_inline_wait_s: float = 0.0
    #: How far back the first poll of a new owner account looks.
    first_poll_lookback_s: float = 2 * 24 * 3600.0

    @classmethod
    def load(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        api_url: str | None = None,
        oauth_url: str | None = None,
    ) -> StravaConfig:
        """Defaults, then the given (stored) endpoints, then environment variables."""
        env = os.environ if env is None else env
        cfg = cls()
        api = api_url or cfg.api_url
        oauth = oauth_url or cfg.oauth_url
        api = env.get(ENV_API_URL) or api
        oauth = env.get(ENV_OAUTH_URL) or oauth
        return replace(cfg, api_url=str(api).rstrip("/"), oauth_url=str(oauth).rstrip("/"))


def stored_config(settings: Settings, env: Mapping[str, str] | None = None) -> StravaConfig:
    """The endpoints stored in Settings, then the environment: every caller's one config."""
    stored = settings.get_many((st.STRAVA_API_URL, st.STRAVA_OAUTH_URL))
    return StravaConfig.load(
        env, api_url=stored[st.STRAVA_API_URL], oauth_url=stored[st.STRAVA_OAUTH_URL]
    )
