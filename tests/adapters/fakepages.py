"""The fake platform's posts, two pages of them, as the loopback server serves them."""

from __future__ import annotations

from typing import Any

from tests.adapters.fakeserver import FakeServer, Reply

PAGE_1 = {
    "items": [
        {"id": 1, "text": "one", "created_at": "2026-11-01T10:00:00+00:00"},
        {"id": 2, "text": "two", "created_at": "2026-11-02T10:00:00+00:00"},
    ],
    "next": "2",
}
PAGE_2 = {"items": [{"id": 3, "text": "three", "created_at": "2026-11-03T10:00:00+00:00"}]}


def serve_pages(srv: FakeServer, metrics: dict[str, Any], *page_2: Reply) -> None:
    """Script both post pages (`page_2`: the replies for page 2, by default PAGE_2) and metrics."""
    srv.script("GET", "/posts", Reply(200, PAGE_1), query={"page": "1"})
    srv.script("GET", "/posts", *(page_2 or (Reply(200, PAGE_2),)), query={"page": "2"})
    srv.script("GET", "/metrics", Reply(200, metrics))
