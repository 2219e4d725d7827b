"""Plain words for the report: what attribution models, policies and assumptions are called for a
reader, a one-line definition of each, and the glossary at the end of the report.

Code names (``j_shaped``, ``won_per_lead``) stay in the CLI, the exports and the config; the
report shows these labels and puts the definition in a hover title.
"""

from __future__ import annotations

import re

from socialroi.core.sourced import MEANING, SOCIAL_CREDITED, SOCIAL_SOURCED
from socialroi.reports._format import html_text

#: Attribution model → (label, one-line definition).
MODELS: dict[str, tuple[str, str]] = {
    "first_touch": ("First touch", "All the credit goes to the contact's first touch."),
    "last_touch": ("Last touch", "All the credit goes to the last touch before the conversion."),
    "last_non_direct": (
        "Last non-direct touch",
        "All the credit goes to the last touch that was not a direct visit.",
    ),
    "linear": ("Equal shares", "Every touch on the way gets the same share."),
    "time_decay": (
        "Recent touches count more",
        "A touch's share halves for every half-life (7 days by default) before the conversion.",
    ),
    "position_based": (
        "First and last",
        "40% to the first touch, 40% to the last, 20% shared by the touches between.",
    ),
    "u_shaped": (
        "First and lead-creating",
        "40% to the first touch, 40% to the touch that created the lead, 20% to the rest.",
    ),
    "w_shaped": (
        "First, lead and deal",
        "30% each to the first touch and the touches that created the lead and the deal; "
        "10% to the rest.",
    ),
    "full_path": (
        "Full path",
        "22.5% each to the first touch, the lead- and deal-creating touches and the last; "
        "10% to the rest.",
    ),
    "j_shaped": ("Mostly last", "60% to the last touch, 20% to the first, 20% to the rest."),
    "inverse_j": ("Mostly first", "60% to the first touch, 20% to the last, 20% to the rest."),
    "markov": (
        "Learned from journeys (removal)",
        "Learned from the data: a channel's share is the conversions that would be lost "
        "without it, from journeys that converted and journeys that did not.",
    ),
    "shapley": (
        "Learned from journeys (fair shares)",
        "Learned from the data: each channel's average extra conversion rate over every order "
        "in which the channels could have joined a journey.",
    ),
}

#: Policy option → its label, as the policy engine names them (fallback when it is missing).
_POLICIES: dict[str, str] = {
    "blanket_ban": "Ban social media at work",
    "acceptable_use": "Acceptable use",
    "dedicated_manager": "Dedicated social media manager",
    "employee_advocacy": "Employee advocacy",
    "training": "Training",
}
try:
    from socialroi.policy.options import LABELS as POLICIES
except ImportError:  # pragma: no cover - an older policy engine
    POLICIES = _POLICIES

#: Rates and assumptions of the policy projection → a plain label.
ASSUMPTIONS: dict[str, str] = {
    "participation": "Staff who post for the company",
    "posts_per_week": "Posts per posting employee per week",
    "link_share": "Staff posts that link to your site",
    "minutes_per_post": "Staff time per post",
    "reach_per_post": "People who see one staff post",
    "lead_multiplier": "Leads per view, against today's posts",
    "brand_posts_multiplier": "Brand-account posting, against today",
    "fte": "People hired or assigned to run social media",
    "tools_per_month": "Tools and licences per month",
    "training_hours": "Training time per employee",
    "training_fee": "Trainer or course fee",
    "monitoring_per_seat": "Monitoring software per employee per month",
    "productivity_workdays": "Work time gained or lost per employee",
    "service_social_share": "Service cases handled on social channels",
    "hires_social_share": "Hires found through social media",
    "clicks_per_impression": "Clicks per view of a post",
    "conversation_leads_per_impression": "Leads from conversations per view",
    "leads_per_click": "Leads per click",
    "brand_leads_per_month": "Leads from brand accounts per month",
    "won_per_lead": "Share of leads won",
    "value_per_won": "Value of a won deal",
    "wage": "Loaded wage per hour",
    "service_cases_per_month": "Service cases per month",
    "service_saving_per_case": "Saving per case handled on social",
    "hires_per_month": "Hires per month",
    "hire_saving": "Saving per hire found on social",
}


