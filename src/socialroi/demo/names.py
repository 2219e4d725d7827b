"""Names, companies and post texts for the demo company.

A few entries are deliberately awkward — quotes, ampersands, angle brackets, accents, emoji — as
text from platforms and CRMs is in real life; whatever shows them must escape them.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import polars as pl

# fmt: off
FIRST: tuple[str, ...] = (
    "Alex", "Maria", "James", "Priya", "Chen", "Olivia", "Liam", "Fatima", "Noah", "Emma", "Lucas",
    "Aisha", "Mateo", "Sofia", "Ethan", "Hannah", "Daniel", "Grace", "Omar", "Isabella", "Jonas",
    "Chloé", "José", "Zoë", "Søren", "Renée", "Björn", "Anaïs", "Kwame", "Yuki", "Ravi", "Laura",
    "Samuel", "Nina", "Tomás", "Ingrid", "Marcus", "Leah", "Viktor", "Amara",
)
LAST: tuple[str, ...] = (
    "Smith", "Garcia", "Patel", "Nguyen", "Johnson", "Müller", "O'Brien", "Kowalski", "Okafor",
    "Rossi", "Schmidt", "Dubois", "Larsen", "Tanaka", "Fernández", "Brown", "Wilson", "Cohen",
    "Novak", "Silva", "Andersson", "Khan", "Murphy", "Lefèvre", "Becker", "Ivanova", "Mensah",
    "Costa", "Walsh", "Haddad", "Kim", "Ortiz", "Fischer", "Jensen", "Morales", "Reid",
)
#: Client companies; a few carry the characters reports must escape.
COMPANIES: tuple[str, ...] = (
    "Acme Logistics", "Bright Dental Group", "Harbor & Pine Legal", 'Café "Le Nord"',
    "Müller Maschinenbau GmbH", "Summit Health Partners", "Riverbend Credit Union",
    "O'Neill Architects", "Bluebird Retail", "Crescent Manufacturing", "Evergreen Schools",
    "Keystone Insurance", "Lakeside Hotels", "Maple & Oak Realty", "Northgate Clinics",
    "Orion Freight", "Pioneer Foods", "Quartz Analytics", "Redwood Accounting", "Silverline Media",
    "Tidewater Marine", "Union Street Bakery 🥐", "Vertex Engineering", "Westfield Veterinary",
    "Yellowstone Outfitters", "Zenith Biotech", "Ørsted Logistik", "Smith <Consulting>",
    "Baker, Diaz & Co.", "Sunrise Senior Living", "Granite Law Office",
    "Atlas Property Management", "Beacon Nonprofit Alliance", "Coastal Urgent Care",
    "Delta Precision Tools", "Elm Street Dental", "Fjord Seafood AS", "Golden Gate Wines",
    "Helix Pharma", "Iron Bridge Capital", "Juniper Design Studio", "Kite & Key Events",
)
SERVICES: tuple[str, ...] = (
    "Managed IT (annual)", "Cloud migration", "Security audit", "Microsoft 365 rollout",
    "Network refresh", "Backup & disaster recovery", "Helpdesk retainer", "Zero-trust project",
)
#: Quarterly content themes: the campaign slug and its landing page.
THEMES: tuple[str, ...] = (
    "cloud-migration", "security-month", "m365-tips", "backup-day", "zero-trust", "ai-readiness",
    "helpdesk-sla", "network-refresh",
)
BROADCASTS: tuple[str, ...] = (
    "Three things we learned moving a 200-seat firm to the cloud this quarter.",
    "Patch Tuesday is here. Our checklist for small offices:",
    "Ransomware drills are boring until the day they aren't. How we run ours:",
    "New guide: choosing a managed IT partner without the jargon.",
    "We're hiring a service desk engineer — come work with a great team!",
    "Backups you never test are hopes, not backups. Our 10-minute restore test:",
    "What a zero-trust rollout looks like for a 50-person company.",
    "Customer story: how a dental group cut IT tickets by 40%.",
    'Q&A: "Do we really need MFA everywhere?" Yes — here\'s why & how.',
    "Proud of our team for closing 98% of tickets within SLA this month 🎉",
    "Café chat with our CTO: AI copilots, privacy & <what actually works>",
    "Müller, Zoë & the crew at the regional IT summit — thanks for having us! 🙌",
)
SHARES: tuple[str, ...] = (
    "Worth a read if you run IT for a small team:",
    "My colleagues wrote this up — practical and short.",
    "This is the checklist I send every new client.",
    "Good summary of what we see in the field every week.",
    "Sharing our latest guide (it's the one I wish I'd had 5 years ago):",
    "If you're planning a migration this year, start here 👇",
)
REPLIES: tuple[str, ...] = (
    "Great point — we see the same with our clients.", "Happy to share our template, DM me.",
    "Agree 100%. Testing restores is the part everyone skips.", "Thanks for the mention!",
    "We wrote about exactly this last month, will dig out the link.", "Congrats on the launch 🎉",
)
# fmt: on


def slug(text: str) -> str:
    """Lower-case ASCII with dashes: 'Zoë O'Brien' → 'zoe-obrien'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower().replace("'", "")).strip("-")


def pick(rng: np.random.Generator, pool: tuple[str, ...], n: int) -> pl.Series:
    """`n` entries of `pool` drawn with replacement."""
    return pl.Series(pool, dtype=pl.String).gather(rng.integers(0, len(pool), n))


def person_names(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """first, last, name (first + last) and slug for `n` people."""
    df = pl.DataFrame({"first": pick(rng, FIRST, n), "last": pick(rng, LAST, n)})
    df = df.with_columns(pl.concat_str("first", "last", separator=" ").alias("name"))
    slugs = pl.Series([slug(s) for s in _unique(df["name"])], dtype=pl.String)
    lookup = pl.DataFrame({"name": _unique(df["name"]), "slug": slugs})
    return df.join(lookup, on="name", how="left", maintain_order="left")


def company_domains(companies: pl.Series) -> pl.Series:
    """An e-mail domain per company name ('Harbor & Pine Legal' → harbor-pine-legal.example)."""
    uniq = _unique(companies)
    lookup = dict(zip(uniq, [f"{slug(c)}.example" for c in uniq], strict=True))
    return companies.replace_strict(lookup, return_dtype=pl.String)


def _unique(s: pl.Series) -> list[str]:
    return sorted(set(s.drop_nulls().to_list()))
