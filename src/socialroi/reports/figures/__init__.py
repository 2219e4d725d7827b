"""Report figures: each `make_*` takes frames from the analysis and returns a `go.Figure`.

Nothing here writes files or shows figures; `socialroi.reports.html` turns them into the report.
Every string from data is escaped for Plotly (see `socialroi.reports._format.plotly_text`).
"""

from __future__ import annotations

from socialroi.reports.figures._common import CONFIG
from socialroi.reports.figures._content import make_campaign_bars, make_funnel
from socialroi.reports.figures._models import make_models_heatmap
from socialroi.reports.figures._network import make_giver_scatter, make_influence_bars
from socialroi.reports.figures._quality import make_match_rate
from socialroi.reports.figures._roi import make_roi_bars
from socialroi.reports.figures._trend import make_monthly_trend

__all__ = [
    "CONFIG",
    "make_campaign_bars",
    "make_funnel",
    "make_giver_scatter",
    "make_influence_bars",
    "make_match_rate",
    "make_models_heatmap",
    "make_monthly_trend",
    "make_roi_bars",
]