def _plain(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


def channel_words(channel: object) -> str:
    """A channel as words: ``organic_search`` → ``organic search``, ``(unattributed)`` kept."""
    return "" if channel is None else str(channel).replace("_", " ")


def model_label(model: str) -> str:
    """The model's label (an unknown model: its name in words)."""
    return MODELS.get(model, (_plain(model), ""))[0]


def model_definition(model: str) -> str:
    return MODELS.get(model, ("", "A model from the attribution registry."))[1]


def model_html(model: str, *, bold: bool = False) -> str:
    """The label in HTML, its definition in a hover title."""
    label = html_text(model_label(model))
    label = f"<b>{label}</b>" if bold else label
    return f'<span class="term" title="{html_text(model_definition(model))}">{label}</span>'


def policy_label(policy: str) -> str:
    return POLICIES.get(policy, _plain(policy))


def assumption_label(name: str) -> str:
    return ASSUMPTIONS.get(name, _plain(name))


#: The glossary: term → meaning, in reading order.
GLOSSARY: dict[str, str] = {
    f"{SOCIAL_CREDITED.capitalize()} revenue": (
        f"The won-deal value that the chosen attribution model gives to social touches: "
        f"{MEANING[SOCIAL_CREDITED]}. ROI uses this figure."
    ),
    f"{SOCIAL_SOURCED.capitalize()} revenue": (
        f"The whole value of won deals whose contact first came through social media: "
        f"{MEANING[SOCIAL_SOURCED]}."
    ),
    "Attribution model": (
        "A rule (or a model learned from the data) that shares each lead or deal among the "
        "touches that came before it."
    ),
    "Lookback": "How far before a lead or deal a touch may be and still share in it.",
    "Open pipeline": "The value of deals not yet won or lost at the report date.",
    "ROI": (
        "Return on investment: (revenue − cost) ÷ cost. Shown only where the cost is material; "
        "a small cost makes any ratio huge and meaningless."
    ),
    "Revenue per $1 of cost": "Revenue divided by cost: how much came back for each unit spent.",
    "Click": "A click on a link in one of your posts, as the platform counts it.",
    "Session": (
        "A visit to your website that came from a social platform. Sessions include visits that "
        "did not start with a tracked click (a link in a profile, a post by someone else, a "
        "shared link), so there can be more sessions than clicks."
    ),
    "Gain over today's policy": (
        "What an option adds to (or takes from) the net value of carrying on as now, after its "
        "own costs."
    ),
    "90% range": (
        "The middle 90% of the simulated or estimated outcomes: the result is expected to fall "
        "inside it nine times in ten."
    ),
    "Chance best": "The share of simulations in which an option comes out ahead of all others.",
    "Before/after comparison": (
        "The months after a policy change against what the months before predict for them "
        "(season and trend included)."
    ),
    "Comparison with teams that did not switch": (
        "The change in the teams that switched minus the change, over the same months, in the "
        "teams that did not."
    ),
    "Referral chain": (
        "A client who referred another, who referred another: a deal's value flows back up the "
        "chain, less at every step."
    ),
    "Match rate": "The share of social website visits tied to a known contact.",
}


_OTHER = {"policy_periods": "your recorded policy periods"}
_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def plain(text: str) -> str:
    """`text` with the code names of policies and assumptions in it replaced by their labels
    (``acceptable_use 59%`` → ``Acceptable use 59%``); other words untouched."""

    def one(m: re.Match[str]) -> str:
        word = m.group(0)
        if word in POLICIES:
            return POLICIES[word]
        if word in ASSUMPTIONS:
            return ASSUMPTIONS[word].lower()
        return _OTHER.get(word, word)

    return _CODE.sub(one, text)


def glossary_html() -> str:
    items = "".join(f"<dt>{html_text(t)}</dt><dd>{html_text(d)}</dd>" for t, d in GLOSSARY.items())
    return f'<dl class="glossary">{items}</dl>'
