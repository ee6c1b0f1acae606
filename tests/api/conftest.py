"""Fixtures of the API tests: a DRF client, users by role, and bearer tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from blog.permissions import ADMIN_GROUP, DEFAULT_GROUP, POSTER_GROUP
from tests.factories import PostFactory, UserFactory
from tests.reminders.conftest import fast_pipeline  # noqa: F401  (a fixture: short retries)


@pytest.fixture(autouse=True)
def fresh_throttle_counters() -> Iterator[None]:
    """Throttle counters live in the cache; each test starts with none spent."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def bearer(user) -> dict[str, str]:
    """Headers authenticating as ``user`` with a freshly issued access token."""
    return {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(user).access_token}"}


ROLES = ["anonymous", "default", "poster", "author", "admin", "staff"]


@pytest.fixture
def author():
    """A poster who wrote ``post``."""
    return UserFactory(username="author", roles=[DEFAULT_GROUP, POSTER_GROUP])


@pytest.fixture
def post(author):
    return PostFactory(author=author, title="A post to change", text="Some *Markdown*.")


@pytest.fixture
def users(author) -> dict[str, object]:
    """One user per role of the permission matrix (``anonymous`` is no user).

    ``admin`` is an editor who also uses the admin site (the ``admin`` role and
    ``is_staff``); ``staff`` may use the admin site but has no blog role beyond
    ``default``.
    """
    return {
        "anonymous": None,
        "default": UserFactory(username="default"),
        "poster": UserFactory(username="poster", roles=[DEFAULT_GROUP, POSTER_GROUP]),
        "author": author,
        "admin": UserFactory(username="admin", roles=[DEFAULT_GROUP, ADMIN_GROUP], is_staff=True),
        "staff": UserFactory(username="staff", is_staff=True),
    }


REMINDER_PERMISSIONS = ["view", "add", "change", "send", "cancel"]


def grant_reminder_permissions(user, *names: str):
    """Give ``user`` these reminder permissions (``view``, ``add``, ``send``, ...), all by
    default, as an operator would in the admin; returns the user, fresh from the database
    (``has_perm`` caches what it read)."""
    codenames = [f"{name}_reminder" for name in names or REMINDER_PERMISSIONS]
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="reminders", codename__in=codenames)
    )
    return type(user).objects.get(pk=user.pk)


def client_for(user) -> APIClient:
    """An API client sending ``user``'s bearer token (none for ``None``)."""
    client = APIClient()
    if user is not None:
        client.credentials(**bearer(user))
    return client
