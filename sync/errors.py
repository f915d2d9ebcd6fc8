"""Sync exception tree; the outbox decides retry or dead from the type alone.

SyncError
├── Retryable            try again later (backoff)
│   ├── RateLimited      HTTP 429 / provider quota; carries retry_after_s
│   ├── ServerError      HTTP 5xx
│   └── NetworkError     timeout, refused, DNS, TLS
└── Permanent            retrying will not help; job goes dead with a message
    ├── AuthRevoked      401 after one refresh, or a revoked grant: re-authorize
    ├── AppInactive      Strava 403 Application/Status/Inactive
    ├── Rejected         the remote refused the content (4xx, processing error)
    │   └── NotFound     HTTP 404: the remote object does not exist (or is not visible)
    └── Uncertain        a non-idempotent request may or may not have taken effect; a
                         person must look before it is retried (never a silent duplicate)
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every sync failure; messages never contain tokens or secrets."""


class Retryable(SyncError):
    """Transient: the outbox reschedules with backoff."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimited(Retryable):
    """The provider asked us to slow down."""


class ServerError(Retryable):
    """The provider failed (5xx)."""


class NetworkError(Retryable):
    """We could not reach the provider.

    `request_sent` is False when the connection was never made (nothing can have happened
    remotely), True when the request may have arrived (a timeout after sending).
    """

    request_sent: bool = True


class Permanent(SyncError):
    """Not worth retrying; the job is marked dead and the user sees why."""


class AuthRevoked(Permanent):
    """The account must be authorized again."""


class AppInactive(Permanent):
    """The user's Strava API application is inactive (403 Application/Status/Inactive)."""


class Rejected(Permanent):
    """The remote refused the content."""


class NotFound(Rejected):
    """The remote object does not exist (or the token may not see it)."""


class Uncertain(Permanent):
    """A request that cannot be deduplicated may have succeeded; retrying could duplicate it."""
