"""Every number the demo company is generated from, in one place.

The structure (teams, platforms, policies, the calendar, lags, web behaviour) is fixed here; the
rates that make up the company's *world* (how each policy changes posting, reach, click-through,
the funnel's conversion rates, costs, hiring, service, referral stories) are read from
``world.toml`` beside this file. That file is the demo's own and is independent of the policy
comparison's defaults (config/policies.toml, socialroi.policy.options), so checking the policy
estimators against the demo's ground truth is not circular. ``generate(world=...)`` takes
another world: a `World` or overrides by dotted path (see `World.override`).

The generator turns these into expected rates (day by day) and samples the data from them; the
ground truth is computed from the same expected rates.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from importlib import resources
from typing import Any

COMPANY = "Northwind IT Services"
CURRENCY = "USD"
DOMAIN = "northwind-it.example"
DEFAULT_SEED = 7
DEFAULT_MONTHS = 24
DEFAULT_END = date(2026, 11, 1)
MIN_MONTHS = 6
MAX_MONTHS = 120

PLATFORMS: tuple[str, ...] = ("linkedin", "x", "facebook", "instagram")
TEAMS: tuple[str, ...] = ("Sales", "Delivery", "Marketing", "Support")
TEAM_SIZES: dict[str, int] = {"Sales": 10, "Delivery": 14, "Marketing": 6, "Support": 10}
#: Teams that move to employee advocacy; the others stay on acceptable use (the control group).
ADVOCACY_TEAMS: tuple[str, ...] = ("Sales", "Marketing")
#: Policies the timeline uses, in code order (an index into this tuple is a policy code).
POLICY_CODES: tuple[str, ...] = ("blanket_ban", "acceptable_use", "employee_advocacy")
#: Months simulated before the reported period so that pipelines are already flowing on its
#: first day (their CRM records are kept; web, social and cost rows start with the period).
WARMUP_MONTHS = 6
#: Where the switches fall in the default 24 months; scaled for other lengths.
BAN_MONTHS_OF_24 = 8
ADVOCACY_MONTH_OF_24 = 14


@dataclass(frozen=True)
class Mechanism:
    """How a policy changes one employee's posting (per calendar month)."""

    participation: float  # chance an employee posts at all in a month
    posts_per_active_month: float  # posts in a month when posting
    link_share: float  # share of posts that link to the company site
    tracked_share: float  # share of those links built as tracked links (utm + link code)
    reshare_share: float  # share of linked posts that reshare brand content (kind 'share')
    reach_multiplier: float  # impressions per post relative to the staff baseline
    identify_multiplier: float  # visitor → contact rate relative to the funnel's baseline


@dataclass(frozen=True)
class Platform:
    brand_followers: int  # company page followers at the start
    brand_growth: float  # page follower growth per month (compounded)
    brand_posts_per_month: float
    brand_link_share: float
    brand_tracked_share: float
    brand_impressions_per_follower: float
    staff_impressions_per_follower: float
    ctr: float  # clicks per impression for a brand post with a link
    engagement_rate: float  # reactions, comments, shares per impression
    conversations_per_impression: float  # replies/mentions/DMs that become a CRM contact (staff)
    staff_account_share: float  # chance an employee has an account here
    staff_network: float  # mean followers/connections of a staff account (linkedin: scaled)
    staff_post_weight: float  # how often staff pick this platform when posting
    referrers: tuple[str, ...]  # GA4 sources of clicks on untagged links
    ad_spend: float  # monthly paid-social budget
    cpc: float


@dataclass(frozen=True)
class Funnel:
    """From an origin event (a click, a conversation, a visit…) to revenue."""

    lead_source: str  # leads.source of the leads it creates
    web: bool  # the origin is a web visit (a session is recorded)
    p_session: float  # origin → recorded session (clicks lost before analytics loads)
    p_identify: float  # session (or conversation) → contact
    contact_lag: str  # name of the lag pmf from origin to contact
    p_lead: float
    p_deal: float
    p_won: float
    mean_amount: float
    amount_sigma: float  # lognormal sigma of the deal amount


