import pytest
from django.core.cache import cache

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters and the like never leak from one test to the next."""
    cache.clear()
    yield
    cache.clear()


# ROLES
# ------------------------------------------------------------------------------
# A poster who writes, another poster, and someone of the admin role (an editor).
@pytest.fixture
def author():
    return UserFactory(username="author", roles=["default", "poster"])


@pytest.fixture
def other_poster():
    return UserFactory(username="other", roles=["default", "poster"])


@pytest.fixture
def editor():
    return UserFactory(username="editor", roles=["default", "admin"])
