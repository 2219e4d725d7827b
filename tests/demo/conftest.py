import pytest

from socialroi.demo import DemoCompany, generate


@pytest.fixture(scope="session")
def demo() -> DemoCompany:
    """The default demo company (seed 7, 24 months)."""
    return generate()


@pytest.fixture(scope="session")
def demo12() -> DemoCompany:
    return generate(months=12)
