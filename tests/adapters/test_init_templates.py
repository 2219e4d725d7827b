"""Every platform's `socialroi init` snippet: uncommented, it is a valid config showing every
option with its default, an example (or a blank to fill in) for each option without one, and
the secrets' variables."""

from __future__ import annotations

import re
import tomllib

import pytest

from socialroi.adapters import registry


@pytest.mark.parametrize("platform", registry.names())
def test_init_template_uncommented_is_a_valid_config(platform: str) -> None:
    module = registry.load(platform)
    text = re.sub(r"(?m)^# (\w+ = )", r"\1", module.INIT_TEMPLATE)
    table = tomllib.loads(text)["platforms"][platform]
    assert set(table) == set(module.DEFAULTS)  # every option is in the template
    opts = registry.resolve_options(module, table)  # no unknown key
    assert opts["base_url"] == module.DEFAULTS["base_url"]
    for key, default in module.DEFAULTS.items():
        if default not in ("", [], None):
            assert table[key] == default, f"{platform}: {key} shows its default"
        elif not re.search(rf'(?m)^{key} = ""', module.INIT_TEMPLATE):  # else left to fill in
            assert table[key], f"{platform}: {key} shows an example"
    for secret in module.SECRETS:
        assert f"SOCIALROI_{platform.upper()}_{secret.upper()}" in module.INIT_TEMPLATE
