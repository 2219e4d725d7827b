"""Observed effects of past policy switches: interrupted time series and difference-in-differences.

`observe` reads the canonical tables (what ``Store.read_all()`` returns), builds the monthly
social outcomes (policy.outcomes), finds the dated switches in policy_periods (policy.switches)
and estimates, for each switch and each metric (leads, won deals, revenue, net value):

* ``its`` for a switch every team made: segmented regression of the company series over the
  pre-period and the window (policy.its), with a pre-trend test and a placebo switch halfway
  through the pre-period;
* ``did`` for a switch only some teams made: two-way fixed effects against the teams that kept
  their policy (policy.did), with a differential pre-trend test and a placebo the same way.

Where the data cannot carry an estimate — too few months before or after, too few events, no
comparison team — the row's verdict is ``too_thin``, the numbers are null and ``reason`` says why.
Pure: no files, no clock (``as_of`` is passed in).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import polars as pl

from socialroi.core.pipeline import Pipeline, first_incomplete_month
from socialroi.errors import ConfigError
from socialroi.policy import did, its
from socialroi.policy.outcomes import (
    COMPANY,
    METRICS,
    add_months,
    month_start,
    monthly_outcomes,
    months_between,
)
from socialroi.policy.switches import Switch, find_switches, policy_grid

#: What an estimate needs: months before and after the switch, and events in the series used.
ITS_MIN_BEFORE = 6
DID_MIN_BEFORE = 3
MIN_AFTER = 3
MIN_EVENTS = 10
MIN_PLACEBO_SIDE = {"its": 3, "did": 2}
MODELS: tuple[str, ...] = ("linear", "poisson")

ESTIMATE_SCHEMA: dict[str, pl.DataType] = {
    "switch_date": pl.Date(),
    "from_policy": pl.String(),
    "to_policy": pl.String(),
    "teams": pl.String(),
    "method": pl.String(),
    "metric": pl.String(),
    "effect": pl.Float64(),
    "low": pl.Float64(),
    "high": pl.Float64(),
    "months_before": pl.Int64(),
    "months_after": pl.Int64(),
    "pre_trend_p": pl.Float64(),
    "placebo_effect": pl.Float64(),
    "placebo_low": pl.Float64(),
    "placebo_high": pl.Float64(),
    "verdict": pl.String(),
    "reason": pl.String(),
}
SERIES_SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Date(),
    "teams": pl.String(),
    "metric": pl.String(),
    "switch_date": pl.Date(),
    "actual": pl.Float64(),
    "counterfactual": pl.Float64(),
    "low": pl.Float64(),
    "high": pl.Float64(),
}
_EVENTS = {"leads": "leads", "deals": "deals", "revenue": "deals", "net_value": "deals"}
_EVENT_WORDS = {"leads": "social leads", "deals": "won social deals"}


@dataclass(frozen=True)
class ObservedEffects:
    """One row per (switch, method, metric) in `estimates`; the monthly actual and counterfactual
    series behind them, for the before/after chart, in `series` (columns as ESTIMATE_SCHEMA and
    SERIES_SCHEMA)."""

    estimates: pl.DataFrame
    series: pl.DataFrame


def _months(tables: Mapping[str, pl.DataFrame], as_of: datetime) -> list[date]:
    """Complete months from the first with data (and a policy period) to the last before as_of."""
    firsts: list[date] = []
    for name, col in (("leads", "created_at"), ("sessions", "started_at"), ("costs", "month")):
        df = tables.get(name)
        if df is not None and df.height and col in df.columns:
            first = df.get_column(col).min()
            if isinstance(first, date):
                firsts.append(month_start(first))
    periods = tables.get("policy_periods")
    if not firsts or periods is None or periods.height == 0:
        return []
    first_period = periods.get_column("from").min()
    start = max(min(firsts), month_start(first_period)) if isinstance(first_period, date) else None
    return months_between(start, first_incomplete_month(as_of)) if start else []


def _teams_label(teams: tuple[str, ...], company_wide: bool) -> str:
    return COMPANY if company_wide else "+".join(teams)


def _row(sw: Switch, method: str, metric: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(ESTIMATE_SCHEMA)
    row.update(
        switch_date=sw.month,
        from_policy=sw.from_policy,
        to_policy=sw.to_policy,
        teams=_teams_label(sw.teams, sw.company_wide),
        method=method,
        metric=metric,
        months_before=sw.start - sw.pre_start,
        months_after=sw.stop - sw.start,
    )
    row.update(values)
    return row


def _thin(sw: Switch, method: str, metric: str, reason: str) -> dict[str, object]:
    return _row(sw, method, metric, verdict="too_thin", reason=reason)


def _months_text(n: int) -> str:
    return f"{n} month" if n == 1 else f"{n} months"


def _length_problem(sw: Switch, min_before: int) -> str | None:
    before, after = sw.start - sw.pre_start, sw.stop - sw.start
    if before < min_before:
        return f"{_months_text(before)} before the switch; at least {min_before} needed"
    if after < MIN_AFTER:
        return f"{_months_text(after)} after the switch; at least {MIN_AFTER} needed"
    return None


def _events_problem(counts: float, metric: str) -> str | None:
    if counts < MIN_EVENTS:
        words = _EVENT_WORDS[_EVENTS[metric]]
        return f"{counts:.0f} {words} in the months compared; at least {MIN_EVENTS} needed"
    return None


class _Outcomes:
    """The monthly outcomes as arrays: unit → metric → values over the month grid."""

    def __init__(self, frame: pl.DataFrame, months: list[date]) -> None:
        self.months = months
        self.month_of_year = np.array([m.month for m in months], dtype=np.int64)
        self._data: dict[tuple[str, str], np.ndarray] = {}
        for (unit, metric), part in frame.group_by("unit", "metric"):
            self._data[(str(unit), str(metric))] = part.sort("month")["value"].to_numpy()

    def get(self, unit: str, metric: str) -> np.ndarray:
        return self._data.get((unit, metric), np.zeros(len(self.months)))


def _series_rows(
    sw: Switch,
    metric: str,
    out: _Outcomes,
    actual: np.ndarray,
    fit: its.Fit | did.DidFit | None,
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i, k in enumerate(range(sw.pre_start, sw.stop)):
        after = k >= sw.start
        rows.append(
            {
                "month": out.months[k],
                "teams": _teams_label(sw.teams, sw.company_wide),
                "metric": metric,
                "switch_date": sw.month,
                "actual": float(actual[i]),
                "counterfactual": None if fit is None else float(fit.counterfactual[i]),
                "low": float(fit.cf_low[i]) if fit is not None and after else None,
                "high": float(fit.cf_high[i]) if fit is not None and after else None,
            }
        )
    return rows


def _its(
    sw: Switch, metric: str, out: _Outcomes, level: float, model: its.Model
) -> tuple[dict[str, object], list[dict[str, object]]]:
    window = slice(sw.pre_start, sw.stop)
    y = out.get(COMPANY, metric)[window]
    n_pre = sw.start - sw.pre_start
    problem = _length_problem(sw, ITS_MIN_BEFORE) or _events_problem(
        float(out.get(COMPANY, _EVENTS[metric])[window].sum()), metric
    )
    if problem:
        return _thin(sw, "its", metric, problem), _series_rows(sw, metric, out, y, None)
    moy = out.month_of_year[window]
    fit = its.segmented(y, n_pre, moy, level=level, model=model)
    placebo: dict[str, object] = {}
    side = MIN_PLACEBO_SIDE["its"]
    if n_pre >= 2 * side:
        p = its.segmented(y[:n_pre], n_pre // 2, moy[:n_pre], level=level, model=model)
        placebo = {"placebo_effect": p.effect, "placebo_low": p.low, "placebo_high": p.high}
    row = _row(
        sw,
        "its",
        metric,
        effect=fit.effect,
        low=fit.low,
        high=fit.high,
        pre_trend_p=its.pre_trend_p(y[:n_pre], moy[:n_pre]),
        verdict="estimate",
        reason=fit.notes,
        **placebo,
    )
    return row, _series_rows(sw, metric, out, y, fit)


def _did(
    sw: Switch, metric: str, out: _Outcomes, level: float
) -> tuple[dict[str, object], list[dict[str, object]]]:
    window = slice(sw.pre_start, sw.stop)
    treated = np.array([out.get(t, metric)[window] for t in sw.teams])
    total = treated.sum(axis=0)
    if sw.company_wide:
        reason = "no comparison team: every team switched at once (see the time series estimate)"
        return _thin(sw, "did", metric, reason), []
    if not sw.controls:
        reason = "no comparison team: every other team changed policy in the months compared"
        return _thin(sw, "did", metric, reason), _series_rows(sw, metric, out, total, None)
    controls = np.array([out.get(t, metric)[window] for t in sw.controls])
    units = (*sw.teams, *sw.controls)
    events = sum(float(out.get(t, _EVENTS[metric])[window].sum()) for t in units)
    problem = _length_problem(sw, DID_MIN_BEFORE) or _events_problem(events, metric)
    if problem:
        return _thin(sw, "did", metric, problem), _series_rows(sw, metric, out, total, None)
    n_pre = sw.start - sw.pre_start
    panel = did.Panel(treated, controls, n_pre)
    fit = did.twfe(panel, level=level)
    placebo: dict[str, object] = {}
    side = MIN_PLACEBO_SIDE["did"]
    if n_pre >= 2 * side:
        fake = did.Panel(treated[:, :n_pre], controls[:, :n_pre], n_pre // 2)
        p = did.twfe(fake, level=level)
        placebo = {"placebo_effect": p.effect, "placebo_low": p.low, "placebo_high": p.high}
    row = _row(
        sw,
        "did",
        metric,
        effect=fit.effect,
        low=fit.low,
        high=fit.high,
        pre_trend_p=did.pre_trend_p(panel),
        verdict="estimate",
        reason=f"{fit.notes}; compared with {', '.join(sw.controls)}",
        **placebo,
    )
    return row, _series_rows(sw, metric, out, total, fit)


def empty() -> ObservedEffects:
    return ObservedEffects(pl.DataFrame(schema=ESTIMATE_SCHEMA), pl.DataFrame(schema=SERIES_SCHEMA))


def observe(
    data: Pipeline | Mapping[str, pl.DataFrame],
    *,
    as_of: datetime | None = None,
    level: float = 0.90,
    model: str = "linear",
) -> ObservedEffects:
    """Estimate the effect of every policy switch in `data` (see the module docstring): the
    analysis' pipeline, or canonical tables with an explicit `as_of`.

    `level` is the interval's coverage (0.90: a 90% interval); `model` is ``linear`` (OLS) or
    ``poisson`` (Poisson GLM for the time series of counts: leads and won deals). Raises
    ConfigError for an unknown model or a level outside (0, 1).
    """
    if model not in MODELS:
        raise ConfigError(f"unknown observed-effect model '{model}'; models are: linear, poisson")
    if not 0 < level < 1:
        raise ConfigError(f"interval level must be between 0 and 1, not {level}")
    if isinstance(data, Pipeline):
        p = data
    elif as_of is None:
        raise ValueError("give as_of with tables")
    else:
        p = Pipeline(data, as_of=as_of)
    tables = p.tables
    months = _months(tables, p.as_of)
    if len(months) < 2:
        return empty()
    frame = monthly_outcomes(p, months=months)
    teams = sorted(set(frame["unit"].to_list()) - {COMPANY})
    periods = tables["policy_periods"].filter(pl.col("from") < add_months(months[-1], 1))
    switches = find_switches(policy_grid(periods, teams, months), months)
    out = _Outcomes(frame, months)
    rows: list[dict[str, object]] = []
    series: list[dict[str, object]] = []
    its_model: its.Model = "poisson" if model == "poisson" else "linear"
    for sw in switches:
        for metric in METRICS:
            counts = metric in ("leads", "deals")
            if sw.company_wide:
                row, s = _its(sw, metric, out, level, its_model if counts else "linear")
                rows.append(row)
                series.extend(s)
            row, s = _did(sw, metric, out, level)
            rows.append(row)
            series.extend(s)
    return ObservedEffects(
        pl.DataFrame(rows, schema=ESTIMATE_SCHEMA)
        if rows
        else pl.DataFrame(schema=ESTIMATE_SCHEMA),
        pl.DataFrame(series, schema=SERIES_SCHEMA)
        if series
        else pl.DataFrame(schema=SERIES_SCHEMA),
    )
