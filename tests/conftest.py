"""Settings shared by the whole suite.

Hypothesis profiles: `make test` runs the default profile, where every property test draws the
number of examples its own `@settings` asks for (100 where it asks for none). `make check` runs
with `--hypothesis-profile=check`, the fast loop: at most `CHECK_EXAMPLES` examples per property
test, a ceiling that also applies to tests whose `@settings` ask for more. The explicit
`@example`s and the failures saved in `.hypothesis/` are replayed in both profiles.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings

#: Examples per property test in `make check` (the full count runs in `make test`).
CHECK_EXAMPLES = 20

settings.register_profile("check", max_examples=CHECK_EXAMPLES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under the check profile, lower every property test's examples to the profile's ceiling.

    A test's own `@settings(max_examples=...)` outranks any profile, so the ceiling is applied
    to the settings Hypothesis keeps on the test function.
    """
    if settings.get_current_profile_name() != "check":
        return
    ceiling = settings().max_examples
    for item in items:
        test: Any = getattr(item, "obj", None)
        test = getattr(test, "__func__", test)  # a method: its function holds the settings
        if not getattr(test, "is_hypothesis_test", False):
            continue
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if isinstance(own, settings) and own.max_examples > ceiling:
            test._hypothesis_internal_use_settings = settings(own, max_examples=ceiling)
