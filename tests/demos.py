"""Demo companies shared by the tests of one process.

`generate` is pure and deterministic, so a company for the same arguments is built once per
test process (each xdist worker) and shared by every module that asks for it. Each caller gets
its own `tables` dict and `truth` copy: a test that replaces a table or edits the truth changes
nothing for the others. Tests of `generate` itself (determinism, seeds, worlds) call it directly.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from functools import cache

from socialroi.demo import DemoCompany, generate, params


@cache
def _built(seed: int, months: int) -> DemoCompany:
    return generate(seed=seed, months=months)


def demo_company(
    seed: int = params.DEFAULT_SEED, months: int = params.DEFAULT_MONTHS
) -> DemoCompany:
    """`generate(seed=seed, months=months)`, built once per process; a copy of its containers."""
    company = _built(seed, months)
    return replace(company, tables=dict(company.tables), truth=copy.deepcopy(company.truth))
