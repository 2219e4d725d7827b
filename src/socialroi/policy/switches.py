"""Dated policy switches read from the store's policy_periods table.

policy_periods holds (team, from, to, policy): team ``'*'`` covers the whole company; a row for a
named team overrides ``'*'`` for that team. A month's policy is the one in force on its first day.
A *switch* is a month in which at least one team's policy differs from the month before; the
teams making the same (from → to) move in that month form one switch. Its *window* runs from the
switch to the next switch of any team (or the end of the data); its *pre-period* runs from the
previous switch of any team (or the start of the data) up to the switch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl


@dataclass(frozen=True)
class Switch:
    month: date
    from_policy: str
    to_policy: str
    teams: tuple[str, ...]  # the teams that moved
    controls: tuple[str, ...]  # the teams whose policy did not change in pre-period or window
    company_wide: bool  # every team moved
    pre_start: int  # index of the first pre-period month in the month grid
    start: int  # index of the switch month
    stop: int  # index after the window's last month


def policy_grid(
    periods: pl.DataFrame, teams: list[str], months: list[date]
) -> dict[str, list[str]]:
    """team → the policy in force in each month ('' where no period covers it)."""
    rows = periods.select("team", "from", "to", "policy").to_dicts()

    def policy_on(team: str, day: date) -> str:
        for wanted in (team, "*"):
            for r in rows:
                if r["team"] == wanted and r["from"] <= day and (r["to"] is None or day < r["to"]):
                    return str(r["policy"])
        return ""

    return {team: [policy_on(team, m) for m in months] for team in teams}


def find_switches(grid: dict[str, list[str]], months: list[date]) -> list[Switch]:
    """Every switch in the grid, in date order (teams moving the same way grouped)."""
    teams = sorted(grid)
    n = len(months)
    changed = [
        k
        for k in range(1, n)
        if any(grid[t][k] != grid[t][k - 1] and grid[t][k - 1] for t in teams)
    ]
    out: list[Switch] = []
    for i, k in enumerate(changed):
        pre_start = changed[i - 1] if i > 0 else 0
        stop = changed[i + 1] if i + 1 < len(changed) else n
        moved = [t for t in teams if grid[t][k] != grid[t][k - 1] and grid[t][k - 1]]
        pairs = sorted({(grid[t][k - 1], grid[t][k]) for t in moved})
        steady = tuple(
            t
            for t in teams
            if t not in moved and len(set(grid[t][pre_start:stop])) == 1 and grid[t][k]
        )
        for a, b in pairs:
            group = tuple(t for t in moved if (grid[t][k - 1], grid[t][k]) == (a, b))
            out.append(
                Switch(
                    month=months[k],
                    from_policy=a,
                    to_policy=b,
                    teams=group,
                    controls=steady,
                    company_wide=len(group) == len(teams),
                    pre_start=pre_start,
                    start=k,
                    stop=stop,
                )
            )
    return out
