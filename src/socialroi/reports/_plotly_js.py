"""The plotly.js the report embeds: a partial bundle with only the trace types the report draws.

`assets/` holds the bundle, plotly.js's licence (PLOTLY_LICENSE) and `plotly-bundle.json` (the
plotly.js version, the trace types, the file's name and sha256, and how it was built). The bundle
is built by ``scripts/build-plotly-bundle`` (``make plotly-bundle``) from the npm packages pinned
in ``scripts/plotly-bundle/package-lock.json``; a figure with another trace type needs that trace
type added to ``scripts/plotly-bundle/index.js`` and the bundle rebuilt.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

ASSETS: Traversable = files("socialroi.reports") / "assets"
INFO = "plotly-bundle.json"


@cache
def bundle_info() -> dict[str, Any]:
    """`plotly-bundle.json`: plotly.js version, traces, file, bytes, sha256, build command."""
    info: dict[str, Any] = json.loads((ASSETS / INFO).read_text(encoding="utf-8"))
    return info


@cache
def plotly_js() -> str:
    """The bundle's source, to inline in a ``<script>`` element."""
    name: str = bundle_info()["file"]
    return (ASSETS / name).read_text(encoding="utf-8")


__all__ = ["bundle_info", "plotly_js"]
