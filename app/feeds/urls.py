"""Feed URLs: refuse credentials in them, and derive the token-free key a feed is stored under."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlsplit

from device.feeds.formats import redact_url

#: Query parameters that carry credentials: never stored in a feed URL.
SECRET_PARAMS = {"access_token", "token", "api_key", "key"}
_SOURCE_MAX = 200


class FeedConfigError(ValueError):
    """A feed definition the user must fix (bad URL, unknown format, missing token)."""


def source_key(url: str) -> str:
    """The stable, token-free key of a feed in `feed_cursors.source` and Sample.source."""
    key = redact_url(url)
    if len(key) > _SOURCE_MAX:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        key = key[: _SOURCE_MAX - 17] + "#" + digest
    return key


def check_url(url: str) -> None:
    """Refuse URLs that are not websockets or that carry a credential in their query."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise FeedConfigError(
            f"a feed URL must be ws:// or wss://host/..., got {redact_url(url)!r}"
        )
    if parts.username or parts.password:
        raise FeedConfigError("put the token in --token, not in the URL")
    if any(k.lower() in SECRET_PARAMS for k, _ in parse_qsl(parts.query)):
        raise FeedConfigError("put the token in --token, not in the URL query")
