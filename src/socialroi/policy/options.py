"""Policy options and their assumptions: defaults in code, each with a range, a unit and a source.

An option (``blanket_ban``, ``acceptable_use``, ``dedicated_manager``, ``employee_advocacy``,
``training``) is a set of `Assumption` values. Each has a central value, a range (low/high) that
carries its uncertainty into the projection, a unit, and a source: a citation
(research on workplace social-media policy), "estimated from your data (…)" once the funnel has
replaced it, or "assumption: set this for your company". `parse_options` turns a mapping (a TOML
file's contents) into options over these defaults. Pure: no files.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from socialroi.errors import ConfigError, DataError

Dist = Literal["triangular", "gamma", "beta"]

SET_IT = "assumption: set this for your company"
CHEN_CHAN = (
    "Chen & Chan, 'Less Is Not Always More', Information Systems Research 2026 (4-week RCT, "
    "217 participants): complete blocking lost about 20.3 workdays a year per employee, partial "
    "blocking gained about 6.2"
)
BLS = (
    "BLS Employer Costs for Employee Compensation: wages ≈ 68–70% of total compensation, so "
    "loaded cost ≈ wage × 1.43–1.46"
)
LINKEDIN_CTR = (
    "LinkedIn Marketing Solutions blog, 2016-03-15: employee shares get about 2× the "
    "click-through rate of the same content shared by the company"
)
LINKEDIN_REACH = (
    "LinkedIn Marketing Solutions blog, 'The Real Value of Your Employees' Social Media Reach', "
    "2017-06-01: staff networks average about 10× the company page's followers"
)
PEW = (
    "Pew Research Center, 'Social Media and the Workplace' (2016): 77% of workers use social "
    "media at work whatever the policy says"
)
SERVICE_COSTS = (
    "Gartner 2019 (live channels $8.01 a contact, self-service about $0.10); ContactBabel (phone "
    "$5.25, email $4.42, web chat $3.82); HelpSocial (a social conversation under $1, a call "
    "about $6)"
)
SHRM = "SHRM benchmarking: average cost per hire near $4,700"

#: The five options every comparison knows.
OPTION_NAMES: tuple[str, ...] = (
    "blanket_ban",
    "acceptable_use",
    "dedicated_manager",
    "employee_advocacy",
    "training",
)

#: Every assumption an option has: its unit and what it means (the file's keys).
ASSUMPTIONS: dict[str, tuple[str, str]] = {
    "participation": ("share of staff", "share of staff who post for the company in a month"),
    "posts_per_week": ("posts per participant per week", "how often a posting employee posts"),
    "link_share": ("share of posts", "staff posts that link to your site"),
    "minutes_per_post": ("minutes", "staff time per post, priced at loaded wages"),
    "reach_per_post": ("impressions per staff post", "how many see one staff post"),
    "lead_multiplier": (
        "× leads per impression of your staff's posts",
        "how much better (or worse) the option's posts turn views into leads",
    ),
    "brand_posts_multiplier": ("× current brand posting", "brand-account posting volume"),
    "fte": ("full-time equivalents", "headcount hired or assigned to run social media"),
    "tools_per_month": ("currency per month", "schedulers, analytics, advocacy licences"),
    "training_hours": ("hours per employee, once", "training time in the first month"),
    "training_fee": ("currency, once", "trainer or course fee in the first month"),
    "monitoring_per_seat": ("currency per employee per month", "blocking or monitoring software"),
    "productivity_workdays": (
        "workdays per employee per year (signed)",
        "work time gained (+) or lost (−) under the policy, valued at loaded wages",
    ),
    "service_social_share": (
        "share of service cases",
        "customer-service cases handled over social channels",
    ),
    "hires_social_share": ("share of hires", "hires sourced through social media"),
}


@dataclass(frozen=True)
class Assumption:
    """One uncertain input: central value, range, unit and source.

    ``dist`` says how the projection draws it: ``triangular`` over (low, central, high) for
    user and research assumptions; ``gamma``/``beta`` with parameters ``a``, ``b`` (shape and
    scale; alpha and beta) for rates estimated from data, whose low/high are the 5th and 95th
    percentiles.
    """

    name: str
    central: float
    low: float
    high: float
    unit: str
    source: str
    dist: Dist = "triangular"
    a: float = 0.0
    b: float = 0.0
    #: Whether a data estimate may replace it (False once a user sets it in the file).
    from_data: bool = True

    def __post_init__(self) -> None:
        values = (self.central, self.low, self.high)
        if not all(math.isfinite(v) for v in values):
            raise DataError(
                f"{self.name}: no finite estimate from the data ({self.central:g}, low "
                f"{self.low:g}, high {self.high:g}); an amount or count in the store is too "
                "large to compute with (imports refuse values beyond 1e12)"
            )
        if not self.low <= self.central <= self.high:
            raise ValueError(
                f"{self.name}: need low ≤ central ≤ high, got {self.low} ≤ {self.central} "
                f"≤ {self.high}"
            )

    @property
    def fixed(self) -> bool:
        return self.low == self.high

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """`n` draws (a constant array when the range is empty)."""
        if self.dist == "gamma":
            return rng.gamma(self.a, self.b, n)
        if self.dist == "beta":
            return rng.beta(self.a, self.b, n)
        return self.quantile(rng.random(n))

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The triangular (low, central, high) value at uniforms `u`; constant when fixed."""
        if self.fixed:
            return np.full(len(u), self.central)
        return triangular(u, self.low, self.central, self.high)

    def with_value(self, value: float) -> Assumption:
        """The same assumption held at `value` (no uncertainty): for sensitivity swings."""
        return dataclasses.replace(
            self, central=value, low=value, high=value, dist="triangular", a=0.0, b=0.0
        )


