"""Tracked-link codes: the `utm_content` value that names the post and the employee behind a click.

A code looks like ``sr~linkedin~7712~e014``: platform, post id and the employee who shared it
(``brand`` for the company's own accounts). ``~`` is unreserved in URLs, so codes survive shorteners
and analytics tools unescaped.
"""

from __future__ import annotations

from typing import NamedTuple

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
