"""A loopback HTTP server that answers through a routing function, for whole-pipeline tests.

    with Loopback(route) as srv:          # route(seen) -> Reply | None (None: 404)
        srv.fail("/crm/", Reply(500))      # every path under /crm/ answers 500 until cleared
        srv.fail("/rest/posts", Reply(500), query={"start": "2"})   # only the second page
        ...

It binds 127.0.0.1 only, answers at most `max_requests` requests (then 599s) and shuts itself
down after `lifetime` seconds even if a test forgets to. Replies and `Seen` come from the adapter
tests' scripted server (tests/adapters/fakeserver.py), which routes by fixed replies only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.adapters.fakeserver import Reply, Seen

Route = Callable[[Seen], Reply | None]


class Loopback:
    def __init__(self, route: Route, *, max_requests: int = 2000, lifetime: float = 120.0) -> None:
        self.route = route
        self.max_requests = max_requests
        self.lifetime = lifetime
        self.requests: list[Seen] = []
        self.faults: list[tuple[str, dict[str, str], Reply]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail(self, prefix: str, reply: Reply, query: dict[str, str] | None = None) -> None:
        """Answer `reply` to every request whose path starts with `prefix` and whose query has
        `query`'s values (e.g. only the second page), until `clear`."""
        with self._lock:
            self.faults.append((prefix, dict(query or {}), reply))

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def paths(self, prefix: str = "/") -> list[str]:
        with self._lock:
            return [r.path for r in self.requests if r.path.startswith(prefix)]

    def __enter__(self) -> Loopback:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                try:
                    owner._serve(self)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up first
                    self.close_connection = True

            do_GET = do_POST = _handle  # noqa: N815

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
            fault = next(
                (
                    r
                    for p, q, r in self.faults
                    if parts.path.startswith(p) and all(query.get(k) == v for k, v in q.items())
                ),
                None,
            )
        reply: Reply | None
        if over:
            reply = Reply(599, {"error": "loopback request budget exhausted"})
        else:
            reply = fault or self.route(seen)
        if reply is None:
            reply = Reply(404, {"error": f"no route for {h.command} {parts.path}"})
        data = reply.payload()
        h.send_response(reply.status)
        for k, v in {"Content-Type": "application/json", **reply.headers}.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
