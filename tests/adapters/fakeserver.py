"""A loopback HTTP server that plays scripted replies, for fault injection through `base_url`.

    with FakeServer() as srv:
        srv.script("GET", "/2/users/1/tweets", Reply(503), Reply(200, body={"data": []}))
        ctx = make_context("x", {"base_url": srv.url})

Each route holds a queue of replies; each request takes the next one and the last one repeats.
A reply can set status, headers, a body (bytes, text or JSON), a delay before answering (to force
client timeouts) and a dropped connection (before the answer, or half-way through the body).
Routes may require query parameters (`query={"pagination_token": "p2"}`); the most specific
matching route wins. Every request is recorded in `srv.requests`. A request no route matches goes
to `route(seen)` when one is given (`FakeServer(route=...)`), else it answers 404.

It binds 127.0.0.1 only, answers at most `max_requests` requests (then 599s) and shuts itself
down after `lifetime` seconds even if a test forgets to.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None  # bytes, str, or anything JSON-serialisable
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    drop: str | None = None  # "before": close without answering; "mid-body": half the body

    def payload(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class _Route:
    method: str
    path: str
    query: dict[str, str]
    replies: deque[Reply]

    def matches(self, method: str, path: str, query: dict[str, str]) -> bool:
        return (
            self.method == method
            and self.path == path
            and all(query.get(k) == v for k, v in self.query.items())
        )

    def next(self) -> Reply:
        return self.replies.popleft() if len(self.replies) > 1 else self.replies[0]


#: Answers a request no scripted route matches; None answers 404.
Route = Callable[[Seen], Reply | None]


class FakeServer:
    #: How the server names itself in its budget-exhausted answer.
    label = "fake server"

    def __init__(
        self, *, max_requests: int = 500, lifetime: float = 60.0, route: Route | None = None
    ) -> None:
        self.route = route
        self.routes: list[_Route] = []
        self.requests: list[Seen] = []
        self.max_requests = max_requests
        self.lifetime = lifetime
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    # -- scripting ---------------------------------------------------------------------------
    def script(
        self, method: str, path: str, *replies: Reply, query: dict[str, str] | None = None
    ) -> Self:
        if not replies:
            raise ValueError("a route needs at least one reply")
        with self._lock:
            self.routes.append(_Route(method.upper(), path, dict(query or {}), deque(replies)))
        return self

    def calls(self, path: str | None = None) -> list[Seen]:
        return [r for r in self.requests if path is None or r.path == path]

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> Self:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: without TCP_NODELAY each answer waits some
            # 40 ms for the client's delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                try:
                    owner._serve(self)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up first
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._timer = threading.Timer(self.lifetime, self._server.shutdown)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- serving -----------------------------------------------------------------------------
    def _scripted(self, seen: Seen) -> Reply | None:
        """The scripted reply for `seen` (called under the lock); None: no route matches."""
        candidates = [r for r in self.routes if r.matches(seen.method, seen.path, seen.query)]
        route = max(candidates, key=lambda r: len(r.query)) if candidates else None
        return route.next() if route is not None else None

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        seen = Seen(
            h.command, parts.path, query, {k.lower(): v for k, v in h.headers.items()}, body
        )
        with self._lock:
            self.requests.append(seen)
            over = len(self.requests) > self.max_requests
            reply = self._scripted(seen)
        if over:
            reply = Reply(599, {"error": f"{self.label} request budget exhausted"})
        elif reply is None and self.route is not None:
            reply = self.route(seen)
        if reply is None:
            reply = Reply(404, {"error": f"no scripted reply for {h.command} {parts.path}"})
        if reply.delay:
            time.sleep(reply.delay)
        data = reply.payload()
        if reply.drop == "before":
            _drop(h)
            return
        h.send_response(reply.status)
        headers = {"Content-Type": "application/json", **reply.headers}
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if reply.drop == "mid-body":
            h.wfile.write(data[: max(1, len(data) // 2)])
            h.wfile.flush()
            _drop(h)
            return
        h.wfile.write(data)


def _drop(h: BaseHTTPRequestHandler) -> None:
    h.close_connection = True
    with contextlib.suppress(OSError):
        h.connection.shutdown(socket.SHUT_RDWR)
