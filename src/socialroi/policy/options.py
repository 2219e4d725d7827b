"""Policy options and their assumptions: defaults in code, each with a range, a unit and a source.

An option (``blanket_ban``, ``acceptable_use``, ``dedicated_manager``, ``employee_advocacy``,
``training``) is a set of `Assumption` values. Each has a central value, a range (low/high) that
carries its uncertainty into the projection, a unit, and a source: a citation
(research on workplace social-media policy), "estimated from your data (…)" once the funnel has
replaced it, or "assumption: set this for your company". Each also says where it came from
(``basis``: ``data``, ``cited``, ``default`` — a value the user must set —, ``user`` or
``definition``), how good the cited evidence is (``evidence``) and, for money, the currency its
value is in (``currency``; the built-in money defaults are in USD and are converted with the
config's ``[policy] fx`` rates or refused, see `in_currency`). `parse_options` turns a mapping (a
TOML file's contents) into options over these defaults. Pure: no files.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import special

from socialroi.errors import ConfigError, DataError

Dist = Literal["triangular", "gamma", "beta"]
#: Where a value came from: the company's data, a cited source, a default the user must set, the
#: user's own file, or the option's definition (a ban has no staff posting).
Basis = Literal["data", "cited", "default", "user", "definition"]
#: The currency of the built-in money defaults.
DEFAULT_CURRENCY = "USD"

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
ADVOCACY_PARTICIPATION = (
    "low: LinkedIn UK blog, 2017-01-31, about 3% of a typical company's employees share its "
    "content; central: Pew Research Center, 'Social Media and the Workplace' (2016), 24% of "
    "workers use social media at work to make or support professional connections and 14% use "
    "LinkedIn for work, and Weber Shandwick/KRC 'Employees Rising' (2014), 21% of employees "
    "are 'ProActivists' who act for their employer; high: the same Weber Shandwick survey, 50% "
    "post about their employer 'often or from time to time' (ever, not in a given month)"
)

#: How far each cited source carries (shown beside it in the policies file and the report).
EVIDENCE: dict[str, str] = {
    CHEN_CHAN: (
        "4-week randomised trial, 217 people, blocker software on their computers — not a "
        "company-wide ban; a year's effect extrapolated from 4 weeks"
    ),
    BLS: "official US statistics, all industries: a national average, not your payroll",
    LINKEDIN_CTR: "vendor blog post, no method or sample published: a marketing claim",
    LINKEDIN_REACH: "vendor blog post, no method or sample published: a marketing claim",
    PEW: "US survey of workers (2016), self-reported use at work — not posting for the company",
    SERVICE_COSTS: "analyst and vendor benchmarks of cost per contact, not measured at your firm",
    SHRM: "US benchmarking survey, average over industries and roles",
    ADVOCACY_PARTICIPATION: (
        "weak and indirect: no study measures the share of staff posting in a month under an "
        "advocacy programme. The low end is a vendor figure with no method published, the "
        "central value rests on surveys of use (Pew: 795 US workers, fielded 2014; Weber "
        "Shandwick: online, 2,300 employees in 15 countries, self-reported), the high end is "
        "what half of staff say they have ever done. Hence the wide range: a pilot's "
        "own numbers replace it"
    ),
}

#: The five options every comparison knows.
OPTION_NAMES: tuple[str, ...] = (
    "blanket_ban",
    "acceptable_use",
    "dedicated_manager",
    "employee_advocacy",
    "training",
)

#: How the options are named for people.
LABELS: dict[str, str] = {
    "blanket_ban": "Ban social media at work",
    "acceptable_use": "Acceptable use",
    "dedicated_manager": "Dedicated social media manager",
    "employee_advocacy": "Employee advocacy",
    "training": "Training",
}


def option_label(name: str) -> str:
    """The label of a built-in option, else the name with spaces ("advocacy_lite" → "Advocacy
    lite")."""
    if name in LABELS:
        return LABELS[name]
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else name


#: Assumptions that are amounts of money (converted between currencies).
MONEY: frozenset[str] = frozenset({"tools_per_month", "training_fee", "monitoring_per_seat"})

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
    basis: Basis = "default"
    #: How far a cited source carries ('' when not cited).
    evidence: str = ""
    #: The currency of a money value (None: not money, or already in the reporting currency).
    currency: str | None = None

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

    @property
    def mean(self) -> float:
        """The mean of the distribution the projection draws from (a triangular's is
        (low + central + high) / 3, not its central value)."""
        if self.dist == "gamma":
            return self.a * self.b
        if self.dist == "beta":
            return self.a / (self.a + self.b)
        return (self.low + self.central + self.high) / 3

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """`n` draws (a constant array when the range is empty)."""
        return self.quantile(rng.random(n))

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The value at uniforms `u` (inverse CDF): one uniform per draw gives every option the
        same rank of the same input. Constant when fixed."""
        if self.dist in ("gamma", "beta"):
            # exact quantiles on a fine probit grid, interpolated (fast for many draws)
            z = special.ndtri(np.asarray(u, dtype=float))
            return np.asarray(np.interp(z, _GRID_Z, self._grid()))
        if self.fixed:
            return np.full(len(u), self.central)
        return triangular(u, self.low, self.central, self.high)

    def _grid(self) -> np.ndarray:
        if self.dist == "gamma":
            return np.asarray(special.gammaincinv(self.a, _GRID_U) * self.b, dtype=float)
        return np.asarray(special.betaincinv(self.a, self.b, _GRID_U), dtype=float)

    def with_value(self, value: float) -> Assumption:
        """The same assumption held at `value` (no uncertainty): for sensitivity swings."""
        return dataclasses.replace(
            self, central=value, low=value, high=value, dist="triangular", a=0.0, b=0.0
        )


#: The probit grid posterior quantiles are computed on (±8.5 standard deviations).
_GRID_Z = np.linspace(-8.5, 8.5, 3401)
_GRID_U = special.ndtr(_GRID_Z)


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
    #: The name people read ("Employee advocacy"); empty: from `LABELS` or the name.
    title: str = ""

    @property
    def label(self) -> str:
        return self.title or option_label(self.name)

    def __getitem__(self, key: str) -> Assumption:
        return self.assumptions[key]

    def replace(self, **values: Assumption) -> PolicyOption:
        return dataclasses.replace(self, assumptions={**self.assumptions, **values})


def _a(
    name: str, central: float, low: float, high: float, source: str = SET_IT, *, cited: str = ""
) -> Assumption:
    """A built-in default; `cited` is the source it rests on (its evidence is stated)."""
    money = name in MONEY and high > 0
    return Assumption(
        name,
        central,
        low,
        high,
        ASSUMPTIONS[name][0],
        source,
        basis="cited" if cited else "default",
        evidence=EVIDENCE.get(cited, ""),
        currency=DEFAULT_CURRENCY if money else None,
    )


def _def(name: str, value: float, source: str) -> Assumption:
    """A value fixed by what the option is (a ban has no staff posting)."""
    return Assumption(name, value, value, value, ASSUMPTIONS[name][0], source, basis="definition")


def _zero(name: str) -> Assumption:
    return _def(name, 0.0, "none under this option")


_STAFF_REACH = _a(
    "reach_per_post",
    400.0,
    150.0,
    1200.0,
    f"assumption (no staff post metrics in your data); compare {LINKEDIN_REACH}",
)


ADVOCACY_MULTIPLIER = (
    f"{SET_IT}: no study compares how staff shares of curated company posts turn views into "
    "leads against the staff's own posts, so 1 (no change) with a wide range; not "
    f"{LINKEDIN_CTR} — that compares staff with the company page and is already in the rates "
    "measured on your staff's posts"
)


def _base(**over: Assumption) -> dict[str, Assumption]:
    """acceptable_use: responsible personal use, no programme, some organic staff posting."""
    base = {
        "participation": _a("participation", 0.25, 0.10, 0.45, f"{SET_IT}; compare {PEW}"),
        "posts_per_week": _a("posts_per_week", 0.5, 0.25, 1.0),
        "link_share": _a("link_share", 0.35, 0.15, 0.6),
        "minutes_per_post": _a("minutes_per_post", 15.0, 8.0, 25.0),
        "reach_per_post": _STAFF_REACH,
        "lead_multiplier": _def("lead_multiplier", 1.0, "your staff's posts as they are"),
        "brand_posts_multiplier": _def(
            "brand_posts_multiplier", 1.0, "brand accounts post as they do now"
        ),
        "fte": _zero("fte"),
        "tools_per_month": _def("tools_per_month", 0.0, "no new tools"),
        "training_hours": _a("training_hours", 1.0, 0.5, 1.5, f"{SET_IT} (a policy briefing)"),
        "training_fee": _zero("training_fee"),
        "monitoring_per_seat": _zero("monitoring_per_seat"),
        "productivity_workdays": _a(
            "productivity_workdays",
            0.0,
            -3.0,
            6.2,
            f"the no-blocking group of {CHEN_CHAN}",
            cited=CHEN_CHAN,
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
                participation=_def("participation", 0.0, "no staff posting under a ban"),
                posts_per_week=_zero("posts_per_week"),
                link_share=_zero("link_share"),
                training_hours=_zero("training_hours"),
                monitoring_per_seat=_a("monitoring_per_seat", 6.0, 3.0, 12.0),
                productivity_workdays=_a(
                    "productivity_workdays", -20.3, -30.0, -10.0, CHEN_CHAN, cited=CHEN_CHAN
                ),
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
                # Few staff post even when asked to (see ADVOCACY_PARTICIPATION): a programme
                # is projected at about one in five, anywhere from 3% to half of staff.
                participation=_a(
                    "participation",
                    0.2,
                    0.03,
                    0.5,
                    ADVOCACY_PARTICIPATION,
                    cited=ADVOCACY_PARTICIPATION,
                ),
                posts_per_week=_a("posts_per_week", 1.0, 0.5, 1.5),
                link_share=_a(
                    "link_share", 0.85, 0.6, 1.0, f"{SET_IT} (advocacy tools share curated links)"
                ),
                minutes_per_post=_a("minutes_per_post", 8.0, 5.0, 15.0),
                # No study compares staff shares of curated company posts with the staff's
                # own posts, which the funnel's rates are measured on: no change expected, with
                # a wide range. LinkedIn's 2x compares staff shares with the company page; it is
                # already in rates measured on staff posts (and in the funnel's fallback
                # click-through rate, twice the brand's), so it must not be applied again.
                lead_multiplier=_a("lead_multiplier", 1.0, 0.6, 1.6, ADVOCACY_MULTIPLIER),
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
    """`value` (a number, or a table with central/low/high/source/evidence/currency) over `base`.

    A money value is in the reporting currency unless its table names another ``currency``."""
    currency: str | None = None
    evidence = ""
    if isinstance(value, Mapping):
        fields = {"central", "low", "high", "source", "unit", "evidence", "currency"}
        unknown = sorted(set(value) - fields)
        if unknown:
            raise ConfigError(
                f"{where}: unknown field(s) {', '.join(unknown)}; use central, low, high, "
                "source, evidence, currency"
            )
        if "central" not in value:
            raise ConfigError(f"{where}: needs 'central'")
        central = _number(value["central"], f"{where}.central")
        low = _number(value.get("low", central), f"{where}.low")
        high = _number(value.get("high", central), f"{where}.high")
        source = value.get("source", "set in the policies file")
        if not isinstance(source, str):
            raise ConfigError(f"{where}.source: must be text")
        evidence = value.get("evidence", "")
        if not isinstance(evidence, str):
            raise ConfigError(f"{where}.evidence: must be text")
        given = value.get("currency")
        if given is not None:
            if base.name not in MONEY:
                raise ConfigError(f"{where}.currency: {base.name} is not an amount of money")
            if not isinstance(given, str) or not given.strip():
                raise ConfigError(f"{where}.currency: must be a currency code such as 'EUR'")
            currency = given.strip().upper()
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
    return Assumption(
        base.name,
        central,
        low,
        high,
        base.unit,
        source,
        from_data=False,
        # a file value with stated evidence is cited; one still marked "assumption" is a
        # default left for the user to set; any other is the user's own
        basis="cited" if evidence else "default" if source.startswith("assumption") else "user",
        evidence=evidence,
        currency=currency,
    )


def in_currency(a: Assumption, currency: str, fx: Mapping[str, float]) -> Assumption | None:
    """`a` with its money value in `currency`: as it is when it has no currency of its own or the
    same one; converted with ``fx[its currency]`` (units of `currency` per unit of it) when the
    rate is given; None when it cannot be converted (no rate)."""
    if a.currency is None or a.currency == currency:
        return a
    rate = fx.get(a.currency)
    if rate is None:
        return None
    source = f"{a.source} (converted from {a.currency} at {rate:g} {currency} per {a.currency})"
    if a.dist == "gamma":
        return dataclasses.replace(
            a,
            central=a.central * rate,
            low=a.low * rate,
            high=a.high * rate,
            b=a.b * rate,
            source=source,
            currency=currency,
        )
    return dataclasses.replace(
        a,
        central=a.central * rate,
        low=a.low * rate,
        high=a.high * rate,
        source=source,
        currency=currency,
    )


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
        title = body.get("label", base.title if name == based_on else "")
        if not isinstance(title, str):
            raise ConfigError(f"{here} label: must be text")
        values = dict(base.assumptions)
        for key, value in body.items():
            if key in ("description", "based_on", "label"):
                continue
            if key not in ASSUMPTIONS:
                raise ConfigError(
                    f"{here} {key}: unknown assumption; assumptions are {', '.join(ASSUMPTIONS)}"
                )
            values[key] = parse_assumption(values[key], value, f"{here} {key}")
        out[name] = PolicyOption(name, description, values, title)
    return out
