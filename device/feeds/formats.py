"""Wire formats the feed client speaks: Pulsedeck, Pulsoid real-time, HypeRate (Phoenix).

A format says how to authenticate, what to send after connecting, how to parse a message
(pure, never raising) and whether the server can resume after a cursor.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from app.domain.samples import RANGES, Sample
from app.domain.text import escape_controls

from .protocol import (
    MAX_EPOCH_MS,
    MAX_MESSAGE_BYTES,
    MIN_EPOCH_MS,
    WRONG_TYPE,
    Parsed,
    Reject,
    WireError,
    encode_subscribe,
    load_json,
    number_field,
    parse_message,
)

FORMATS = ("pulsedeck", "pulsoid", "hyperate")


def with_query(url: str, **params: str) -> str:
    """`url` with query parameters added or replaced."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))


def redact_url(url: str) -> str:
    """The URL without its query and credentials: safe for logs, the DB and messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class FeedFormat(Protocol):
    name: str
    #: Seconds between application-level heartbeats, or None.
    heartbeat_s: float | None
    #: True when the server speaks first (Pulsedeck's hello) and `opening` waits for it.
    hello_first: bool

    def request(self, url: str, token: str, token_in_query: bool) -> tuple[str, dict[str, str]]:
        """The URL to open and the headers to send (the token goes in exactly one of them)."""
        ...

    def opening(self, since: Mapping[str, int], default: int | None) -> list[str]:
        """Messages to send once the connection is open (after the hello, if any)."""
        ...

    def parse(self, raw: bytes | str, arrival_ms: int, max_bytes: int) -> Parsed:
        """One message -> samples, control items and rejects; never raises on bad input."""
        ...

    def heartbeat(self) -> str: ...


def _bearer(url: str, token: str, in_query: bool) -> tuple[str, dict[str, str]]:
    if in_query:
        return with_query(url, access_token=token), {}
    return url, {"Authorization": f"Bearer {token}"}


class PulsedeckFormat:
    """The Pulsedeck trace protocol (docs/trace-protocol.md)."""

    name = "pulsedeck"
    heartbeat_s: float | None = None
    hello_first = True

    def request(self, url: str, token: str, token_in_query: bool) -> tuple[str, dict[str, str]]:
        return _bearer(url, token, token_in_query)

    def opening(self, since: Mapping[str, int], default: int | None) -> list[str]:
        return [encode_subscribe(since, default)]

    def parse(
        self, raw: bytes | str, arrival_ms: int, max_bytes: int = MAX_MESSAGE_BYTES
    ) -> Parsed:
        return parse_message(raw, arrival_ms, max_bytes)

    def heartbeat(self) -> str:
        raise NotImplementedError


class PulsoidFormat:
    """Pulsoid's real-time feed: `{"measured_at": ms, "data": {"heart_rate": bpm}}`, one athlete."""

    name = "pulsoid"
    heartbeat_s: float | None = None
    hello_first = False

    def __init__(self, athlete: str = "pulsoid") -> None:
        self.athlete = athlete

    def request(self, url: str, token: str, token_in_query: bool) -> tuple[str, dict[str, str]]:
        return _bearer(url, token, token_in_query)

    def opening(self, since: Mapping[str, int], default: int | None) -> list[str]:
        return []

    def parse(
        self, raw: bytes | str, arrival_ms: int, max_bytes: int = MAX_MESSAGE_BYTES
    ) -> Parsed:
        try:
            msg = load_json(raw, max_bytes)
            if not isinstance(msg, dict):
                raise WireError(WRONG_TYPE, "a Pulsoid message must be an object")
            if "measured_at" not in msg or not isinstance(msg.get("data"), dict):
                raise WireError("missing-field", "Pulsoid message needs measured_at and data")
            t_ms = number_field(msg, "measured_at", True, MIN_EPOCH_MS, MAX_EPOCH_MS)
            data = msg["data"]
            if "heart_rate" not in data:
                raise WireError("missing-field", "Pulsoid data has no heart_rate")
            hr = number_field(data, "heart_rate", True, *RANGES["hr"])
        except WireError as exc:
            return Parsed(rejects=(Reject(exc.reason, exc.detail, self.athlete),))
        sample = Sample(t_ms=t_ms, hr=hr, received_ms=arrival_ms)
        return Parsed(samples=((self.athlete, sample),))

    def heartbeat(self) -> str:
        raise NotImplementedError