@dataclass(frozen=True)
class Staff:
    hourly_wage: dict[str, float]
    loaded_multiplier: float  # loaded cost ÷ wage
    advocate_share: float  # share of advocacy-team staff enrolled as advocates
    annual_turnover: float
    minutes_per_post: dict[str, float]
    minutes_per_conversation: float
    minutes_per_brand_post: float


@dataclass(frozen=True)
class Costs:
    tools_per_month: float  # scheduler, analytics, link shortener
    advocacy_licence_per_advocate: float
    reward_per_active_advocate: float
    advocacy_training_hours: float
    advocacy_trainer_fee: float
    policy_briefing_hours: float  # every employee, when the ban is lifted
    monitoring_per_seat: float  # during the ban
    monitoring_admin_hours: float  # IT admin time a month during the ban
    # Not a cash cost: workdays per employee a year, signed. Kept in the ground truth and the
    # policy periods' parameters; the costs table holds only what was paid.
    ban_productivity_workdays: float
    partial_block_productivity_workdays: float


@dataclass(frozen=True)
class Stories:
    """Planted referral stories: a client won through a social contact introduces firms that buy,
    some of which introduce more (see world.toml)."""

    count: int
    platform: str
    referred_by: tuple[int, ...]  # per introduced firm k (1-based), who introduced it (0 = root)
    referral_days: tuple[int, int]  # range of days from the referrer's win to the introduction
    lead_days: tuple[int, int]
    deal_days: tuple[int, int]
    close_days: tuple[int, int]


@dataclass(frozen=True)
class World:
    """Every tunable number the demo company is generated from (world.toml, or overrides)."""

    mechanisms: dict[str, Mechanism]
    platform: dict[str, Platform]
    staff_network_multiple: float
    staff_ctr_multiplier: float
    brand_conversation_factor: float
    team_network_factor: dict[str, float]
    funnels: dict[str, Funnel]
    channel_sessions: dict[str, float]
    seasonality: tuple[float, ...]
    trend_per_month: float
    staff: Staff
    costs: Costs
    hire_mix: dict[str, tuple[float, ...]]
    hire_cost: dict[str, float]
    service_cases_per_month: float
    service_mix: dict[str, tuple[float, ...]]
    service_minutes: dict[str, float]
    referrals_per_win: float
    legacy_referrals_per_month: float
    stories: Stories

    def override(self, changes: Mapping[str, Any]) -> World:
        """A copy with values replaced by dotted path, e.g.
        ``{"mechanisms.employee_advocacy.participation": 0.3, "costs.monitoring_per_seat": 9}``
        or a knob of WORLD_KNOBS (``{"participation": 0.3}``). Raises ValueError for an unknown
        path, TypeError for a value of the wrong kind."""
        out: World = self
        for raw, value in changes.items():
            path = WORLD_KNOBS.get(raw, raw)
            out = _replace_path(out, path.split("."), value, path)
        return out

    def as_dict(self) -> dict[str, Any]:
        """The world as plain JSON-ready values."""
        out: dict[str, Any] = json.loads(json.dumps(asdict(self)))
        return out


#: Short names for the parameters the validation varies between worlds.
WORLD_KNOBS: dict[str, str] = {
    "participation": "mechanisms.employee_advocacy.participation",
    "lead_multiplier": "mechanisms.employee_advocacy.identify_multiplier",
    "reach_multiplier": "mechanisms.employee_advocacy.reach_multiplier",
    "ban_workdays": "costs.ban_productivity_workdays",
}


def _replace_path(node: Any, keys: list[str], value: Any, path: str) -> Any:
    key, rest = keys[0], keys[1:]
    if isinstance(node, dict):
        if key not in node:
            raise ValueError(
                f"unknown world parameter {path!r} ({key!r} is not one of {list(node)})"
            )
        new = value if not rest else _replace_path(node[key], rest, value, path)
        return {**node, key: _coerce(node[key], new, path) if not rest else new}
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        names = [f.name for f in dataclasses.fields(node)]
        if key not in names:
            raise ValueError(f"unknown world parameter {path!r} ({key!r} is not one of {names})")
        old = getattr(node, key)
        new = _coerce(old, value, path) if not rest else _replace_path(old, rest, value, path)
        return dataclasses.replace(node, **{key: new})
    raise ValueError(f"unknown world parameter {path!r}")