def triangular(u: np.ndarray, low: float, mode: float, high: float) -> np.ndarray:
    """Inverse CDF of the triangular distribution at uniforms `u` (low < high)."""
    width = high - low
    cut = (mode - low) / width
    left = low + np.sqrt(u * width * (mode - low))
    right = high - np.sqrt((1 - u) * width * (high - mode))
    return np.asarray(np.where(u < cut, left, right))


@dataclass(frozen=True)
class PolicyOption:
    name: str
    description: str
    assumptions: Mapping[str, Assumption] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Assumption:
        return self.assumptions[key]

    def replace(self, **values: Assumption) -> PolicyOption:
        return dataclasses.replace(self, assumptions={**self.assumptions, **values})


def _a(name: str, central: float, low: float, high: float, source: str = SET_IT) -> Assumption:
    return Assumption(name, central, low, high, ASSUMPTIONS[name][0], source)


def _zero(name: str) -> Assumption:
    return _a(name, 0.0, 0.0, 0.0, "none under this option")


_STAFF_REACH = _a(
    "reach_per_post",
    400.0,
    150.0,
    1200.0,
    f"assumption (no staff post metrics in your data); compare {LINKEDIN_REACH}",
)


def _base(**over: Assumption) -> dict[str, Assumption]:
    """acceptable_use: responsible personal use, no programme, some organic staff posting."""
    base = {
        "participation": _a("participation", 0.25, 0.10, 0.45, f"{SET_IT}; {PEW}"),
        "posts_per_week": _a("posts_per_week", 0.5, 0.25, 1.0),
        "link_share": _a("link_share", 0.35, 0.15, 0.6),
        "minutes_per_post": _a("minutes_per_post", 15.0, 8.0, 25.0),
        "reach_per_post": _STAFF_REACH,
        "lead_multiplier": _a("lead_multiplier", 1.0, 1.0, 1.0, "your staff's posts as they are"),
        "brand_posts_multiplier": _a(
            "brand_posts_multiplier", 1.0, 1.0, 1.0, "brand accounts post as they do now"
        ),
        "fte": _zero("fte"),
        "tools_per_month": _a("tools_per_month", 0.0, 0.0, 0.0, "no new tools"),
        "training_hours": _a("training_hours", 1.0, 0.5, 1.5, f"{SET_IT} (a policy briefing)"),
        "training_fee": _zero("training_fee"),
        "monitoring_per_seat": _zero("monitoring_per_seat"),
        "productivity_workdays": _a(
            "productivity_workdays", 0.0, -3.0, 6.2, f"the no-blocking group of {CHEN_CHAN}"
        ),
        "service_social_share": _a("service_social_share", 0.10, 0.04, 0.20),
        "hires_social_share": _a("hires_social_share", 0.20, 0.10, 0.35),
    }
    for k, v in over.items():
        base[k] = v
    return base


