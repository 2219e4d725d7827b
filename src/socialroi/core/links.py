"""Tracked-link codes: the `utm_content` value that names the post and the employee behind a click.

A code looks like ``sr~linkedin~7712~e014``: platform, post id and the employee who shared it
(``brand`` for the company's own accounts). ``~`` is unreserved in URLs, so codes survive shorteners
and analytics tools unescaped.

:func:`tracked_url` makes the link an employee shares (``socialroi link``): the page's URL with
``utm_source`` (the platform's usual source name), ``utm_medium=social``, ``utm_campaign`` and the
code as ``utm_content``. When the platform's post id is not known yet (the post is not written),
:func:`link_post_id` gives a short stable one (``20260914-3fa2c1``: the day and a hash of the
page, platform, employee and campaign) that ties the clicks to the post.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import NamedTuple
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from socialroi.core.vocabulary import UTM_SOURCES, social_platform_of

PREFIX = "sr"
SEP = "~"


class LinkCode(NamedTuple):
    platform: str
    post_id: str
    employee_id: str | None


def make_link_code(platform: str, post_id: str, employee_id: str | None) -> str:
    """The utm_content code for a post shared by `employee_id` (None for a brand account)."""
    for part in (platform, post_id, employee_id or ""):
        if SEP in part:
            raise ValueError(f"'{SEP}' is not allowed inside a link code part: {part!r}")
    return SEP.join((PREFIX, platform, post_id, employee_id or "brand"))


def parse_link_code(code: str | None) -> LinkCode | None:
    """The parts of a tracked-link code, or None when `code` is not one."""
    if not code:
        return None
    parts = code.strip().split(SEP)
    if len(parts) != 4 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    employee = None if parts[3] in ("", "brand") else parts[3]
    return LinkCode(parts[1], parts[2], employee)


#: Who a brand post's code names instead of an employee.
BRAND = "brand"


def check_link_url(url: str) -> str:
    """`url` stripped, when it is an absolute http(s) URL with a host; else ValueError."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        raise ValueError(f"not a URL: {url!r}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r} (it must start with https:// or http://)")
    if not host or any(c.isspace() for c in text):
        raise ValueError(f"not a valid URL: {url!r}")
    return text


def link_platform(name: str) -> str:
    """The social platform `name` names (``LinkedIn``, ``twitter``, ``lnkd.in``…), or ValueError."""
    platform = social_platform_of(name)
    if platform is None:
        known = ", ".join(sorted(UTM_SOURCES))
        raise ValueError(f"'{name}' is not a social platform; known: {known}")
    return platform


def link_post_id(
    url: str, platform: str, employee_id: str | None, campaign: str | None, day: date
) -> str:
    """A short post id, stable for the same page, platform, employee, campaign and day."""
    key = "\n".join((url.strip(), platform, employee_id or BRAND, campaign or ""))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:6]
    return f"{day:%Y%m%d}-{digest}"


def _is_utm(param: str) -> bool:
    return unquote_plus(param.split("=", 1)[0]).strip().lower().startswith("utm_")


def tracked_url(
    url: str,
    *,
    platform: str,
    post_id: str,
    employee_id: str | None,
    campaign: str | None = None,
    source: str | None = None,
    medium: str | None = None,
) -> str:
    """`url` with the tracked-link UTM parameters of a post shared on `platform`.

    `platform` is any name the vocabulary knows for a social platform; `employee_id` None or
    ``brand`` is a brand post. ``utm_source`` defaults to the platform's usual source name and
    ``utm_medium`` to ``social``. The URL's other query parameters (as written) and its fragment
    are kept; every ``utm_*`` parameter it had is replaced; a URL without a path gets ``/``.
    ValueError for a URL that is not
    http(s), an unknown platform, or a ``~`` in the post or employee id.
    """
    clean = check_link_url(url)
    canonical = link_platform(platform)
    employee = None if employee_id in (None, "", BRAND) else employee_id
    if not post_id.strip():
        raise ValueError("the post id is empty")
    code = make_link_code(canonical, post_id.strip(), employee)
    parts = urlsplit(clean)
    kept = [p for p in parts.query.split("&") if p and not _is_utm(p)]
    utm = [
        ("utm_source", source or UTM_SOURCES[canonical]),
        ("utm_medium", medium or "social"),
        ("utm_campaign", campaign),
        ("utm_content", code),
    ]
    added = [f"{k}={quote(v, safe='~')}" for k, v in utm if v]
    query = "&".join([*kept, *added])
    return urlunsplit(parts._replace(path=parts.path or "/", query=query))
