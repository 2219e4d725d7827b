"""`make check`'s hypothesis profile: a ceiling on every property test's examples, the full count
in `make test`."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import conftest


def _property(asks: int) -> tuple[Any, list[int]]:
    """A property test asking for `asks` examples, and the list of the values it was run on."""
    seen: list[int] = []

    @settings(max_examples=asks, database=None)
    @given(st.integers())
    def prop(x: int) -> None:
        seen.append(x)

    return prop, seen


def _collect(test: Any, profile: str) -> None:
    """Collection of `test` as pytest does it, under `profile`."""
    previous = settings.get_current_profile_name()
    settings.load_profile(profile)
    try:
        item = cast(pytest.Item, SimpleNamespace(obj=test))
        conftest.pytest_collection_modifyitems(cast(pytest.Config, None), [item])
    finally:
        settings.load_profile(previous)


def test_the_check_profile_caps_a_test_that_asks_for_more() -> None:
    prop, seen = _property(asks=200)
    _collect(prop, "check")
    prop()
    assert 0 < len(seen) <= conftest.CHECK_EXAMPLES


def test_the_default_profile_keeps_the_count_the_test_asks_for() -> None:
    prop, seen = _property(asks=200)
    _collect(prop, "default")
    prop()
    assert len(seen) > conftest.CHECK_EXAMPLES * 2  # 200 asked; a few may repeat and be skipped


def test_a_test_asking_for_fewer_keeps_its_count_under_check() -> None:
    prop, _ = _property(asks=5)
    _collect(prop, "check")
    assert prop._hypothesis_internal_use_settings.max_examples == 5
