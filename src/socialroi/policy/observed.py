"""Observed effects of past policy switches: interrupted time series and difference-in-differences.

`observe` reads the canonical tables (what ``Store.read_all()`` returns), builds the monthly
social outcomes (policy.outcomes), finds the dated switches in policy_periods (policy.switches)
and estimates, for each switch and each metric (leads, won deals, revenue, net value):

* ``its`` for a switch every team made: segmented regression of the company series over the
  pre-period and the window (policy.its): a quasi-Poisson GLM for leads, won deals and revenue,
  OLS for net value, with seasonality and the company's non-social leads as a control series;
  a pre-trend test and a placebo switch halfway through the pre-period;
* ``did`` for a switch only some teams made: two-way fixed effects against the teams that kept
  their policy (policy.did), Driscoll–Kraay errors, with a differential pre-trend test and a
  placebo the same way.

Whether a row is estimated is decided before looking at the months after the switch: enough
months before and after, and enough events *before* the switch (deciding on the events after it
would show only the rows that happened to come out high). Where the data cannot carry an
estimate the row's verdict is ``too_thin``, the numbers are null and ``reason`` says why. Where
a check cannot run (too few months, or a series that is all zeros before the switch), its
columns are null and ``checks`` says "cannot check" and why — never a p-value or a placebo
interval computed from nothing.
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
    contact_units,
    month_start,
    monthly_outcomes,
    months_between,
)
from socialroi.policy.switches import Switch, find_switches, policy_grid

#: What an estimate needs: months before and after the switch, and events in the series used.
ITS_MIN_BEFORE = 6
DID_MIN_BEFORE = 3
MIN_AFTER = 3
#: Events (leads; won deals for deals, revenue and net value) to expect over the months
#: compared, counted over every unit compared and projected from the months before the switch.
MIN_EVENTS = 10
MIN_PLACEBO_SIDE = {"its": 3, "did": 2}
MIN_PRE_TREND = {"its": 6, "did": 3}
MODELS: tuple[str, ...] = ("linear", "poisson")
#: Metrics that cannot be negative: the quasi-Poisson model takes them (net value goes to OLS).
NON_NEGATIVE: tuple[str, ...] = ("leads", "deals", "revenue")

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
    "checks": pl.String(),
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


def _events_problem(pre_events: float, metric: str, n_pre: int, n_total: int) -> str | None:
    """Too few events to expect over the months compared, judged from the months before the
    switch only: their count, scaled to the whole span at the same rate. (Judging on the months
    after the switch would keep exactly the rows that came out high by chance.)"""
    expected = pre_events * n_total / n_pre if n_pre else 0.0
    if expected < MIN_EVENTS:
        words = _EVENT_WORDS[_EVENTS[metric]]
        return (
            f"{pre_events:.0f} {words} in the {_months_text(n_pre)} before the switch, so about "
            f"{expected:.0f} to expect over the {_months_text(n_total)} compared; "
            f"at least {MIN_EVENTS} needed"
        )
    return None


def _cannot(what: str) -> str:
    return f"cannot check: {what}"


def _its_checks(y_pre: np.ndarray, metric: str) -> str | None:
    """Why the pre-trend test and the placebo cannot run on this pre-period, if they cannot."""
    n = len(y_pre)
    if n < MIN_PRE_TREND["its"]:
        return _cannot(
            f"{_months_text(n)} before the switch; the checks need {MIN_PRE_TREND['its']}"
        )
    return _flat(y_pre, metric)


def _flat(y_pre: np.ndarray, metric: str, whose: str = "") -> str | None:
    if not np.any(y_pre != 0):
        return _cannot(f"no {METRIC_WORDS[metric]}{whose} before the switch")
    if float(np.ptp(y_pre)) == 0.0:
        return _cannot(f"{METRIC_WORDS[metric]}{whose} did not vary before the switch")
    return None


METRIC_WORDS = {
    "leads": "social leads",
    "deals": "won social deals",
    "revenue": "social revenue",
    "net_value": "net value",
}


class _Outcomes:
    """The monthly outcomes as arrays: unit → metric → values over the month grid."""

    def __init__(
        self, frame: pl.DataFrame, months: list[date], control: np.ndarray | None = None
    ) -> None:
        self.months = months
        self.month_of_year = np.array([m.month for m in months], dtype=np.int64)
        self.control = control
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
    pre_events = float(out.get(COMPANY, _EVENTS[metric])[sw.pre_start : sw.start].sum())
    problem = _length_problem(sw, ITS_MIN_BEFORE) or _events_problem(
        pre_events, metric, n_pre, len(y)
    )
    if problem:
        return _thin(sw, "its", metric, problem), _series_rows(sw, metric, out, y, None)
    moy = out.month_of_year[window]
    control = out.control[window] if out.control is not None else None
    fit = its.segmented(y, n_pre, moy, level=level, model=model, control=control)
    checks: dict[str, object] = {}
    cannot = _its_checks(y[:n_pre], metric)
    side = MIN_PLACEBO_SIDE["its"]
    if cannot is None:
        half = n_pre // 2
        cannot = _flat(y[:half], metric, " in the first half") if half >= side else None
        pre_ctrl = None if control is None else control[:n_pre]
        p = its.segmented(y[:n_pre], half, moy[:n_pre], level=level, model=model, control=pre_ctrl)
        checks = {
            "pre_trend_p": its.pre_trend_p(y[:n_pre], moy[:n_pre], model=model),
            "placebo_effect": p.effect,
            "placebo_low": p.low,
            "placebo_high": p.high,
        }
        if cannot is not None:  # placebo: nothing on one side of the fake switch
            checks.update(placebo_effect=None, placebo_low=None, placebo_high=None)
            cannot = f"{cannot} (placebo)"
    row = _row(
        sw,
        "its",
        metric,
        effect=fit.effect,
        low=fit.low,
        high=fit.high,
        verdict="estimate",
        reason=fit.notes,
        checks=cannot,
        **checks,
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
    n_pre = sw.start - sw.pre_start
    pre = slice(sw.pre_start, sw.start)
    events = sum(float(out.get(t, _EVENTS[metric])[pre].sum()) for t in units)
    problem = _length_problem(sw, DID_MIN_BEFORE) or _events_problem(
        events, metric, n_pre, treated.shape[1]
    )
    if problem:
        return _thin(sw, "did", metric, problem), _series_rows(sw, metric, out, total, None)
    panel = did.Panel(treated, controls, n_pre)
    fit = did.twfe(panel, level=level)
    checks: dict[str, object] = {}
    cannot = _flat(treated[:, :n_pre].sum(axis=0), metric, " in the switching teams") or _flat(
        controls[:, :n_pre].sum(axis=0), metric, " in the comparison teams"
    )
    if cannot is None and n_pre < MIN_PRE_TREND["did"]:
        cannot = _cannot(
            f"{_months_text(n_pre)} before the switch; the checks need {MIN_PRE_TREND['did']}"
        )
    if cannot is None:
        checks["pre_trend_p"] = did.pre_trend_p(panel)
        side, half = MIN_PLACEBO_SIDE["did"], n_pre // 2
        first = treated[:, :half].sum(axis=0)
        if half < side or n_pre - half < side:
            cannot = _cannot(
                f"{_months_text(n_pre)} before the switch; the placebo needs {2 * side}"
            )
        elif (flat := _flat(first, metric, " in the switching teams' first half")) is not None:
            cannot = f"{flat} (placebo)"
        else:
            p = did.twfe(did.Panel(treated[:, :n_pre], controls[:, :n_pre], half), level=level)
            checks.update(placebo_effect=p.effect, placebo_low=p.low, placebo_high=p.high)
    row = _row(
        sw,
        "did",
        metric,
        effect=fit.effect,
        low=fit.low,
        high=fit.high,
        verdict="estimate",
        reason=f"{fit.notes}; compared with {', '.join(sw.controls)}",
        checks=cannot,
        **checks,
    )
    return row, _series_rows(sw, metric, out, total, fit)


def empty() -> ObservedEffects:
    return ObservedEffects(pl.DataFrame(schema=ESTIMATE_SCHEMA), pl.DataFrame(schema=SERIES_SCHEMA))


def non_social_leads(p: Pipeline, months: list[date]) -> np.ndarray:
    """The company's leads per month that no social contact brought (every lead minus the
    social-sourced ones of policy.outcomes): the ITS control series."""
    units = contact_units(p)
    leads = p.tables["leads"].join(units, on="contact_id", how="anti")
    counts = leads.group_by(month_start(pl.col("created_at")).alias("month")).len()
    grid = pl.DataFrame({"month": months}, schema={"month": pl.Date})
    joined = grid.join(counts, on="month", how="left").with_columns(pl.col("len").fill_null(0))
    return np.asarray(joined["len"].to_numpy(), dtype=float)


def observe(
    data: Pipeline | Mapping[str, pl.DataFrame],
    *,
    as_of: datetime | None = None,
    level: float = 0.90,
    model: str = "poisson",
    control: bool = True,
) -> ObservedEffects:
    """Estimate the effect of every policy switch in `data` (see the module docstring): the
    analysis' pipeline, or canonical tables with an explicit `as_of`.

    `level` is the interval's coverage (0.90: a 90% interval); `model` is ``poisson`` (the time
    series of leads, won deals and revenue by a quasi-Poisson GLM; net value by OLS) or
    ``linear`` (OLS for every metric). `control` adds the company's non-social leads as a control
    series to the time series. Raises ConfigError for an unknown model or a level outside (0, 1).
    """
    if model not in MODELS:
        raise ConfigError(f"unknown observed-effect model '{model}'; models are: linear, poisson")
    if not 0 < level < 1:
        raise ConfigError(f"interval level must be between 0 and 1, not {level}")
    p = Pipeline.of(data, as_of)
    tables = p.tables
    months = _months(tables, p.as_of)
    if len(months) < 2:
        return empty()
    frame = monthly_outcomes(p, months=months)
    teams = sorted(set(frame["unit"].to_list()) - {COMPANY})
    periods = tables["policy_periods"].filter(pl.col("from") < add_months(months[-1], 1))
    switches = find_switches(policy_grid(periods, teams, months), months)
    out = _Outcomes(frame, months, non_social_leads(p, months) if control else None)
    rows: list[dict[str, object]] = []
    series: list[dict[str, object]] = []
    for sw in switches:
        for metric in METRICS:
            if sw.company_wide:
                glm = model == "poisson" and metric in NON_NEGATIVE
                row, s = _its(sw, metric, out, level, "poisson" if glm else "linear")
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
