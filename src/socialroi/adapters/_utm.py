"""UTM parameters and tracked-link codes from a post's link.

Every adapter that sees a link (X's unwound URL, a Graph post's attachment, a LinkedIn article)
parses it here, so the `posts` table's `utm_*` columns mean the same thing for every platform.
"""

from __future__ import annotations

from typing import TypedDict
from urllib.parse import parse_qsl, urlsplit

from socialroi.core.links import parse_link_code

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


class UTM(TypedDict):
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    utm_content: str | None
    utm_term: str | None
    #: The tracked-link code (``sr~platform~post~employee``) when utm_content holds one.
    link_code: str | None


def parse_utm(url: str | None) -> UTM:
    """The utm_* query parameters of `url` (names case-insensitive, first value wins).

    Values are URL-decoded and stripped; empty values are None. A URL without a query, a
    relative URL or None gives all None.
    """
    found: dict[str, str] = {}
    if url:
        try:
            query = urlsplit(url.strip()).query
        except ValueError:
            query = ""
        for key, value in parse_qsl(query, keep_blank_values=False):
            name = key.strip().lower()
            if name in UTM_FIELDS and name not in found and value.strip():
                found[name] = value.strip()
    content = found.get("utm_content")
    code = content if parse_link_code(content) is not None else None
    return UTM(
        utm_source=found.get("utm_source"),
        utm_medium=found.get("utm_medium"),
        utm_campaign=found.get("utm_campaign"),
        utm_content=content,
        utm_term=found.get("utm_term"),
        link_code=code,
    )


def link_columns(url: str | None) -> dict[str, str | None]:
    """The `posts` columns a link fills: link_url and the five utm_* columns."""
    utm = parse_utm(url)
    out: dict[str, str | None] = {"link_url": url or None}
    out.update({name: utm[name] for name in UTM_FIELDS})  # type: ignore[literal-required]
    return out


__all__ = ["UTM", "UTM_FIELDS", "link_columns", "parse_utm"]
