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


def _rank() -> pl.Expr:
    """Position of the touch in its conversion's journey (rows must be in journey order)."""
    return pl.int_range(pl.len(), dtype=pl.Int64).over(_CID)


def _last_rank_where(cond: pl.Expr) -> pl.Expr:
    """Rank of the last touch of the journey for which `cond` holds (null when none does)."""
    return pl.when(cond).then(pl.col("_r")).max().over(_CID)


def _role_flags(roles: list[str]) -> dict[str, pl.Expr]:
    flags: dict[str, pl.Expr] = {}
    for role in roles:
        if role == "first":
            flags[role] = pl.col("_r") == 0
        elif role == "last":
            flags[role] = pl.col("_r") == pl.col("_n") - 1
        elif role in ("lead", "deal"):
            milestone = pl.col(f"{role}_created_at")
            flags[role] = (pl.col("_r") == _last_rank_where(pl.col("ts") <= milestone)).fill_null(
                False
            )
        elif role == "last_non_direct":
            not_direct = pl.col("channel").fill_null("") != DIRECT
            last = _last_rank_where(not_direct).fill_null(pl.col("_n") - 1)
            flags[role] = pl.col("_r") == last
        else:  # pragma: no cover - ROLE_WEIGHTS names only the roles above
            raise ValueError(role)
    return flags


def _position_credit(ranked: pl.DataFrame, weights: dict[str, float]) -> pl.DataFrame:
    """`ranked` (with _r and _n) plus `credit` under the role `weights`."""
    roles = [r for r in weights if r != "middle"]
    flagged = ranked.with_columns(
        flag.alias(f"_f_{role}") for role, flag in _role_flags(roles).items()
    )
    holds_role = pl.any_horizontal(f"_f_{r}" for r in roles) if roles else pl.lit(False)
    flagged = flagged.with_columns((~holds_role).alias("_mid"))
    flagged = flagged.with_columns(pl.col("_mid").sum().over(_CID).alias("_n_mid"))

    raw: pl.Expr = pl.lit(0.0)
    total: pl.Expr = pl.lit(0.0)
    for role in roles:
        flag = pl.col(f"_f_{role}")
        raw = raw + pl.when(flag).then(weights[role]).otherwise(0.0)
        total = total + pl.when(flag.any().over(_CID)).then(weights[role]).otherwise(0.0)
    w_middle = weights.get("middle", 0.0)
    if w_middle > 0:
        share = w_middle / pl.col("_n_mid")
        raw = raw + pl.when(pl.col("_mid")).then(share).otherwise(0.0)
        total = total + pl.when(pl.col("_n_mid") > 0).then(w_middle).otherwise(0.0)
    scratch = [f"_f_{r}" for r in roles] + ["_mid", "_n_mid"]
    return flagged.with_columns((raw / total).alias("credit")).drop(scratch)


def _time_decay_credit(half_life_days: float) -> pl.Expr:
    age = (pl.col("conv_ts") - pl.col("ts")).dt.total_microseconds() / _US_PER_DAY
    # Measured from the journey's most recent touch, so long windows cannot underflow to 0/0;
    # the shift cancels out in the normalisation.
    weight = pl.lit(2.0).pow(-(age - age.min().over(_CID)) / half_life_days)
    return weight / weight.sum().over(_CID)


def rule_credits(
    journeys: pl.DataFrame, model: str, *, half_life_days: float = 7.0
) -> pl.DataFrame:
    """The converting touches of `journeys` with a `credit` column under a rule `model`.

    `journeys` is :func:`socialroi.core.journeys.assign_touches` output joined with the
    conversion's lead_created_at and deal_created_at; rows with a null conversion_id are ignored.
    Each conversion's credits sum to 1.
    """
    if model not in RULE_MODELS:
        raise DataError(f"unknown rule model '{model}'; rule models are: {', '.join(RULE_MODELS)}")
    if not half_life_days > 0:
        raise DataError(f"half-life must be more than 0 days, not {half_life_days}")
    df = journeys.filter(pl.col(_CID).is_not_null())
    if model == "time_decay":
        credit = _time_decay_credit(half_life_days)
        return df.with_columns(credit.alias("credit"))
    ranked = df.with_columns(_rank().alias("_r"), pl.len().over(_CID).alias("_n"))
    return _position_credit(ranked, ROLE_WEIGHTS[model]).drop("_r", "_n")
