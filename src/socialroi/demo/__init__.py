"""The built-in demo company: a seeded, synthetic 40-person IT-services firm, with ground truth.

``generate(seed=7, months=24)`` returns every canonical table (employees, accounts, posts, sessions,
contacts, leads, deals, costs, …) for a firm that banned social media at work, then allowed it,
then ran employee advocacy in two of its four teams — plus, in ``truth``, the expected effect of
each policy switch computed from the generator's own rates. ``write_demo`` puts it in a store.
"""

from __future__ import annotations

from socialroi.demo.build import DemoCompany, generate, truth_json, write_demo

__all__ = ["DemoCompany", "generate", "truth_json", "write_demo"]
