"""Schemathesis against the project's own /api/schema/: every operation, as a poster and
as staff, with generated valid and invalid input. Checks: no 5xx ever, and every
response documented in the schema has the documented shape.

The examples are derandomized and bounded (``FUZZ_EXAMPLES`` per operation and role), so
``make test`` runs the same cases every time in a couple of minutes. A wider hunt:
``FUZZ_EXAMPLES=300 FUZZ_RANDOM=1 pytest tests/api/test_schemathesis.py``.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application
from tests.factories import CommentFactory, PostFactory, TagFactory

from .conftest import bearer, grant_reminder_permissions

pytestmark = pytest.mark.django_db

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FUZZ_RANDOM = bool(os.environ.get("FUZZ_RANDOM"))

# Objects of this test's database that generated path parameters are swapped for, so
# the fuzzer reaches real posts and reminders, not only 404s. Filled by `fuzz_world`.
KNOWN: dict[str, list[str]] = {}


def known_path_parameters(context, path_parameters: dict | None) -> dict | None:
    """Replace about half the generated ids and slugs with ones that exist.

    The choice hashes the generated value, so a failing example replays the same.
    """
    if not path_parameters:
        return path_parameters
    mapped = dict(path_parameters)
    for name, value in path_parameters.items():
        choices = KNOWN.get(name)
        if choices:
            digest = zlib.crc32(repr(value).encode())
            if digest % 2:
                mapped[name] = choices[digest // 2 % len(choices)]
    return mapped


@pytest.fixture
def wsgi_requests_keep_the_test_transaction() -> Iterator[None]:
    """Requests go straight to the WSGI app, in this thread and this test's transaction.

    Django closes the connection at the start and end of each request, which would end
    the test's transaction; its own test client unhooks the same receiver for the same
    reason.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(db, users, post, monkeypatch, settings, wsgi_requests_keep_the_test_transaction):
    """Posts (published and draft), tags, comments and reminders to fuzz against."""
    # Throttling has its own tests; here it would only turn answers into 429s.
    for scope in ("anon", "user", "token"):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, "1000000/minute")
    settings.BLOG_COMMENTS_PER_MINUTE_PER_ACCOUNT = settings.BLOG_COMMENTS_PER_HOUR_PER_ADDRESS = 0
    tags = [TagFactory(title="Django"), TagFactory(title="Ünïcode")]
    posts = [
        post,
        PostFactory(author=users["poster"], tags=tags),
        PostFactory(author=users["admin"], publish_date=timezone.now() + timedelta(days=1)),
    ]
    comments = [CommentFactory(post=each) for each in posts]
    # The poster's own comment, so that editing and deleting one is reached too.
    comments.append(CommentFactory(post=post, user=users["poster"]))
    # Staff who run the reminders, so the fuzzer reaches them rather than 403s.
    grant_reminder_permissions(users["staff"])
    KNOWN.clear()
    KNOWN["slug"] = [p.slug for p in posts]
    KNOWN["id"] = [str(c.pk) for c in comments]  # comments' ids (no reminder exists here)
    yield
    KNOWN.clear()


@pytest.fixture(params=["poster", "staff"])
def role(request) -> str:
    """Each operation is fuzzed as a poster and as staff."""
    return request.param


# The schema is read once, at collection, through the WSGI app like any client would.
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", application)
SCHEMA.hook("map_path_parameters")(known_path_parameters)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def can_be_invalid(operation) -> bool:
    """Whether a request to it can break its schema: a body, a query parameter, or a
    token it requires. A path slug alone cannot (any string is a slug, and a 404)."""
    raw = operation.definition.raw
    return (
        "requestBody" in raw
        or any(parameter["in"] == "query" for parameter in raw.get("parameters", []))
        or {} not in raw.get("security", [{}])
    )


CASES = [(operation, GenerationMode.POSITIVE) for operation in OPERATIONS] + [
    (operation, GenerationMode.NEGATIVE) for operation in OPERATIONS if can_be_invalid(operation)
]


@pytest.mark.parametrize(
    ("operation", "mode"),
    CASES,
    ids=[f"{mode.value}-{operation.label}" for operation, mode in CASES],
)
def test_api_never_errs_and_answers_as_documented(operation, mode, role, users, fuzz_world):
    """Valid (positive) and invalid (negative) requests to one operation, as one role."""
    headers = {"Authorization": bearer(users[role])["HTTP_AUTHORIZATION"]}

    @settings(
        max_examples=FUZZ_EXAMPLES,
        derandomize=not FUZZ_RANDOM,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case) -> None:
        case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )

    fuzz()
