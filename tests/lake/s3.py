"""S3 test helpers: a boto3 client for moto, listing keys, a fault-injecting proxy."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def boto(url: str):  # noqa: ANN201 - a plain boto3 client for test setup and inspection
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def all_keys(s3, bucket: str) -> list[str]:  # noqa: ANN001
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return sorted(keys)


@dataclass
class Faults:
    """What the proxy does to the next requests; changed by the test, read by the proxy."""

    fail_next: int = 0  # answer this many requests with `status` instead of forwarding
    status: int = 500
    fail_methods: tuple[str, ...] = ("GET", "PUT", "POST", "DELETE", "HEAD")
    cut_puts: int = 0  # cut this many PUTs mid-body and hang up without an answer
    puts_seen: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 forwarding to moto, failing requests on demand."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.faults = Faults()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        #: Called before forwarding each PUT; returning False drops the request unanswered.
        self.on_put: Callable[[], bool] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                f = proxy.faults
                length = int(self.headers.get("Content-Length") or 0)
                with f.lock:
                    f.requests.append((self.command, self.path))
                    fail = f.fail_next > 0 and self.command in f.fail_methods
                    if fail:
                        f.fail_next -= 1
                    cut = False
                    if self.command == "PUT":
                        f.puts_seen += 1
                        cut = f.cut_puts > 0
                        f.cut_puts -= cut
                if cut:
                    self.rfile.read(max(0, length // 2))  # half the body, then hang up
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if self.command == "PUT" and proxy.on_put is not None and not proxy.on_put():
                    self.close_connection = True
                    return
                body = self.rfile.read(length) if length else b""
                if fail:
                    payload = (
                        b"<?xml version='1.0'?><Error><Code>InternalError</Code>"
                        b"<Message>injected</Message></Error>"
                    )
                    self.send_response(f.status)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(proxy.upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle  # noqa: N815

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the listening socket: connections are refused until start() again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
