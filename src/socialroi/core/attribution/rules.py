"""Rule-based attribution: fixed role weights (HubSpot / Marketo Measure) and time decay.

Roles (design §4), within one conversion's journey ordered by time (ties in input order):

- ``first`` / ``last``: the journey's first and last touch;
- ``lead`` / ``deal``: the last touch at or before the lead's / deal's creation;
- ``last_non_direct``: the last touch whose channel is not ``direct``, else the last touch;
- ``middle``: every touch holding none of the model's other roles; they share its weight equally.

A touch holding several roles takes the sum of their weights. A role no touch holds (no middle
touches, a missing milestone) drops out, and the remaining weights are scaled up to sum to 1.
Repeated touches of one channel all count.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from socialroi.errors import DataError

#: Each rule model's role weights. ``middle`` is shared by touches holding no other role.
ROLE_WEIGHTS: dict[str, dict[str, float]] = {
    "first_touch": {"first": 1.0},
    "last_touch": {"last": 1.0},
    "last_non_direct": {"last_non_direct": 1.0},
    "linear": {"middle": 1.0},
    "position_based": {"first": 0.4, "last": 0.4, "middle": 0.2},
    "u_shaped": {"first": 0.4, "lead": 0.4, "middle": 0.2},
    "w_shaped": {"first": 0.3, "lead": 0.3, "deal": 0.3, "middle": 0.1},
    "full_path": {"first": 0.225, "lead": 0.225, "deal": 0.225, "last": 0.225, "middle": 0.1},
    "j_shaped": {"first": 0.2, "last": 0.6, "middle": 0.2},
    "inverse_j": {"first": 0.6, "last": 0.2, "middle": 0.2},
}

RULE_MODELS: tuple[str, ...] = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
    "u_shaped",
    "w_shaped",
    "full_path",
    "j_shaped",
    "inverse_j",
)

DIRECT = "direct"
_US_PER_DAY = 86_400 * 1_000_000
_CID = "conversion_id"


def _role_rank(role: str) -> pl.Expr:
    """Rank (position in the journey, 0-based) of the touch holding `role`; null if none does."""
    if role == "first":
        return pl.lit(0, dtype=pl.Int64)
    if role == "last":
        return pl.col("_n") - 1
    if role in ("lead", "deal"):
        at_or_before = pl.col("ts") <= pl.col(f"{role}_created_at")
        return pl.when(at_or_before).then(pl.col("_r")).max().over(_CID)
    if role == "last_non_direct":
        not_direct = pl.col("channel").fill_null("") != DIRECT
        last = pl.when(not_direct).then(pl.col("_r")).max().over(_CID)
        return last.fill_null(pl.col("_n") - 1)
    raise ValueError(role)  # pragma: no cover - ROLE_WEIGHTS names only the roles above


def _position_credit(df: pl.DataFrame, weights: dict[str, float]) -> pl.DataFrame:
    """`df` (a conversion's touches in time order) plus `credit` under the role `weights`."""
    roles = [r for r in weights if r != "middle"]
    # Window expressions over one key in one context share the grouping work.
    out = df.with_columns(
        (pl.col("ts").cum_count().over(_CID) - 1).alias("_r"),
        pl.len().over(_CID).cast(pl.Int64).alias("_n"),
    )
    out = out.with_columns(_role_rank(role).alias(f"_at_{role}") for role in roles)
    holds = [(pl.col("_r") == pl.col(f"_at_{role}")).fill_null(False) for role in roles]
    middle = ~pl.any_horizontal(holds) if roles else pl.lit(True)
    out = out.with_columns(middle.alias("_mid"))
    out = out.with_columns(pl.col("_mid").sum().over(_CID).alias("_n_mid"))

    raw: pl.Expr = pl.lit(0.0)
    total: pl.Expr = pl.lit(0.0)
    for role, held in zip(roles, holds, strict=True):
        raw = raw + pl.when(held).then(weights[role]).otherwise(0.0)
        present = pl.col(f"_at_{role}").is_not_null()
        total = total + pl.when(present).then(weights[role]).otherwise(0.0)
    w_middle = weights.get("middle", 0.0)
    if w_middle > 0:
        share = w_middle / pl.col("_n_mid")
        raw = raw + pl.when(pl.col("_mid")).then(share).otherwise(0.0)
        total = total + pl.when(pl.col("_n_mid") > 0).then(w_middle).otherwise(0.0)
    scratch = ["_r", "_n", "_mid", "_n_mid", *(f"_at_{r}" for r in roles)]
    return out.with_columns((raw / total).alias("credit")).drop(scratch)


def _group_runs(
    df: pl.DataFrame, key: np.ndarray | None = None, order: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of `df` grouped by conversion, each group in row order: (order, starts, group).

    `order` lists row indices conversion by conversion (a stable sort), `starts` where each
    group begins in it, `group` each sorted row's group number. `key`, when given, numbers
    each row's conversion (one integer per conversion_id): it is sorted instead of the text,
    unless `order` (such a listing) is given as well.
    """
    if key is not None:
        new = np.ones(len(key), dtype=bool)
        if order is None:
            new[1:] = key[1:] != key[:-1]
            starts = np.flatnonzero(new)
            if len(key) and key.min() >= 0 and np.bincount(key[starts]).max() == 1:
                # Each conversion's rows already follow each other (credit_models' frame).
                return np.arange(len(key)), starts, np.cumsum(new) - 1
            order = np.argsort(key, kind="stable")
        ranked = key[order]
        new[1:] = ranked[1:] != ranked[:-1]
        return order, np.flatnonzero(new), np.cumsum(new) - 1
    keyed = df.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_i"), pl.col(_CID))
    keyed = keyed.sort(_CID, maintain_order=True)
    cid = keyed.get_column(_CID)
    new = np.ones(keyed.height, dtype=bool)
    if keyed.height > 1:
        new[1:] = (cid.slice(1) != cid.slice(0, keyed.height - 1)).to_numpy()
    return keyed.get_column("_i").to_numpy(), np.flatnonzero(new), np.cumsum(new) - 1


class _Groups:
    """A frame's rows grouped by conversion (see _group_runs), with each role's position in its
    conversion worked out once for every model that reads it."""

    def __init__(
        self, df: pl.DataFrame, key: np.ndarray | None = None, order: np.ndarray | None = None
    ) -> None:
        self.df = df
        self.order, self.starts, self.group = _group_runs(df, key, order)
        self.rows = len(self.order)
        self.size = np.diff(np.append(self.starts, self.rows))
        self.rank = np.arange(self.rows) - self.starts[self.group]
        self._at: dict[str, np.ndarray] = {}

    def at(self, role: str) -> np.ndarray:
        """Position of the touch holding `role` in each conversion (-1: none)."""
        if role not in self._at:
            self._at[role] = self._role_at(role)
        return self._at[role]

    def _role_at(self, role: str) -> np.ndarray:
        size, rank, starts = self.size, self.rank, self.starts
        if role == "first":
            return np.zeros(len(starts), dtype=np.int64)
        if role == "last":
            return size - 1
        if role == "last_non_direct":
            cond = pl.col("channel").fill_null("") != DIRECT
        else:
            cond = (pl.col("ts") <= pl.col(f"{role}_created_at")).fill_null(False)
        held = self.df.select(cond).to_series().to_numpy()[self.order]
        top = np.maximum.reduceat(np.where(held, rank, -1), starts) if self.rows else size
        if role == "last_non_direct":
            top = np.where(top < 0, size - 1, top)
        return top


def _position_credit_runs(
    df: pl.DataFrame, weights: dict[str, float], groups: _Groups | None = None
) -> pl.DataFrame:
    """_position_credit on arrays: one stable sort by conversion, then per-group reductions.

    The same operations in the same order as the expression form, so the credits are identical.
    `groups` (of `df`) may be shared by several models.
    """
    roles = [r for r in weights if r != "middle"]
    if groups is None:
        groups = _Groups(df)
    order, starts, group, rows = groups.order, groups.starts, groups.group, groups.rows
    size, rank = groups.size, groups.rank
    at = {role: groups.at(role) for role in roles}
    holds = [rank == at[role][group] for role in roles]
    mid = ~np.logical_or.reduce(holds) if holds else np.ones(rows, dtype=bool)
    n_mid = (np.add.reduceat(mid.astype(np.int64), starts) if rows else size)[group]
    raw = np.zeros(rows)
    total = np.zeros(rows)
    for role, held_role in zip(roles, holds, strict=True):
        raw = raw + np.where(held_role, weights[role], 0.0)
        total = total + np.where((at[role] >= 0)[group], weights[role], 0.0)
    w_middle = weights.get("middle", 0.0)
    if w_middle > 0:
        with np.errstate(divide="ignore"):
            share = w_middle / n_mid
        raw = raw + np.where(mid, share, 0.0)
        total = total + np.where(n_mid > 0, w_middle, 0.0)
    credit = np.empty(rows)
    credit[order] = raw / total
    return df.with_columns(pl.Series("credit", credit, dtype=pl.Float64))


def _time_decay_credit(
    df: pl.DataFrame, half_life_days: float, key: np.ndarray | None = None
) -> pl.DataFrame:
    """`df` plus `credit` ∝ 2^(−age/half-life), age in days before the conversion. `key`, when
    given, numbers each row's conversion: the same groups, found from numbers."""
    age = (pl.col("conv_ts") - pl.col("ts")).dt.total_microseconds() / _US_PER_DAY
    # Ages are measured from the journey's most recent touch, so long windows cannot underflow
    # to 0/0; the shift cancels out in the normalisation. Worked out on a narrow frame.
    narrow = df.select("conv_ts", "ts", _CID if key is None else pl.Series("_k", key))
    by = _CID if key is None else "_k"
    out = narrow.with_columns(age.alias("_age"))
    out = out.with_columns((pl.col("_age") - pl.col("_age").min().over(by)).alias("_age"))
    out = out.with_columns(pl.lit(2.0).pow(-pl.col("_age") / half_life_days).alias("_w"))
    credit = pl.col("_w") / pl.col("_w").sum().over(by)
    return df.with_columns(out.select(credit.alias("credit")).to_series())


def rule_credits(
    journeys: pl.DataFrame, model: str, *, half_life_days: float = 7.0
) -> pl.DataFrame:
    """The converting touches of `journeys` with a `credit` column under a rule `model`.

    `journeys` is :func:`socialroi.core.journeys.assign_touches` output joined with the
    conversion's lead_created_at and deal_created_at; rows with a null conversion_id are ignored.
    Each conversion's credits sum to 1.
    """
    return rule_credits_all(journeys, (model,), half_life_days=half_life_days)[model]


def rule_credits_all(
    journeys: pl.DataFrame,
    models: Sequence[str],
    *,
    half_life_days: float = 7.0,
    conversion_key: np.ndarray | None = None,
    conversion_order: np.ndarray | None = None,
) -> dict[str, pl.DataFrame]:
    """rule_credits for each of `models` (rule models), grouping the touches only once.

    `conversion_key`, when given, numbers each row's conversion (one integer per
    conversion_id, every row converting): the touches are then grouped by it, not by the text.
    `conversion_order`, given with it, lists the rows conversion by conversion, each
    conversion's rows ascending (the order a stable sort by the key gives, conversions in any
    order): it is used instead of that sort.
    """
    if not models:
        return {}
    for model in models:
        if model not in RULE_MODELS:
            raise DataError(
                f"unknown rule model '{model}'; rule models are: {', '.join(RULE_MODELS)}"
            )
    if not half_life_days > 0:
        raise DataError(f"half-life must be more than 0 days, not {half_life_days}")
    cid = journeys.get_column(_CID)
    # Rows all converting (credit_models' frame) are used as they are, not copied.
    df = journeys if cid.null_count() == 0 else journeys.filter(cid.is_not_null())
    if conversion_key is not None and len(conversion_key) != df.height:
        raise ValueError("conversion_key needs one entry per converting row")
    if conversion_order is not None and (
        conversion_key is None or len(conversion_order) != df.height
    ):
        raise ValueError("conversion_order needs conversion_key and one entry per row")
    groups: _Groups | None = None
    out: dict[str, pl.DataFrame] = {}
    for model in models:
        if model == "time_decay":
            out[model] = _time_decay_credit(df, half_life_days, conversion_key)
        elif df.get_column("ts").null_count() == 0:
            if groups is None:
                groups = _Groups(df, conversion_key, conversion_order)
            out[model] = _position_credit_runs(df, ROLE_WEIGHTS[model], groups)
        else:
            out[model] = _position_credit(df, ROLE_WEIGHTS[model])
    return out
