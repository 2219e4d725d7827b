"""Reports: Plotly figures built from the analysis, one self-contained HTML file, and exports.

`write_report(analysis, out)` builds the figures of an `Analysis` (see `socialroi.analyze` and
`socialroi.core.kpis.compute`), renders the document and writes it atomically. It never opens the
store: the policy comparison is the caller's (`policy=`) or is simulated on the analysis' own
pipeline, from the `options` given (the CLI reads the policy file) or the built-in ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from socialroi.core.kpis import Analysis
from socialroi.reports._format import material_cost
from socialroi.reports._policy_block import REPORT_DRAWS, policy_block
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

if TYPE_CHECKING:
    from socialroi.policy import PolicyComparison
    from socialroi.policy.options import PolicyOption

REPORT_NAME = "socialroi-report.html"


def build_figures(a: Analysis) -> dict[str, go.Figure]:
    """Every figure the report shows, by section id (the policy section adds its own)."""
    period = (a.period.start, a.period.end) if a.period else None
    floor = material_cost(a.summary.cost)
    return {
        "models": make_models_heatmap(a.models, currency=a.currency, highlight=a.model),
        "platforms": make_roi_bars(
            a.roi_platform, key="platform", currency=a.currency, floor=floor
        ),
        "employees": make_roi_bars(
            a.roi_employee, key="employee", label="name", currency=a.currency, floor=floor
        ),
        "campaigns": make_campaign_bars(a.campaigns, currency=a.currency),
        "funnel": make_funnel(
            a.funnel,
            currency=a.currency,
            credited=a.summary.social_credited,
            sourced=a.summary.social_sourced,
        ),
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
    analysis: Analysis,
    out: Path,
    *,
    policy: PolicyComparison | None = None,
    options: Mapping[str, PolicyOption] | None = None,
    draws: int = REPORT_DRAWS,
) -> Path:
    """Write the HTML report of `analysis` to `out` (a file, or a folder to put it in).

    `policy` is a policy comparison the caller has already computed on ``analysis.pipeline``;
    without it the options (`options`, default: the built-in five) are simulated here with
    `draws` draws on that same pipeline. Returns the path written.
    """
    block = policy_block(analysis, comparison=policy, options=options, draws=draws)
    figures = {**build_figures(analysis), **block.figures}
    return write_html(render_report(analysis, figures, block), report_path(Path(out)))


__all__ = ["REPORT_NAME", "build_figures", "report_path", "write_report"]
