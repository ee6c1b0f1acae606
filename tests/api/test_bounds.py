"""Hostile and clumsy input to the API: every answer a JSON 4xx, never a 500.

Deep nesting, wrong JSON types, a body over the size limit, the refresh token of a
deleted user, a publish date no time zone can convert. The same body over a real
server is in ``test_real_server.py``.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import RequestDataTooBig
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from blog.models import Post, Tag
from config.api_parsing import FormParser, JSONParser
from reminders.models import Reminder
from tests.factories import UserFactory

from .conftest import client_for

pytestmark = pytest.mark.django_db

DEEP = "[" * 10_000 + "]" * 10_000


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_deep_json_is_a_400_at_the_anonymous_token_endpoint() -> None:
    client = APIClient(raise_request_exception=False)

    response = client.post("/api/auth/token/", DEEP, content_type="application/json")

    body = assert_json_error(response, 400)
    assert body["detail"] == "JSON parse error - nested too deeply."


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("poster", "/api/posts/"),
        ("author", "/api/posts/a-post-to-change/"),
        ("author", "/api/posts/a-post-to-change/comments/"),
        ("admin", "/api/reminders/"),
        ("anonymous", "/api/auth/token/refresh/"),
    ],
)
def test_deep_json_is_a_400_at_every_endpoint(users, post, role, path) -> None:
    users["admin"].is_superuser = True
    users["admin"].save()
    client = client_for(users[role])
    client.raise_request_exception = False
    method = client.patch if path.endswith("change/") else client.post

    response = method(path, DEEP, content_type="application/json")

    assert_json_error(response, 400)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": 5, "text": "x"}, "title"),
        ({"title": "t", "text": 1.5}, "text"),
        ({"title": True, "text": "x"}, "title"),
        ({"title": "t", "text": "x", "tags": [1, 2]}, "tags"),
        ({"title": "t", "text": "x", "tags": [["a"]]}, "tags"),
        ({"title": {"a": 1}, "text": "x"}, "title"),
        ({"title": "t", "text": "x", "publish_date": 5}, "publish_date"),
    ],
)
def test_wrong_json_types_in_a_post_are_a_400_naming_the_field(users, body, field) -> None:
    response = client_for(users["poster"]).post("/api/posts/", body, format="json")

    errors = assert_json_error(response, 400)
    assert field in errors
    assert not Post.objects.exists()
    assert not Tag.objects.exists()


def test_a_reminder_date_out_of_range_is_a_400_east_of_utc(users, settings) -> None:
    settings.TIME_ZONE = "Asia/Tokyo"
    users["admin"].is_superuser = True
    users["admin"].save()

    response = client_for(users["admin"]).post(
        "/api/reminders/",
        {"email": "r@example.com", "text": "Hi", "date": "0001-01-01T00:00:00"},
        format="json",
    )

    assert assert_json_error(response, 400) == {"date": ["Datetime value out of range."]}


def test_wrong_json_types_in_a_comment_and_a_reminder_are_400s(users, post) -> None:
    users["admin"].is_superuser = True
    users["admin"].save()

    comment = client_for(users["default"]).post(
        f"/api/posts/{post.slug}/comments/", {"text": 42}, format="json"
    )
    reminder = client_for(users["admin"]).post(
        "/api/reminders/", {"email": 1, "text": 2, "date": "2030-01-01T00:00Z"}, format="json"
    )

    assert set(assert_json_error(comment, 400)) == {"text"}
    assert set(assert_json_error(reminder, 400)) == {"email", "text"}
    assert not Reminder.objects.exists()


def test_the_refresh_token_of_a_deleted_user_is_a_401() -> None:
    user = UserFactory(username="gone")
    refresh = str(RefreshToken.for_user(user))
    user.delete()

    response = APIClient().post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")

    body = assert_json_error(response, 401)
    assert body["detail"] == "No active account found for the given token."


@pytest.mark.parametrize(
    "date", ["0001-01-01T00:00:00", "0001-01-01T00:00:00+09:00", "9999-12-31T23:59:00-05:00"]
)
def test_a_publish_date_out_of_range_is_a_400_east_of_utc(users, settings, date) -> None:
    settings.TIME_ZONE = "Asia/Tokyo"

    response = client_for(users["poster"]).post(
        "/api/posts/", {"title": "Old", "text": "x", "publish_date": date}, format="json"
    )

    assert "publish_date" in assert_json_error(response, 400)
    assert not Post.objects.exists()


def test_a_body_over_the_limit_is_a_json_413_naming_it(users, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"title": "Big", "text": "x" * 2000})

    response = client_for(users["poster"]).post(
        "/api/posts/", body, content_type="application/json"
    )

    assert assert_json_error(response, 413) == {
        "detail": "The request body is larger than the limit of 1,000 bytes "
        "(DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE)."
    }
    assert not Post.objects.exists()


@pytest.mark.parametrize("parser", [JSONParser(), FormParser()])
def test_a_body_of_unannounced_length_is_read_one_byte_past_the_limit(settings, parser) -> None:
    """Without a Content-Length the parsers stop reading at the limit and refuse."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    stream = io.BytesIO(b'"' + b"x" * 10_000 + b'"')

    with pytest.raises(RequestDataTooBig):
        parser.parse(stream, parser.media_type, {})

    assert stream.tell() == 101
