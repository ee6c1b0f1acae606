import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters and the like never leak from one test to the next."""
    cache.clear()
    yield
    cache.clear()
