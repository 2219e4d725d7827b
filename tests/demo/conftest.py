import pytest

from socialroi.demo import DemoCompany
from tests.demos import demo_company


@pytest.fixture(scope="session")
def demo() -> DemoCompany:
    """The default demo company (seed 7, 24 months)."""
    return demo_company()


@pytest.fixture(scope="session")
def demo12() -> DemoCompany:
    return demo_company(months=12)