class HypeRateFormat:
    """HypeRate's Phoenix channel: join `hr:<id>`, read `hr_update` events, heartbeat every 10 s.

    HypeRate sends no device time, so a reading is stamped with its arrival time (nudged by
    1 ms when two arrive within the same millisecond, so none is mistaken for a duplicate).
    """

    name = "hyperate"
    hello_first = False
    #: HypeRate closes sockets that stay silent for about 30 s; its docs ask for 10 s.
    heartbeat_s: float | None = 10.0

    def __init__(self, remote_id: str) -> None:
        if not remote_id:
            raise ValueError("HypeRate needs the athlete's HypeRate id")
        self.remote_id = remote_id
        self.topic = f"hr:{remote_id}"
        self._refs = itertools.count(1)
        self._last_t = 0

    def request(self, url: str, token: str, token_in_query: bool) -> tuple[str, dict[str, str]]:
        return with_query(url, token=token), {}  # Phoenix sockets take the key as ?token=

    def _message(self, topic: str, event: str) -> str:
        return json.dumps(
            {"topic": topic, "event": event, "payload": {}, "ref": str(next(self._refs))}
        )

    def opening(self, since: Mapping[str, int], default: int | None) -> list[str]:
        return [self._message(self.topic, "phx_join")]

    def heartbeat(self) -> str:
        return self._message("phoenix", "heartbeat")

    def parse(
        self, raw: bytes | str, arrival_ms: int, max_bytes: int = MAX_MESSAGE_BYTES
    ) -> Parsed:
        try:
            msg = load_json(raw, max_bytes)
            if not isinstance(msg, dict):
                raise WireError(WRONG_TYPE, "a Phoenix message must be an object")
            event, topic = msg.get("event"), msg.get("topic")
            payload: Any = msg.get("payload")
            if not isinstance(payload, dict):
                shown = escape_controls(f"{event!s:.40}")
                raise WireError(WRONG_TYPE, f"{shown} payload must be an object")
            if event == "phx_reply":
                if topic == self.topic and payload.get("status") != "ok":
                    return Parsed(auth_failed=True, error=f"join {self.topic} refused")
                return Parsed()
            if event in ("phx_error", "phx_close") and topic == self.topic:
                return Parsed(error=f"channel {event}")
            if event != "hr_update":
                return Parsed()  # presence and other channel chatter
            if topic != self.topic:
                raise WireError("unknown-type", "hr_update for a channel we did not join")
            if "hr" not in payload:
                raise WireError("missing-field", "hr_update has no hr")
            if payload["hr"] == 0 and not isinstance(payload["hr"], bool):
                return Parsed(no_reading=1)
            hr = number_field(payload, "hr", True, *RANGES["hr"])
        except WireError as exc:
            return Parsed(rejects=(Reject(exc.reason, exc.detail, self.remote_id),))
        t_ms = max(arrival_ms, self._last_t + 1)
        self._last_t = t_ms
        sample = Sample(t_ms=t_ms, hr=hr, received_ms=arrival_ms)
        return Parsed(samples=((self.remote_id, sample),))


def make_format(name: str, remote_id: str | None = None) -> FeedFormat:
    """The format called `name`; `remote_id` names the athlete for single-athlete feeds."""
    if name == "pulsedeck":
        return PulsedeckFormat()
    if name == "pulsoid":
        return PulsoidFormat(remote_id or "pulsoid")
    if name == "hyperate":
        return HypeRateFormat(remote_id or "")
    raise ValueError(f"unknown feed format {name!r}; choose from {', '.join(FORMATS)}")
