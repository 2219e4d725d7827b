"""Replaying a `socialroi doctor --record` file (see docs/adapters.md, "Recording a real account").

    from tests.adapters.replay import serve_recording, add_recording

    with FakeServer() as srv:             # the loopback server: base_url = srv.url
        doc = serve_recording(srv, "bug/facebook.json")
    with responses.RequestsMock() as rsps:  # or responses: base_url = doc["base_url"]
        doc = add_recording(rsps, "bug/facebook.json")

Both register the recorded answers in order (the same request asked twice gets the next answer)
and match the recorded query parameters, ignoring the scrubbed ones (value `***`, such as
`access_token` and `appsecret_proof`, which the replaying adapter sends with its own values).
Run the adapter with `doc["options"]` and `doc["as_of"]`: its requests are then the recorded ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import responses
from responses import matchers

from socialroi.adapters.recording import MASK, load
from tests.adapters.fakeserver import FakeServer, Reply


def _query(url: str) -> dict[str, str]:
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    return {k: v for k, v in pairs if v != MASK}


def serve_recording(srv: FakeServer, path: str | Path) -> dict[str, Any]:
    """Script `srv` with the recording's answers; returns the recording."""
    doc = load(path)
    routes: dict[tuple[str, str, str], list[Reply]] = {}
    for entry in doc["responses"]:
        rsp = entry["response"]
        query = _query(rsp["url"])
        key = (rsp["method"], urlsplit(rsp["url"]).path, json.dumps(query, sort_keys=True))
        headers = {"Content-Type": rsp["content_type"], **rsp.get("headers", {})}
        routes.setdefault(key, []).append(Reply(rsp["status"], rsp["body"], headers))
    for (method, route, params), replies in routes.items():
        srv.script(method, route, *replies, query=json.loads(params))
    return doc


def add_recording(rsps: responses.RequestsMock, path: str | Path) -> dict[str, Any]:
    """Register the recording's answers with `rsps`; returns the recording.

    A recording whose URLs carry no scrubbed parameter also loads with `rsps._add_from_file`.
    """
    doc = load(path)
    for entry in doc["responses"]:
        rsp = entry["response"]
        url = rsp["url"].split("?", 1)[0]
        headers = rsp.get("headers", {})
        rsps.add(
            rsp["method"],
            url,
            body=rsp["body"],
            status=rsp["status"],
            headers={k: v for k, v in headers.items() if k.lower() != "content-type"},
            content_type=rsp["content_type"],
            match=[matchers.query_param_matcher(_query(rsp["url"]), strict_match=False)],
        )
    return doc
