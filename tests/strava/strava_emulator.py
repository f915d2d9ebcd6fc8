"""A Strava emulator: a real HTTP server on 127.0.0.1 that follows the published API.

Endpoints: OAuth authorize (redirects like Strava), token (authorization_code and
refresh_token grants, rotating refresh tokens), revoke (RFC 7009: HTTP Basic with the client
id and secret, a `token` field) and deauthorize (retired on 2027-06-01 by the emulator's
clock); API v3 /athlete,
/athlete/activities, /activities (create), /activities/{id} (get, put),
/activities/{id}/streams, /uploads and /uploads/{id} with asynchronous processing. Rate
limits per application in 15-minute and daily windows (overall and read) on the emulator's
clock, with the `X-RateLimit-*` / `X-ReadRateLimit-*` headers. Faults: injected status codes,
hangs (client timeouts), random chaos, token expiry, inactive apps, processing errors.

Tokens must travel in the Authorization header only (from 2027-06-01 Strava refuses others;
any request carrying one in its query or form is a violation at any date). Every API request
is checked against Strava's Swagger spec (parameter names, required ones,
enums, integer types, the PUT body's fields); violations are collected in `violations`.
"""

from __future__ import annotations

import base64
import email.parser
import gzip
import hashlib
import itertools
import json
import random
import re
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

SWAGGER = Path(__file__).resolve().parents[3] / "shared" / "reference" / "strava" / "swagger.json"

#: Strava retires POST /oauth/deauthorize and accepts tokens in headers only from then on.
CUTOVER_S = datetime(2027, 6, 1, tzinfo=UTC).timestamp()

PROCESSING = "Your activity is still being processed."
READY = "Your activity is ready."
ERROR = "There was an error processing your activity."

_TPX = "{http://www.garmin.com/xmlschemas/TrackPointExtension/v1}"
_TCX = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"
_AX = "{http://www.garmin.com/xmlschemas/ActivityExtension/v2}"


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Fault:
    """Answer `status` (or hang for `hang_s`) to matching requests, `times` times."""

    method: str
    path: str  # regex matched against the path
    status: int = 500
    times: int = 1
    hang_s: float = 0.0
    body: dict[str, Any] | None = None


@dataclass
class Spec:
    """The parts of swagger.json used to validate requests."""

    ops: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    updatable: set[str] = field(default_factory=set)
    sport_types: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path) -> Spec | None:
        if not path.is_file():
            return None
        raw = json.loads(path.read_text())
        spec = cls()
        for template, item in raw["paths"].items():
            regex = "^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$"
            for method, op in item.items():
                if method == "parameters":
                    continue
                params = {}
                for p in op.get("parameters", []):
                    if "$ref" in p:  # shared page/per_page parameters
                        p = raw["parameters"][p["$ref"].split("/")[-1]]
                    params[p["name"]] = p
                spec.ops[(method.upper(), regex)] = params
        flat = SWAGGER.with_name("swagger.flattened.obalunenko.json")
        if flat.is_file():
            defs = json.loads(flat.read_text())["definitions"]
            spec.updatable = set(defs["updatableActivity"]["properties"])
            spec.sport_types = set(defs["sportType"]["enum"])
        return spec

    def check(
        self, method: str, path: str, query: dict[str, list[str]], form: dict[str, Any], body: Any
    ) -> list[str]:
        """Violations of the spec by one request (empty list when it conforms)."""
        api_path = path.removeprefix("/api/v3")
        params = next(
            (p for (m, regex), p in self.ops.items() if m == method and re.match(regex, api_path)),
            None,
        )
        if params is None:
            return [f"{method} {api_path}: not an operation of the spec"]
        problems = []
        given = {**{k: v[0] for k, v in query.items()}, **form}
        for name, p in params.items():
            if p.get("in") in ("query", "formData") and p.get("required") and name not in given:
                problems.append(f"{method} {api_path}: missing required {name}")
        for name, value in given.items():
            p = params.get(name)
            if p is None or p.get("in") not in ("query", "formData"):
                problems.append(f"{method} {api_path}: unknown parameter {name}")
                continue
            if p.get("type") == "integer" and not re.fullmatch(r"-?\d+", str(value)):
                problems.append(f"{method} {api_path}: {name}={value!r} is not an integer")
            if p.get("enum") and value not in p["enum"]:
                problems.append(f"{method} {api_path}: {name}={value!r} not in enum")
            if p.get("type") == "array":
                allowed = set(p.get("items", {}).get("enum") or [])
                bad = [v for v in str(value).split(",") if allowed and v not in allowed]
                if bad:
                    problems.append(f"{method} {api_path}: {name} has unknown items {bad}")
        if method == "PUT" and body is not None and self.updatable:
            if not isinstance(body, dict):
                problems.append(f"PUT {api_path}: body is not an object")
            else:
                for key in set(body) - self.updatable:
                    problems.append(f"PUT {api_path}: {key} is not in updatableActivity")
                st = body.get("sport_type")
                if st is not None and st not in self.sport_types:
                    problems.append(f"PUT {api_path}: sport_type {st!r} not in sportType")
        if method == "POST" and api_path == "/activities" and self.sport_types:
            st = form.get("sport_type")
            if st is not None and st not in self.sport_types:
                problems.append(f"POST /activities: sport_type {st!r} not in sportType")
        return problems