def _coerce(old: Any, value: Any, path: str) -> Any:
    if isinstance(old, bool | str):
        if type(value) is not type(old):
            raise TypeError(f"world parameter {path!r} must be {type(old).__name__}")
        return value
    if isinstance(old, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"world parameter {path!r} must be a number, not {value!r}")
        return type(old)(value)
    if isinstance(old, tuple):
        return tuple(value)
    return value


def _pair(v: Any) -> tuple[int, int]:
    a, b = v
    return int(a), int(b)


def world_from_mapping(raw: Mapping[str, Any]) -> World:
    """A World from a parsed world file (see world.toml for the keys)."""
    st, sto = raw["staff"], raw["stories"]
    return World(
        mechanisms={k: Mechanism(**v) for k, v in raw["mechanisms"].items()},
        platform={
            k: Platform(**{**v, "referrers": tuple(v["referrers"])})
            for k, v in raw["platform"].items()
        },
        staff_network_multiple=float(raw["staff_network_multiple"]),
        staff_ctr_multiplier=float(raw["staff_ctr_multiplier"]),
        brand_conversation_factor=float(raw["brand_conversation_factor"]),
        team_network_factor={k: float(v) for k, v in raw["team_network_factor"].items()},
        funnels={k: Funnel(**v) for k, v in raw["funnels"].items()},
        channel_sessions={k: float(v) for k, v in raw["channel_sessions"].items()},
        seasonality=tuple(float(x) for x in raw["seasonality"]),
        trend_per_month=float(raw["trend_per_month"]),
        staff=Staff(**st),
        costs=Costs(**raw["costs"]),
        hire_mix={k: tuple(float(x) for x in v) for k, v in raw["hire_mix"].items()},
        hire_cost={k: float(v) for k, v in raw["hire_cost"].items()},
        service_cases_per_month=float(raw["service_cases_per_month"]),
        service_mix={k: tuple(float(x) for x in v) for k, v in raw["service_mix"].items()},
        service_minutes={k: float(v) for k, v in raw["service_minutes"].items()},
        referrals_per_win=float(raw["referrals_per_win"]),
        legacy_referrals_per_month=float(raw["legacy_referrals_per_month"]),
        stories=Stories(
            count=int(sto["count"]),
            platform=str(sto["platform"]),
            referred_by=tuple(int(x) for x in sto["referred_by"]),
            referral_days=_pair(sto["referral_days"]),
            lead_days=_pair(sto["lead_days"]),
            deal_days=_pair(sto["deal_days"]),
            close_days=_pair(sto["close_days"]),
        ),
    )


def load_world(text: str | None = None) -> World:
    """The world in `text` (TOML), or the packaged world.toml."""
    if text is None:
        text = resources.files("socialroi.demo").joinpath(WORLD_FILE).read_text(encoding="utf-8")
    return world_from_mapping(tomllib.loads(text))


WORLD_FILE = "world.toml"
#: The demo's own world, as world.toml sets it.
DEFAULT_WORLD = load_world()

