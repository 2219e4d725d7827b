"""A loopback HTTP server that answers through a routing function, for whole-pipeline tests.

    with Loopback(route) as srv:          # route(seen) -> Reply | None (None: 404)
        srv.fail("/crm/", Reply(500))      # every path under /crm/ answers 500 until cleared
        srv.fail("/rest/posts", Reply(500), query={"start": "2"})   # only the second page
        ...

It is the adapter tests' scripted server (tests/adapters/fakeserver.py) with no scripted routes:
the same loopback binding, request budget, lifetime and recording, every answer from `route`
except where a fault is set.
"""

from __future__ import annotations

from tests.adapters.fakeserver import FakeServer, Reply, Route, Seen


class Loopback(FakeServer):
    label = "loopback"

    def __init__(self, route: Route, *, max_requests: int = 2000, lifetime: float = 120.0) -> None:
        super().__init__(max_requests=max_requests, lifetime=lifetime, route=route)
        self.faults: list[tuple[str, dict[str, str], Reply]] = []

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

    def _scripted(self, seen: Seen) -> Reply | None:
        """The first fault set for `seen`'s path and query (called under the lock)."""
        for prefix, query, reply in self.faults:
            if seen.path.startswith(prefix) and all(
                seen.query.get(k) == v for k, v in query.items()
            ):
                return reply
        return None