class StravaEmulator:
    """State plus a ThreadingHTTPServer; use as a context manager (see conftest)."""

    def __init__(self, clock: Callable[[], float] = time.time, seed: int = 0) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.apps: dict[str, dict[str, Any]] = {}
        self.athletes: dict[int, dict[str, Any]] = {}
        self.login_as: int | None = None
        self.deny_next = False
        self.untick: set[str] = set()  # scopes the user unticks on the consent page
        self.revoke_available = True  # False: POST /oauth/revoke not rolled out yet (404)
        self.basic_auth: list[str] = []  # client ids of each HTTP Basic revoke
        self.upload_sizes: list[tuple[str, int]] = []  # (data_type, bytes) of parsed uploads
        self.codes: dict[str, tuple[str, int, str]] = {}
        self.access: dict[str, dict[str, Any]] = {}
        self.refresh: dict[str, dict[str, Any]] = {}
        self.token_ttl_s = 6 * 3600.0
        self.activities: dict[int, dict[str, Any]] = {}
        self.uploads: dict[int, dict[str, Any]] = {}
        self.polls_to_ready = 1
        self.fail_processing: set[str] = set()  # external ids whose processing fails
        self.limits = {"overall": (600, 30000), "read": (300, 15000)}
        self.usage: dict[tuple[str, str, str], int] = {}
        self.faults: list[Fault] = []
        self.chaos_rate = 0.0
        self.chaos_statuses = (500, 503, 429)
        self.chaos_token = False  # chaos on POST /oauth/token (refreshes) too
        self.faulted: list[tuple[str, str]] = []  # (method, path) of each fault answered
        self.violations: list[str] = []
        self.requests: list[tuple[str, str]] = []
        self.count_429 = 0
        self.issued: list[str] = []  # every token ever handed out (tests grep for them)
        self.token_requests: list[str] = []  # grant_type of each /oauth/token call
        self.upload_posted = threading.Event()
        self.release_upload_post = threading.Event()
        self.release_upload_post.set()
        self.spec = Spec.load(SWAGGER)
        self._ids = itertools.count(9_000_000_001)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Set-up helpers ----------------------------------------------------------------------

    def add_app(self, client_id: str = "4242", secret: str = "app-secret-xyz") -> tuple[str, str]:
        self.apps[client_id] = {"secret": secret, "active": True}
        return client_id, secret

    def add_athlete(self, athlete_id: int, firstname: str, lastname: str = "") -> int:
        self.athletes[athlete_id] = {"firstname": firstname, "lastname": lastname}
        return athlete_id

    def _new_id(self) -> int:
        return next(self._ids)

    def _issue(self, client_id: str, athlete_id: int, scope: str) -> dict[str, Any]:
        access = (
            "acc-"
            + hashlib.sha256(f"{self._new_id()}{self.rng.random()}".encode()).hexdigest()[:32]
        )
        refresh = (
            "ref-"
            + hashlib.sha256(f"{self._new_id()}{self.rng.random()}".encode()).hexdigest()[:32]
        )
        expires_at = int(self.clock() + self.token_ttl_s)
        grant = {"client_id": client_id, "athlete_id": athlete_id, "scope": scope}
        self.access[access] = {**grant, "expires_at": expires_at}
        self.refresh[refresh] = grant
        self.issued.extend([access, refresh])
        return {
            "token_type": "Bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_at": expires_at,
            "expires_in": int(self.token_ttl_s),
        }

    def grant(self, client_id: str, athlete_id: int, scope: str) -> dict[str, Any]:
        """Tokens as if the athlete had authorized (tests that skip the browser step)."""
        with self.lock:
            return self._issue(client_id, athlete_id, scope)

    def expire_tokens(self) -> None:
        with self.lock:
            for t in self.access.values():
                t["expires_at"] = 0

    def drop_access_tokens(self, athlete_id: int) -> None:
        """Access tokens die early (Strava can do that); refresh tokens still work."""
        with self.lock:
            for k in [k for k, v in self.access.items() if v["athlete_id"] == athlete_id]:
                del self.access[k]

    def revoke_all(self, athlete_id: int, client_id: str | None = None) -> None:
        with self.lock:
            for table in (self.access, self.refresh):
                for k in [
                    k
                    for k, v in table.items()
                    if v["athlete_id"] == athlete_id
                    and (client_id is None or v["client_id"] == client_id)
                ]:
                    del table[k]

    def _basic(self, header: str) -> str | None:
        """The client id of a valid `Authorization: Basic` header (id:secret), else None."""
        if not header.startswith("Basic "):
            return None
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        app = self.apps.get(client_id)
        return client_id if app is not None and app["secret"] == secret else None

    def add_activity(
        self,
        athlete_id: int,
        name: str,
        start: float,
        *,
        sport_type: str = "Run",
        elapsed: int = 1800,
        streams: dict[str, list[Any]] | None = None,
        manual: bool = False,
        external_id: str | None = None,
    ) -> int:
        """An activity that reached Strava from elsewhere (a watch, the website)."""
        with self.lock:
            aid = self._new_id()
            self.activities[aid] = {
                "athlete_id": athlete_id,
                "name": name,
                "sport_type": sport_type,
                "type": sport_type if sport_type in ("Run", "Ride", "Walk", "Swim") else "Workout",
                "start": start,
                "elapsed_time": elapsed,
                "distance": float((streams or {}).get("distance", [0.0])[-1] or 0.0),
                "external_id": external_id,
                "upload_id": None,
                "manual": manual,
                "trainer": False,
                "streams": streams or {},
                "description": None,
            }
            return aid

    def activities_of(self, athlete_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {"id": k, **v} for k, v in self.activities.items() if v["athlete_id"] == athlete_id
            ]

    def set_limits(self, overall: tuple[int, int], read: tuple[int, int]) -> None:
        self.limits = {"overall": overall, "read": read}

    def inject(
        self,
        method: str,
        path: str,
        status: int = 500,
        times: int = 1,
        hang_s: float = 0.0,
        body: dict[str, Any] | None = None,
    ) -> None:
        with self.lock:
            self.faults.append(Fault(method, path, status, times, hang_s, body))

    # Server --------------------------------------------------------------------------------

    def __enter__(self) -> StravaEmulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes; without this, Nagle plus the
                # client's delayed ACK add ~40 ms to every response.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _dispatch(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload, headers = emulator.handle(
                    self.command, self.path, dict(self.headers.items()), body
                )
                if status == 0:  # a hang fault: drop the connection without answering
                    self.close_connection = True
                    return
                if status in (301, 302):
                    self.send_response(status)
                    self.send_header("Location", payload)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _dispatch  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release_upload_post.set()
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/v3"

    @property
    def oauth_url(self) -> str:
        return self.base_url + "/oauth"

    # Request handling ------------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        url = urlparse(raw_path)
        path, query = url.path, parse_qs(url.query)
        headers = {k.lower(): v for k, v in headers.items()}
        form, files = self._form(headers.get("content-type", ""), body)
        json_body = None
        if headers.get("content-type", "").startswith("application/json") and body:
            json_body = json.loads(body)
        misplaced = [
            k
            for k in ("access_token", "refresh_token", "token")
            if k in query or (k in form and path not in ("/oauth/token", "/oauth/revoke"))
        ]
        hang = 0.0
        with self.lock:
            if misplaced:
                self.violations.append(f"{method} {path}: {misplaced} outside the headers")
            self.requests.append((method, path))
            fault = self._fault(method, path)
            if fault is not None:
                self.faulted.append((method, path))
            if fault is not None and fault.hang_s:
                hang = fault.hang_s
            elif fault is not None:
                return fault.status, fault.body or {"message": "Injected fault", "errors": []}, {}
            if (
                self.chaos_token
                and self.chaos_rate
                and path == "/oauth/token"
                and self.rng.random() < self.chaos_rate
            ):
                self.faulted.append((method, path))
                return self.rng.choice((500, 503)), {"message": "Chaos", "errors": []}, {}
        if hang:
            time.sleep(hang)
            return 0, None, {}
        if path.startswith("/oauth/"):
            with self.lock:
                return self._oauth(method, path, query, form, headers)
        if not path.startswith("/api/v3/"):
            return 404, {"message": "Resource Not Found", "errors": []}, {}
        if self.spec is not None:
            problems = self.spec.check(method, path, query, form, json_body)
            with self.lock:
                self.violations.extend(problems)
        with self.lock:
            auth = headers.get("authorization", "")
            token = self.access.get(auth.removeprefix("Bearer ").strip())
            if token is None or token["expires_at"] <= self.clock():
                return (
                    401,
                    {
                        "message": "Authorization Error",
                        "errors": [
                            {"resource": "Athlete", "field": "access_token", "code": "invalid"}
                        ],
                    },
                    {},
                )
            app = self.apps[token["client_id"]]
            if not app["active"]:
                return (
                    403,
                    {
                        "message": "Forbidden",
                        "errors": [
                            {"resource": "Application", "field": "Status", "code": "Inactive"}
                        ],
                    },
                    {},
                )
            limited, rate_headers = self._count(token["client_id"], method == "GET")
            if limited:
                self.count_429 += 1
                return (
                    429,
                    {
                        "message": "Rate Limit Exceeded",
                        "errors": [
                            {"resource": "Application", "field": "rate limit", "code": "exceeded"}
                        ],
                    },
                    rate_headers,
                )
            if self.chaos_rate and self.rng.random() < self.chaos_rate:
                self.faulted.append((method, path))
                status = self.rng.choice(self.chaos_statuses)
                if status == 429:
                    self.count_429 += 1
                return status, {"message": "Chaos", "errors": []}, rate_headers
        if method == "POST" and path == "/api/v3/uploads":
            status, payload = self._post_upload(token, form, files)
            self.upload_posted.set()
            self.release_upload_post.wait(30)  # a test may hold the reply (kill the worker)
            return status, payload, rate_headers
        with self.lock:
            try:
                status, payload = self._api(
                    method, path.removeprefix("/api/v3"), token, query, form, json_body
                )
            except (KeyError, ValueError, TypeError) as exc:  # what Strava calls a bad request
                status, payload = (
                    400,
                    {
                        "message": "Bad Request",
                        "errors": [
                            {"resource": "Request", "field": str(exc)[:40], "code": "invalid"}
                        ],
                    },
                )
        return status, payload, rate_headers

    @staticmethod
    def _form(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
        if content_type.startswith("application/x-www-form-urlencoded"):
            return {k: v[0] for k, v in parse_qs(body.decode()).items()}, {}
        if content_type.startswith("multipart/form-data"):
            msg = email.parser.BytesParser().parsebytes(
                b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
            )
            form: dict[str, Any] = {}
            files: dict[str, bytes] = {}
            for part in msg.get_payload():
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True) or b""
                if part.get_param("filename", header="content-disposition") is not None:
                    files[name] = data
                    form[name] = "<file>"
                else:
                    form[name] = data.decode()
            return form, files
        return {}, {}

    def _fault(self, method: str, path: str) -> Fault | None:
        for f in self.faults:
            if f.times > 0 and f.method in (method, "*") and re.search(f.path, path):
                f.times -= 1
                return f
        return None

    def _count(self, client_id: str, is_read: bool) -> tuple[bool, dict[str, str]]:
        now = self.clock()
        quarter, day = str(int(now // 900)), str(int(now // 86400))
        kinds = ["overall", "read"] if is_read else ["overall"]

        def used(kind: str) -> tuple[int, int]:
            return (
                self.usage.get((client_id, kind, quarter), 0),
                self.usage.get((client_id, kind, day), 0),
            )

        limited = False
        for kind in kinds:
            u15, uday = used(kind)
            l15, lday = self.limits[kind]
            if u15 >= l15 or uday >= lday:
                limited = True
        if not limited:
            for kind in kinds:
                for window in (quarter, day):
                    key = (client_id, kind, window)
                    self.usage[key] = self.usage.get(key, 0) + 1
        headers = {}
        for kind, prefix in (("overall", "X-RateLimit"), ("read", "X-ReadRateLimit")):
            l15, lday = self.limits[kind]
            u15, uday = used(kind)
            headers[f"{prefix}-Limit"] = f"{l15},{lday}"
            headers[f"{prefix}-Usage"] = f"{u15},{uday}"
        return limited, headers

    # OAuth -----------------------------------------------------------------------------------

    def _oauth(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        form: dict[str, Any],
        headers: dict[str, str],
    ) -> tuple[int, Any, dict[str, str]]:
        bad = {"message": "Bad Request", "errors": []}
        if method == "GET" and path == "/oauth/authorize":
            q = {k: v[0] for k, v in query.items()}
            redirect = q.get("redirect_uri", "")
            if q.get("client_id") not in self.apps or q.get("response_type") != "code":
                return (
                    400,
                    {
                        **bad,
                        "errors": [
                            {"resource": "Application", "field": "client_id", "code": "invalid"}
                        ],
                    },
                    {},
                )
            if not redirect.startswith("http://127.0.0.1:"):
                return (
                    400,
                    {
                        **bad,
                        "errors": [
                            {"resource": "Application", "field": "redirect_uri", "code": "invalid"}
                        ],
                    },
                    {},
                )
            if self.deny_next:
                self.deny_next = False
                return (
                    302,
                    f"{redirect}?"
                    + urlencode({"state": q.get("state", ""), "error": "access_denied"}),
                    {},
                )
            code = "code-" + str(self._new_id())
            assert self.login_as is not None, "set emulator.login_as before authorizing"
            requested = q.get("scope", "read").split(",")
            scope = ",".join(s for s in requested if s not in self.untick)
            self.codes[code] = (q["client_id"], self.login_as, scope)
            params = {"state": q.get("state", ""), "code": code, "scope": scope}
            return 302, f"{redirect}?{urlencode(params)}", {}
        if method == "POST" and path == "/oauth/token":
            self.token_requests.append(form.get("grant_type", ""))
            app = self.apps.get(form.get("client_id", ""))
            if app is None or app["secret"] != form.get("client_secret"):
                return (
                    401,
                    {
                        "message": "Bad Request",
                        "errors": [
                            {"resource": "Application", "field": "client_secret", "code": "invalid"}
                        ],
                    },
                    {},
                )
            if not app["active"]:
                return (
                    403,
                    {
                        "message": "Forbidden",
                        "errors": [
                            {"resource": "Application", "field": "Status", "code": "Inactive"}
                        ],
                    },
                    {},
                )
            if form.get("grant_type") == "authorization_code":
                found = self.codes.pop(form.get("code", ""), None)
                if found is None:
                    return (
                        400,
                        {
                            **bad,
                            "errors": [
                                {
                                    "resource": "AuthorizationCode",
                                    "field": "code",
                                    "code": "invalid",
                                }
                            ],
                        },
                        {},
                    )
                client_id, athlete_id, scope = found
                tokens = self._issue(client_id, athlete_id, scope)
                return (
                    200,
                    {**tokens, "athlete": {"id": athlete_id, **self.athletes[athlete_id]}},
                    {},
                )
            if form.get("grant_type") == "refresh_token":
                grant = self.refresh.pop(form.get("refresh_token", ""), None)  # rotation
                if grant is None:
                    return (
                        400,
                        {
                            **bad,
                            "errors": [
                                {
                                    "resource": "RefreshToken",
                                    "field": "refresh_token",
                                    "code": "invalid",
                                }
                            ],
                        },
                        {},
                    )
                return 200, self._issue(grant["client_id"], grant["athlete_id"], grant["scope"]), {}
            return 400, bad, {}
        if method == "POST" and path == "/oauth/revoke" and self.revoke_available:
            client = self._basic(headers.get("authorization", ""))
            if client is None:
                return (
                    401,
                    {
                        "message": "Authorization Error",
                        "errors": [
                            {"resource": "Application", "field": "client", "code": "invalid"}
                        ],
                    },
                    {},
                )
            self.basic_auth.append(client)
            value = form.get("token", "")
            grant = self.refresh.get(value) or self.access.get(value)
            if grant is not None and grant["client_id"] == client:
                self.revoke_all(grant["athlete_id"], client)
            return 200, {}, {}  # RFC 7009: an unknown token is not an error
        if method == "POST" and path == "/oauth/deauthorize" and self.clock() < CUTOVER_S:
            given = headers.get("authorization", "").removeprefix("Bearer ").strip()
            access = given or form.get("access_token", "")
            token = self.access.get(access)
            if token is None:
                return 401, {"message": "Authorization Error", "errors": []}, {}
            self.revoke_all(token["athlete_id"])
            return 200, {"access_token": access}, {}
        return 404, {"message": "Resource Not Found", "errors": []}, {}

    # API ---------------------------------------------------------------------------------------

    def summary(self, aid: int) -> dict[str, Any]:
        a = self.activities[aid]
        return {
            "id": aid,
            "resource_state": 2,
            "athlete": {"id": a["athlete_id"]},
            "name": a["name"],
            "distance": a["distance"],
            "moving_time": a["elapsed_time"],
            "elapsed_time": a["elapsed_time"],
            "total_elevation_gain": 0.0,
            "type": a["type"],
            "sport_type": a["sport_type"],
            "start_date": iso(a["start"]),
            "start_date_local": iso(a["start"]),
            "timezone": "(GMT+00:00) Africa/Abidjan",
            "trainer": a["trainer"],
            "commute": False,
            "manual": a["manual"],
            "private": False,
            "external_id": a["external_id"],
            "upload_id": a["upload_id"],
            "upload_id_str": None if a["upload_id"] is None else str(a["upload_id"]),
            "has_heartrate": bool(a["streams"].get("heartrate")),
        }

    def _api(
        self,
        method: str,
        path: str,
        token: dict[str, Any],
        query: dict[str, list[str]],
        form: dict[str, Any],
        body: Any,
    ) -> tuple[int, Any]:
        me = token["athlete_id"]
        scope = set(token["scope"].split(","))
        not_found = {
            "message": "Resource Not Found",
            "errors": [{"resource": "Activity", "field": "id", "code": "not found"}],
        }
        if method == "GET" and path == "/athlete":
            return 200, {"id": me, "resource_state": 3, **self.athletes[me]}
        if method == "GET" and path == "/athlete/activities":
            if not scope & {"activity:read", "activity:read_all"}:
                return 401, {
                    "message": "Authorization Error",
                    "errors": [
                        {
                            "resource": "AccessToken",
                            "field": "activity:read_permission",
                            "code": "missing",
                        }
                    ],
                }
            q = {k: v[0] for k, v in query.items()}
            after, before = q.get("after"), q.get("before")
            page, per_page = int(q.get("page", 1)), min(int(q.get("per_page", 30)), 200)
            mine = [
                (a["start"], k)
                for k, a in self.activities.items()
                if a["athlete_id"] == me
                and (after is None or a["start"] > int(after))
                and (before is None or a["start"] < int(before))
            ]
            mine.sort(reverse=after is None or before is not None)
            chunk = mine[(page - 1) * per_page : page * per_page]
            return 200, [self.summary(k) for _, k in chunk]
        m = re.fullmatch(r"/uploads/(\d+)", path)
        if method == "GET" and m:
            up = self.uploads.get(int(m.group(1)))
            if up is None or up["athlete_id"] != me:
                return 404, not_found
            up["polls"] += 1
            if up["polls"] < self.polls_to_ready:
                return 200, self._upload_body(int(m.group(1)), up, final=False)
            return 200, self._upload_body(int(m.group(1)), up, final=True)
        if method == "POST" and path == "/activities":
            if "activity:write" not in scope:
                return 401, {"message": "Authorization Error", "errors": []}
            aid = self._new_id()
            start = datetime.fromisoformat(form["start_date_local"].replace("Z", "+00:00"))
            if start.tzinfo is None:
                start = start.replace(tzinfo=UTC)
            self.activities[aid] = {
                "athlete_id": me,
                "name": form["name"],
                "sport_type": form["sport_type"],
                "type": form.get("type") or form["sport_type"],
                "start": start.timestamp(),
                "elapsed_time": int(form["elapsed_time"]),
                "distance": float(form.get("distance") or 0),
                "external_id": None,
                "upload_id": None,
                "manual": True,
                "trainer": form.get("trainer") == "1",
                "streams": {},
                "description": form.get("description"),
            }
            return 201, {**self.summary(aid), "resource_state": 3}
        m = re.fullmatch(r"/activities/(\d+)(/streams)?", path)
        if m:
            aid = int(m.group(1))
            a = self.activities.get(aid)
            if a is None or a["athlete_id"] != me:
                return 404, not_found
            if m.group(2):
                if a["manual"] or not a["streams"]:
                    return 404, not_found
                keys = query.get("keys", [""])[0].split(",") + ["time", "distance"]
                out = {}
                for k, data in a["streams"].items():
                    if k in keys and data:
                        out[k] = {
                            "data": data,
                            "series_type": "time",
                            "original_size": len(data),
                            "resolution": "high",
                        }
                return 200, out
            if method == "GET":
                return 200, {
                    **self.summary(aid),
                    "resource_state": 3,
                    "description": a["description"],
                }
            if method == "PUT":
                if "activity:write" not in scope:
                    return 401, {"message": "Authorization Error", "errors": []}
                for k in ("name", "sport_type", "type", "description", "trainer"):
                    if isinstance(body, dict) and k in body:
                        a[k] = body[k]
                return 200, {**self.summary(aid), "resource_state": 3}
        return 404, {"message": "Resource Not Found", "errors": []}

    def _upload_body(self, uid: int, up: dict[str, Any], final: bool) -> dict[str, Any]:
        done = final and up["error"] is None
        return {
            "id": uid,
            "id_str": str(uid),
            "external_id": up["external_id"],
            "error": up["error"] if final else None,
            "status": (READY if done else ERROR if final else PROCESSING),
            "activity_id": up["activity_id"] if done else None,
        }

    def _post_upload(
        self, token: dict[str, Any], form: dict[str, Any], files: dict[str, bytes]
    ) -> tuple[int, Any]:
        me = token["athlete_id"]
        if "activity:write" not in set(token["scope"].split(",")):
            return 401, {
                "message": "Authorization Error",
                "errors": [
                    {
                        "resource": "AccessToken",
                        "field": "activity:write_permission",
                        "code": "missing",
                    }
                ],
            }
        content = files.get("file")
        if content is None:
            return 400, {
                "message": "Bad Request",
                "errors": [{"resource": "Upload", "field": "file", "code": "empty"}],
            }
        ext = form.get("external_id") or f"{self._new_id()}.{form.get('data_type')}"
        with self.lock:
            uid = self._new_id()
            digest = hashlib.sha256(content).hexdigest()
            up = {
                "athlete_id": me,
                "external_id": ext,
                "error": None,
                "activity_id": None,
                "polls": 0,
                "digest": digest,
            }
            self.uploads[uid] = up
            dup = next(
                (
                    k
                    for k, a in self.activities.items()
                    if a["athlete_id"] == me
                    and (a["external_id"] == ext or a.get("digest") == digest)
                ),
                None,
            )
            if dup is not None:
                up["error"] = f"{ext} duplicate of activity {dup}"
            elif ext in self.fail_processing:
                up["error"] = "Improperly formatted data."
            else:
                try:
                    parsed = parse_file(content, form.get("data_type", ""))
                    self.upload_sizes.append((form.get("data_type", ""), len(content)))
                except Exception as exc:  # noqa: BLE001 - any parse failure is a bad file
                    up["error"] = f"Improperly formatted data. ({type(exc).__name__})"
                else:
                    aid = self._new_id()
                    self.activities[aid] = {
                        "athlete_id": me,
                        "name": form.get("name") or parsed["name"] or "Activity",
                        "sport_type": parsed["sport_type"],
                        "type": parsed["sport_type"],
                        "start": parsed["start"],
                        "elapsed_time": parsed["elapsed"],
                        "distance": parsed["distance"],
                        "external_id": ext,
                        "upload_id": uid,
                        "manual": False,
                        "trainer": form.get("trainer") == "1",
                        "streams": parsed["streams"],
                        "description": form.get("description"),
                        "digest": digest,
                        "data_type": form.get("data_type"),
                    }
                    up["activity_id"] = aid
            body = self._upload_body(uid, up, final=self.polls_to_ready == 0)
        return 201, body


def parse_file(content: bytes, data_type: str) -> dict[str, Any]:
    """Read a GPX or TCX upload the way Strava would (enough for the emulator)."""
    if data_type.endswith(".gz"):  # Strava takes fit.gz, tcx.gz and gpx.gz
        content = gzip.decompress(content)
        data_type = data_type.removesuffix(".gz")
    root = ET.fromstring(content)
    streams: dict[str, list[Any]] = {
        "time": [],
        "latlng": [],
        "heartrate": [],
        "cadence": [],
        "distance": [],
        "altitude": [],
        "watts": [],
    }
    times: list[float] = []
    if data_type == "gpx":
        ns = "{http://www.topografix.com/GPX/1/1}"
        name = root.findtext(f"{ns}trk/{ns}name")
        gtype = root.findtext(f"{ns}trk/{ns}type")
        sport = {
            "running": "Run",
            "cycling": "Ride",
            "walking": "Walk",
            "hiking": "Hike",
            "swimming": "Swim",
            "rowing": "Rowing",
        }.get(gtype or "", "Ride")
        for pt in root.iter(f"{ns}trkpt"):
            t = datetime.fromisoformat(pt.findtext(f"{ns}time").replace("Z", "+00:00"))
            times.append(t.timestamp())
            streams["latlng"].append([float(pt.get("lat")), float(pt.get("lon"))])
            hr = pt.findtext(f".//{_TPX}hr")
            cad = pt.findtext(f".//{_TPX}cad")
            streams["heartrate"].append(None if hr is None else int(hr))
            streams["cadence"].append(None if cad is None else int(cad))
    elif data_type == "tcx":
        act = root.find(f"{_TCX}Activities/{_TCX}Activity")
        name = act.findtext(f"{_TCX}Notes")
        sport = {"Running": "Run", "Biking": "Ride"}.get(act.get("Sport"), "Workout")
        for tp in root.iter(f"{_TCX}Trackpoint"):
            t = datetime.fromisoformat(tp.findtext(f"{_TCX}Time").replace("Z", "+00:00"))
            times.append(t.timestamp())
            hr = tp.findtext(f"{_TCX}HeartRateBpm/{_TCX}Value")
            cad = tp.findtext(f"{_TCX}Cadence") or tp.findtext(f".//{_AX}RunCadence")
            dist = tp.findtext(f"{_TCX}DistanceMeters")
            watts = tp.findtext(f".//{_AX}Watts")
            streams["heartrate"].append(None if hr is None else int(hr))
            streams["cadence"].append(None if cad is None else int(cad))
            streams["distance"].append(None if dist is None else float(dist))
            streams["watts"].append(None if watts is None else int(watts))
    else:
        raise ValueError(f"unsupported data_type {data_type!r}")
    if not times:
        raise ValueError("no track points")
    start = times[0]
    streams["time"] = [int(round(t - start)) for t in times]
    streams = {k: v for k, v in streams.items() if any(x is not None for x in v)}
    distance = float(next((d for d in reversed(streams.get("distance", [])) if d), 0.0))
    return {
        "name": name,
        "sport_type": sport,
        "start": start,
        "elapsed": int(round(times[-1] - start)) or 1,
        "distance": distance,
        "streams": streams,
    }