# The active world's values under their historical module names. The generator reads these
# names; `using(world)` rebinds them for the length of one generation (serialised by a lock, so
# concurrent generations with different worlds never mix).
_NAMES: dict[str, str] = {
    "MECHANISMS": "mechanisms",
    "PLATFORM": "platform",
    "STAFF_NETWORK_MULTIPLE": "staff_network_multiple",
    "STAFF_CTR_MULTIPLIER": "staff_ctr_multiplier",
    "BRAND_CONVERSATION_FACTOR": "brand_conversation_factor",
    "TEAM_NETWORK_FACTOR": "team_network_factor",
    "FUNNELS": "funnels",
    "CHANNEL_SESSIONS": "channel_sessions",
    "SEASONALITY": "seasonality",
    "TREND_PER_MONTH": "trend_per_month",
    "STAFF": "staff",
    "COSTS": "costs",
    "HIRE_MIX": "hire_mix",
    "HIRE_COST": "hire_cost",
    "SERVICE_CASES_PER_MONTH": "service_cases_per_month",
    "SERVICE_MIX": "service_mix",
    "SERVICE_MINUTES": "service_minutes",
    "REFERRALS_PER_WIN": "referrals_per_win",
    "LEGACY_REFERRALS_PER_MONTH": "legacy_referrals_per_month",
    "STORIES": "stories",
}
MECHANISMS: dict[str, Mechanism] = DEFAULT_WORLD.mechanisms
PLATFORM: dict[str, Platform] = DEFAULT_WORLD.platform
STAFF_NETWORK_MULTIPLE: float = DEFAULT_WORLD.staff_network_multiple
STAFF_CTR_MULTIPLIER: float = DEFAULT_WORLD.staff_ctr_multiplier
BRAND_CONVERSATION_FACTOR: float = DEFAULT_WORLD.brand_conversation_factor
TEAM_NETWORK_FACTOR: dict[str, float] = DEFAULT_WORLD.team_network_factor
FUNNELS: dict[str, Funnel] = DEFAULT_WORLD.funnels
CHANNEL_SESSIONS: dict[str, float] = DEFAULT_WORLD.channel_sessions
SEASONALITY: tuple[float, ...] = DEFAULT_WORLD.seasonality
TREND_PER_MONTH: float = DEFAULT_WORLD.trend_per_month
STAFF: Staff = DEFAULT_WORLD.staff
COSTS: Costs = DEFAULT_WORLD.costs
HIRE_MIX: dict[str, tuple[float, ...]] = DEFAULT_WORLD.hire_mix
HIRE_COST: dict[str, float] = DEFAULT_WORLD.hire_cost
SERVICE_CASES_PER_MONTH: float = DEFAULT_WORLD.service_cases_per_month
SERVICE_MIX: dict[str, tuple[float, ...]] = DEFAULT_WORLD.service_mix
SERVICE_MINUTES: dict[str, float] = DEFAULT_WORLD.service_minutes
REFERRALS_PER_WIN: float = DEFAULT_WORLD.referrals_per_win
LEGACY_REFERRALS_PER_MONTH: float = DEFAULT_WORLD.legacy_referrals_per_month
STORIES: Stories = DEFAULT_WORLD.stories

_LOCK = threading.RLock()


def current() -> World:
    """The world the module names hold now."""
    g = globals()
    return World(**{field: g[name] for name, field in _NAMES.items()})


@contextmanager
def using(world: World) -> Iterator[World]:
    """Hold `world` in the module names while the block runs (one generation at a time)."""
    with _LOCK:
        g = globals()
        saved = {name: g[name] for name in _NAMES}
        g.update({name: getattr(world, field) for name, field in _NAMES.items()})
        try:
            yield world
        finally:
            g.update(saved)


HIRE_SOURCES: tuple[str, ...] = ("social", "employee_referral", "job_board", "agency")
SERVICE_CHANNELS: tuple[str, ...] = ("phone", "email", "chat", "x", "facebook", "linkedin")


#: GA4 source/medium of each channel's sessions: (source, medium, weight).
CHANNEL_SOURCES: dict[str, tuple[tuple[str, str, float], ...]] = {
    "organic_search": (
        ("google", "organic", 0.86),
        ("bing", "organic", 0.1),
        ("duckduckgo", "organic", 0.04),
    ),
    "direct": (("(direct)", "(none)", 1.0),),
    "paid_search": (("google", "cpc", 1.0),),
    "web_referral": (
        ("clutch.co", "referral", 0.5),
        ("partners.example.com", "referral", 0.3),
        ("github.com", "referral", 0.2),
    ),
    "social_other": (
        ("linkedin.com", "referral", 0.45),
        ("lnkd.in", "referral", 0.2),
        ("t.co", "referral", 0.15),
        ("m.facebook.com", "referral", 0.12),
        ("l.instagram.com", "referral", 0.08),
    ),
}
#: Weekday / weekend activity factors (mean over a week is 1).
WEEKDAY_FACTOR = 1.2
WEEKEND_FACTOR = 0.5


