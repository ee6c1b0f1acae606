"""The API over a real WSGI server: ``manage.py runserver`` in a subprocess.

The development server's ``wsgiref`` checks what the test client does not (a header
value must be exactly a ``str``), and the body arrives over a socket, as a client
sends it. The subprocess runs on this test's database (``subprocess_env``).
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from blog.models import Post
from blog.permissions import DEFAULT_GROUP, POSTER_GROUP
from reminders.models import Reminder
from tests.factories import UserFactory
from tests.support import processes
from tests.support.smtp import free_port

from .conftest import bearer


@pytest.fixture
def server(subprocess_env, request) -> Iterator[tuple[str, int]]:
    """runserver on a free port; yields its (host, port) once it answers."""
    port = free_port()
    log_dir = Path(settings.VAR_DIR) / "api-logs" / request.node.name.replace("/", "_")
    process = processes.runserver(env=subprocess_env(), log_dir=log_dir, port=port)
    with processes.running(process):
        processes.wait_for_http(f"http://127.0.0.1:{port}", timeout=90, process=process)
        yield "127.0.0.1", port


def send(
    server: tuple[str, int],
    path: str,
    body: bytes,
    headers: dict[str, str],
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(*server, timeout=60)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def post_json(server, path: str, data: dict, user) -> tuple[int, dict[str, str], bytes]:
    headers = {
        "Content-Type": "application/json",
        "Authorization": bearer(user)["HTTP_AUTHORIZATION"],
    }
    return send(server, path, json.dumps(data).encode(), headers)


def test_creating_a_post_answers_201_with_its_location(server, transactional_db) -> None:
    poster = UserFactory(username="poster", roles=[DEFAULT_GROUP, POSTER_GROUP])

    status, headers, body = post_json(
        server, "/api/posts/", {"title": "Over the wire", "text": "Hello."}, poster
    )

    assert status == 201, body[:500]
    assert headers["Location"] == f"http://{server[0]}:{server[1]}/api/posts/over-the-wire/"
    assert Post.objects.filter(slug="over-the-wire").count() == 1


def test_creating_a_reminder_answers_201_with_its_location(server, transactional_db) -> None:
    staff = UserFactory(username="boss", is_staff=True, is_superuser=True)

    status, headers, body = post_json(
        server,
        "/api/reminders/",
        {"email": "r@example.com", "text": "Hi", "date": timezone.now().isoformat()},
        staff,
    )

    assert status == 201, body[:500]
    reminder = Reminder.objects.get(email="r@example.com")
    assert headers["Location"] == f"http://{server[0]}:{server[1]}/api/reminders/{reminder.pk}/"


def test_a_20_mb_body_is_a_json_413_naming_the_limit(server, transactional_db) -> None:
    poster = UserFactory(username="poster", roles=[DEFAULT_GROUP, POSTER_GROUP])
    body = json.dumps({"title": "Big", "text": "x" * (20 * 1024 * 1024)}).encode()
    headers = {
        "Content-Type": "application/json",
        "Authorization": bearer(poster)["HTTP_AUTHORIZATION"],
    }

    status, response_headers, answer = send(server, "/api/posts/", body, headers)

    assert status == 413, answer[:500]
    assert response_headers["Content-Type"] == "application/json"
    detail = json.loads(answer)["detail"]
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes" in detail
    assert not Post.objects.exists()