def default_options() -> dict[str, PolicyOption]:
    """The five options with their sourced or marked defaults."""
    return {
        "blanket_ban": PolicyOption(
            "blanket_ban",
            "Staff may not use social media at work; brand accounts only; monitoring software.",
            _base(
                participation=_a("participation", 0.0, 0.0, 0.0, "no staff posting under a ban"),
                posts_per_week=_zero("posts_per_week"),
                link_share=_zero("link_share"),
                training_hours=_zero("training_hours"),
                monitoring_per_seat=_a("monitoring_per_seat", 6.0, 3.0, 12.0),
                productivity_workdays=_a("productivity_workdays", -20.3, -30.0, -10.0, CHEN_CHAN),
                service_social_share=_a("service_social_share", 0.03, 0.0, 0.06),
                hires_social_share=_a("hires_social_share", 0.05, 0.0, 0.12),
            ),
        ),
        "acceptable_use": PolicyOption(
            "acceptable_use",
            "Responsible personal use allowed; no programme; some organic staff posting.",
            _base(),
        ),
        "dedicated_manager": PolicyOption(
            "dedicated_manager",
            "Acceptable use, plus one person (or an FTE share) who runs the brand accounts.",
            _base(
                fte=_a("fte", 1.0, 0.5, 1.0),
                brand_posts_multiplier=_a("brand_posts_multiplier", 2.0, 1.3, 3.0),
                tools_per_month=_a("tools_per_month", 150.0, 50.0, 400.0),
                service_social_share=_a("service_social_share", 0.14, 0.06, 0.25),
            ),
        ),
        "employee_advocacy": PolicyOption(
            "employee_advocacy",
            "Staff encouraged to share curated posts with tracked links; rewards and licences.",
            _base(
                participation=_a("participation", 0.5, 0.25, 0.8),
                posts_per_week=_a("posts_per_week", 1.0, 0.5, 1.5),
                link_share=_a(
                    "link_share", 0.85, 0.6, 1.0, f"{SET_IT} (advocacy tools share curated links)"
                ),
                minutes_per_post=_a("minutes_per_post", 8.0, 5.0, 15.0),
                lead_multiplier=_a("lead_multiplier", 1.2, 0.8, 2.0, f"{SET_IT}; {LINKEDIN_CTR}"),
                tools_per_month=_a("tools_per_month", 600.0, 300.0, 1000.0),
                training_hours=_a("training_hours", 2.0, 1.0, 3.0),
                training_fee=_a("training_fee", 1800.0, 0.0, 3000.0),
                hires_social_share=_a("hires_social_share", 0.35, 0.2, 0.5),
            ),
        ),
        "training": PolicyOption(
            "training",
            "Acceptable use plus training in using social media for business.",
            _base(
                participation=_a("participation", 0.35, 0.15, 0.55),
                posts_per_week=_a("posts_per_week", 0.6, 0.3, 1.2),
                link_share=_a("link_share", 0.5, 0.25, 0.8),
                lead_multiplier=_a("lead_multiplier", 1.2, 1.0, 1.6),
                training_hours=_a("training_hours", 4.0, 2.0, 8.0),
                training_fee=_a("training_fee", 3000.0, 1000.0, 6000.0),
            ),
        ),
    }


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}: must be a number, not {value!r}")
    return float(value)


SHARES = ("participation", "link_share", "service_social_share", "hires_social_share")


def parse_assumption(base: Assumption, value: Any, where: str) -> Assumption:
    """`value` (a number, or a table with central/low/high/source) over `base`."""
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"central", "low", "high", "source", "unit"})
        if unknown:
            raise ConfigError(
                f"{where}: unknown field(s) {', '.join(unknown)}; use central, low, high, source"
            )
        if "central" not in value:
            raise ConfigError(f"{where}: needs 'central'")
        central = _number(value["central"], f"{where}.central")
        low = _number(value.get("low", central), f"{where}.low")
        high = _number(value.get("high", central), f"{where}.high")
        source = value.get("source", "set in the policies file")
        if not isinstance(source, str):
            raise ConfigError(f"{where}.source: must be text")
    else:
        central = _number(value, where)
        low = high = central
        source = "set in the policies file"
    if not low <= central <= high:
        raise ConfigError(f"{where}: need low ≤ central ≤ high, got {low}, {central}, {high}")
    if base.name in SHARES and not (low >= 0 and high <= 1):
        raise ConfigError(f"{where}: a share must be between 0 and 1")
    if base.name not in ("productivity_workdays",) and low < 0:
        raise ConfigError(f"{where}: must not be negative")
    return Assumption(base.name, central, low, high, base.unit, source, from_data=False)


def parse_options(raw: Mapping[str, Any], *, where: str = "policies") -> dict[str, PolicyOption]:
    """Options from a mapping of option name → {description?, based_on?, assumption: value}.

    Options not named keep their defaults; an assumption not set keeps its default. A new
    option name needs ``based_on`` (one of OPTION_NAMES). Errors name `where`, the option and
    the key.
    """
    defaults = default_options()
    out = dict(defaults)
    for name, body in raw.items():
        here = f"{where}: [{name}]"
        if not isinstance(body, Mapping):
            raise ConfigError(f"{here}: must be a table of assumptions")
        based_on = body.get("based_on", name if name in defaults else None)
        if based_on is None:
            raise ConfigError(
                f"{here}: unknown option; options are {', '.join(OPTION_NAMES)} "
                "(or set based_on = one of them)"
            )
        if based_on not in defaults:
            raise ConfigError(f"{here} based_on: unknown option {based_on!r}")
        base = defaults[str(based_on)]
        description = body.get("description", base.description)
        if not isinstance(description, str):
            raise ConfigError(f"{here} description: must be text")
        values = dict(base.assumptions)
        for key, value in body.items():
            if key in ("description", "based_on"):
                continue
            if key not in ASSUMPTIONS:
                raise ConfigError(
                    f"{here} {key}: unknown assumption; assumptions are {', '.join(ASSUMPTIONS)}"
                )
            values[key] = parse_assumption(values[key], value, f"{here} {key}")
        out[name] = PolicyOption(name, description, values)
    return out
