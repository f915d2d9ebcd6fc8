"""Typed feed errors; messages never contain a token or a URL query string.

FeedError
 +-- FeedAuthError          the server refused the token: do not retry, tell the user
 +-- FeedUnavailable        the URL is wrong (HTTP 4xx other than auth): do not retry
 +-- FeedConnectionError    network, 5xx, dropped connection: retried with backoff
"""

from __future__ import annotations


class FeedError(Exception):
    """Base for every feed failure; the message is safe to show and to log."""


class FeedAuthError(FeedError):
    """The server refused our token (HTTP 401/403, close code 4401/4403, Phoenix join error)."""


class FeedUnavailable(FeedError):
    """The server exists but will never serve this request (wrong path, gone)."""


class FeedConnectionError(FeedError):
    """A transient failure: the client reconnects with backoff and resumes."""
