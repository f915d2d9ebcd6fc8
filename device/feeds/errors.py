"""Typed feed errors; messages never contain a token or a URL query string.

FeedError
 +-- FeedAuthError          the server refused the token: do not retry, tell the user
 |    +-- FeedCertificateError   the server's certificate is not the pinned one: the token
 |                               was not sent; do not retry
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


class FeedCertificateError(FeedAuthError):
    """The server's TLS certificate does not match the pinned fingerprint (token not sent)."""
