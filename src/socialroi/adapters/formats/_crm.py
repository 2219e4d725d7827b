"""What the CRM formats (and the HubSpot pull) share: deal outcomes, contact keys, lead sources.

Deal outcome from a stage or status label, in the languages CRMs export in: a label holding one
of the words ``won``, ``gewonnen``, ``gagné``, ``ganado``/``ganada``, ``ganho``/``ganha`` (or the
API ids ``closedwon``) is won; ``lost``, ``verloren``, ``perdu``/``perdue``,
``perdido``/``perdida`` (or ``closedlost``) is lost; anything else is open. Words are matched
whole and case-insensitively, so a customised "Closed won - paid" stage is won and "Wonderland"
is not.

A lead source (Salesforce ``Lead Source``, Pipedrive ``Source``) becomes a source touch when the
vocabulary knows its channel; see :func:`source_channel`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from socialroi.core.vocabulary import PAID_SOCIAL, SOCIAL_OTHER, channel_of, social_platform_of
from socialroi.schema import SOCIAL_PLATFORMS

WON_WORDS = frozenset(
    {"won", "closedwon", "gewonnen", "gagne", "ganado", "ganada", "ganho", "ganha"}
)
LOST_WORDS = frozenset(
    {"lost", "closedlost", "verloren", "perdu", "perdue", "perdido", "perdida", "perdidos"}
)
#: Pipedrive's "deleted" status in the export languages: such deals are not loaded.
DELETED_WORDS = frozenset(
    {"deleted", "geloscht", "supprime", "supprimee", "eliminado", "borrado", "excluido"}
)
_EMAIL_RE = re.compile(r"[^\s<>()\[\];,]+@[^\s<>()\[\];,]+\.[^\s<>()\[\];,]+")


def _words(label: str) -> list[str]:
    bare = unicodedata.normalize("NFKD", label.lower())
    bare = "".join(c for c in bare if not unicodedata.combining(c))
    return re.findall(r"[a-z]+", bare)


def stage_won(stage: str | None) -> bool | None:
    """True for a won stage or status label, False for a lost one, None for an open one."""
    if not stage:
        return None
    words = _words(stage)
    if any(w in WON_WORDS for w in words):
        return True
    if any(w in LOST_WORDS for w in words):
        return False
    return None


def is_deleted(status: str | None) -> bool:
    """Whether a Pipedrive status label says the deal was deleted."""
    return bool(status) and any(w in DELETED_WORDS for w in _words(status or ""))


def email_in(value: str | None) -> str | None:
    """The first e-mail address in `value`, lower-cased ("Jane Doe (Jane@Example.com)")."""
    if not value:
        return None
    hit = _EMAIL_RE.search(value)
    return hit.group(0).lower() if hit else None


#: The touch kind of each canonical channel a lead source names (a platform: ``web``).
CHANNEL_KINDS: dict[str, str] = {
    SOCIAL_OTHER: "web",
    PAID_SOCIAL: "paid",
    "organic_search": "search",
    "paid_search": "paid",
    "email": "email",
    "referral": "referral",
    "direct": "direct",
    "offline": "event",
    "other": "web",
}


def source_channel(source: str | None) -> tuple[str, str | None, str] | None:
    """(channel, platform, touch kind) a CRM lead source names, or None when it names none.

    The channel is the vocabulary's (:func:`socialroi.core.vocabulary.channel_of`): ``LinkedIn``
    → ``linkedin`` (platform ``linkedin``, kind ``web``), ``Social Media`` → ``social_other``,
    ``Partner Referral`` → ``referral``, ``Web`` → ``other``, ``Trade Show`` / ``Phone
    Inquiry`` → ``offline`` (kind ``event``: the person met or called the firm). A value the
    vocabulary does not know makes no touch.
    """
    channel = channel_of(source)
    if channel is None:
        return None
    if channel in SOCIAL_PLATFORMS:
        return channel, channel, "web"
    if channel not in CHANNEL_KINDS:
        return None
    return channel, social_platform_of(source), CHANNEL_KINDS[channel]


def source_touch(
    contact_id: str | None, ts: datetime | None, source: str | None, ref: str
) -> dict[str, Any] | None:
    """A touchpoint row for a CRM lead source, or None (no contact, time or channel)."""
    got = source_channel(source)
    if contact_id is None or ts is None or got is None:
        return None
    channel, platform, kind = got
    return {
        "contact_id": contact_id,
        "ts": ts,
        "channel": channel,
        "ref": ref,
        "platform": platform,
        "kind": kind,
        "post_id": None,
        "employee_id": None,
        "campaign": None,
    }
