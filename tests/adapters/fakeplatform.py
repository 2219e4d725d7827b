"""A small platform module for framework tests: registered as "fake" by the `fake_platform` fixture.

Its API (served by the FakeServer) has `GET /me`, paged `GET /posts?since_id=&page=` returning
`{"items": [{"id", "text", "created_at"}], "next": "<page>"}` oldest first, and `GET /metrics`
returning `{"items": [{"id", "likes"}]}`. Its rate-limit rule reads `X-Fake-Reset` (seconds) on a
429 and `X-Fake-Remaining: 0` (slow down) on any answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import polars as pl
import requests

from socialroi.adapters._http import Signal
from socialroi.adapters.base import AdapterContext, Batch, Stream
from socialroi.adapters.registry import snapshot_time

PLATFORM = "fake"
DEFAULTS: dict[str, Any] = {"base_url": "https://api.fake.example", "account": "acme"}
SECRETS = ("token",)
INIT_TEMPLATE = """[platforms.fake]
# account = "acme"        # the account to pull
# base_url = "https://api.fake.example"
# Secret: SOCIALROI_FAKE_TOKEN
"""


def RATE_LIMIT(response: requests.Response, now: datetime) -> Signal | None:  # noqa: N802
    reset = float(response.headers.get("X-Fake-Reset", "0") or 0)
    if response.status_code == 429 and "X-Fake-Reset" in response.headers:
        return Signal(wait=reset, retry=True, reason=f"fake: 429, resets in {reset:g}s")
    if response.headers.get("X-Fake-Remaining") == "0":
        return Signal(wait=reset, retry=False, reason="fake: quota spent, slowing down")
    return None


class FakeAdapter:
    platform: str = PLATFORM
    streams: tuple[Stream, ...] = (
        Stream("posts", ("accounts", "posts"), incremental=True),
        Stream("metrics", ("post_metrics",), incremental=False),
    )

    def __init__(self, ctx: AdapterContext) -> None:
        self.ctx = ctx
        self.platform = ctx.platform  # registered under a second name in some tests

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.ctx.secrets.get('token')}"}

    def check(self) -> str:
        me = self.ctx.http.get_json("/me", headers=self._headers())
        return f"@{me['handle']}"

    def fetch(
        self, stream: str, *, since: datetime | None, state: Mapping[str, Any] | None
    ) -> Iterator[Batch]:
        if stream == "posts":
            yield from self._posts(state)
        elif stream == "metrics":
            yield from self._metrics()
        else:  # pragma: no cover
            raise ValueError(stream)

    def _posts(self, state: Mapping[str, Any] | None) -> Iterator[Batch]:
        since_id = int(state["since_id"]) if state else 0
        account = str(self.ctx.options["account"])
        yield Batch(
            {"accounts": pl.DataFrame({"platform": [self.platform], "account_id": [account]})},
            cursor=None,
        )
        page: str | None = "1"
        top = since_id
        while page:
            body = self.ctx.http.get_json(
                "/posts", params={"since_id": since_id, "page": page}, headers=self._headers()
            )
            items = body.get("items") or []
            rows = [
                {
                    "platform": self.platform,
                    "post_id": str(i["id"]),
                    "account_id": account,
                    "created_at": datetime.fromisoformat(i["created_at"]),
                    "text": i.get("text"),
                }
                for i in items
            ]
            top = max([top, *(int(i["id"]) for i in items)])
            df = pl.DataFrame(rows) if rows else pl.DataFrame()
            yield Batch({"posts": df} if rows else {}, cursor={"since_id": top})
            page = body.get("next")

    def _metrics(self) -> Iterator[Batch]:
        body = self.ctx.http.get_json("/metrics", headers=self._headers())
        day = snapshot_time(self.ctx.as_of)
        rows = [
            {"platform": self.platform, "post_id": str(i["id"]), "as_of": day, "likes": i["likes"]}
            for i in body.get("items") or []
        ]
        warnings = tuple(str(w) for w in body.get("warnings") or ())
        yield Batch({"post_metrics": pl.DataFrame(rows)} if rows else {}, warnings=warnings)


def create(ctx: AdapterContext) -> FakeAdapter:
    return FakeAdapter(ctx)
