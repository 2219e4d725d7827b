"""Reports: Plotly figures built from the analysis, one self-contained HTML file, and exports.

`write_report(store, out, settings=...)` is the whole pipeline: analyse the store, build the
figures, render the document and write it atomically.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import plotly.graph_objects as go

from socialroi.analysis import analyze, read_tables
from socialroi.config import Settings
from socialroi.core.kpis import Analysis
from socialroi.core.period import Period
from socialroi.reports._policy_block import policy_block
from socialroi.reports.figures import (
    make_campaign_bars,
    make_funnel,
    make_giver_scatter,
    make_influence_bars,
    make_match_rate,
    make_models_heatmap,
    make_monthly_trend,
    make_roi_bars,
)
from socialroi.reports.html import render_report, write_html
from socialroi.store import Store

REPORT_NAME = "socialroi-report.html"


def build_figures(a: Analysis) -> dict[str, go.Figure]:
    """Every figure the report shows, by section id (the policy section adds its own)."""
    period = (a.period.start, a.period.end) if a.period else None
    return {
        "models": make_models_heatmap(a.models, currency=a.currency, highlight=a.model),
        "platforms": make_roi_bars(a.roi_platform, key="platform", currency=a.currency),
        "employees": make_roi_bars(
            a.roi_employee, key="employee", label="name", currency=a.currency
        ),
        "campaigns": make_campaign_bars(a.campaigns, currency=a.currency),
        "funnel": make_funnel(a.funnel, currency=a.currency),
        "trend": make_monthly_trend(
            a.monthly, a.policy_periods, currency=a.currency, period=period
        ),
        "influence": make_influence_bars(a.network.influence),
        "givers": make_giver_scatter(a.network.givers),
        "quality": make_match_rate(a.quality.match_rate),
    }


def report_path(out: Path) -> Path:
    """`out` itself for a file name; `out`/socialroi-report.html for a folder (an existing one,
    or a path without a suffix)."""
    return out / REPORT_NAME if out.is_dir() or not out.suffix else out


def write_report(
    store: Store,
    out: Path,
    *,
    settings: Settings,
    as_of: datetime | None = None,
    period: str | Period | None = None,
    redact: bool = False,
) -> Path:
    """Analyse `store` and write the HTML report to `out` (a file, or a folder to put it in).

    `period` (``last-month``, ``2026-10``, ``2026Q3``, ``FROM..TO``) limits the figures to the
    conversions and costs of that range; `redact` shows contacts under pseudonyms (see
    `socialroi.analysis.analyze`). Returns the path written.
    """
    tables = read_tables(store, redact=redact)
    analysis = analyze(
        store, settings=settings, as_of=as_of, period=period, redact=redact, tables=tables
    )
    policy = policy_block(tables, analysis, settings)
    figures = {**build_figures(analysis), **policy.figures}
    return write_html(render_report(analysis, figures, policy), report_path(Path(out)))


__all__ = ["REPORT_NAME", "build_figures", "report_path", "write_report"]