@dataclass(frozen=True)
class Lag:
    """A lag in whole days: `p0` at `zero`, the rest geometric with rate `q` over [first, last]."""

    first: int
    last: int
    q: float
    p0: float = 0.0


LAGS: dict[str, Lag] = {
    "click": Lag(1, 6, 0.45, p0=0.62),  # post → click
    "conversation": Lag(1, 5, 0.5, p0=0.6),  # post → reply, mention or DM
    "contact_web": Lag(1, 45, 0.10, p0=0.55),  # first visit → form fill
    "contact_conversation": Lag(1, 4, 0.5, p0=0.5),  # conversation → CRM contact
    "contact_now": Lag(0, 0, 1.0, p0=1.0),
    "lead": Lag(1, 90, 0.06, p0=0.15),  # contact → lead
    "deal": Lag(3, 90, 0.05),  # lead → deal
    "close": Lag(14, 240, 0.02),  # deal → won or lost
    "return": Lag(1, 90, 0.05),  # a visitor's later visits
    "referral": Lag(30, 365, 0.01),  # a won client → an introduction
}

#: Later visits per visitor and where they come from.
RETURN_VISITS = 0.4
RETURN_CHANNELS: tuple[tuple[str, str, float], ...] = (
    ("(direct)", "(none)", 0.5),
    ("google", "organic", 0.3),
    ("google", "cpc", 0.1),
    ("newsletter", "email", 0.1),
)
SECOND_DEVICE_SHARE = 0.2  # identified visitors who also visit from a second device
CONTINUATION_SHARE = 0.08  # click-id sessions split again with a fresh visitor id (consent reset)
KNOWN_CONTACT_VISIT_SHARE = 0.3  # conversation/event/referral contacts who later visit the site
NEWSLETTER_CLICK_RATE = 0.03
EMAIL_TOUCHES_BEFORE_LEAD = 1.2  # sales-sequence replies between contact and lead (mean)
FOLLOW_UP_ENGAGEMENTS = 0.4  # later engagements per contact with a LinkedIn handle (mean)
LEGACY_CLIENTS = 60
EVENT_EVERY_MONTHS = 4
EVENT_NEW_CONTACTS = 30.0
EVENT_KNOWN_ATTENDEES = 12.0


def as_dict() -> dict[str, Any]:
    """The active world and the structure as plain JSON-ready values (written next to the data
    as ground truth)."""
    w = current().as_dict()
    return {
        "company": COMPANY,
        "currency": CURRENCY,
        "teams": dict(TEAM_SIZES),
        "advocacy_teams": list(ADVOCACY_TEAMS),
        "mechanisms": w["mechanisms"],
        "platforms": w["platform"],
        "staff_network_multiple": w["staff_network_multiple"],
        "staff_ctr_multiplier": w["staff_ctr_multiplier"],
        "brand_conversation_factor": w["brand_conversation_factor"],
        "team_network_factor": w["team_network_factor"],
        "funnels": w["funnels"],
        "channel_sessions_per_month": w["channel_sessions"],
        "seasonality": w["seasonality"],
        "trend_per_month": w["trend_per_month"],
        "weekday_factor": WEEKDAY_FACTOR,
        "weekend_factor": WEEKEND_FACTOR,
        "lags": {k: asdict(v) for k, v in LAGS.items()},
        "return_visits": RETURN_VISITS,
        "second_device_share": SECOND_DEVICE_SHARE,
        "continuation_share": CONTINUATION_SHARE,
        "staff": w["staff"],
        "costs": w["costs"],
        "hire_mix": w["hire_mix"],
        "hire_cost": w["hire_cost"],
        "service_mix": w["service_mix"],
        "referrals_per_win": w["referrals_per_win"],
        "legacy_referrals_per_month": w["legacy_referrals_per_month"],
        "stories": w["stories"],
    }
