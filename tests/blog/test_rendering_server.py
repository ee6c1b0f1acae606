"""Bounded rendering over real WSGI servers (issue #19).

- runserver: a reader's comment is saved while a slow post is still rendering. The
  post's service renders before it opens its transaction, so on SQLite (whose
  ``BEGIN IMMEDIATE`` takes the write lock) the comment no longer waits behind the
  render, or fails with ``database is locked`` when the render outlives the timeout.
- gunicorn: a pathological post is refused with a 400 long before the worker timeout,
  so the worker is not killed and answers the next request.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from blog.models import Comment, Post
from blog.permissions import DEFAULT_GROUP, POSTER_GROUP
from tests.api.conftest import bearer
from tests.factories import PostFactory, UserFactory
from tests.support import processes
from tests.support.smtp import free_port


def request(port: int, method: str, path: str, data: dict | None, user) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/json"}
    if user is not None:
        headers["Authorization"] = bearer(user)["HTTP_AUTHORIZATION"]
    try:
        body = json.dumps(data).encode() if data is not None else None
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        return response.status, json.loads(answer) if answer.startswith(b"{") else {}
    finally:
        connection.close()


@pytest.fixture
def log_dir(request) -> Path:
    return Path(settings.VAR_DIR) / "render-logs" / request.node.name.replace("/", "_")


@pytest.fixture
def slow_runserver(subprocess_env, log_dir) -> Iterator[int]:
    """runserver (threaded) whose budget lets a text take a second or more to render."""
    port = free_port()
    env = subprocess_env(BLOG_MARKDOWN_MAX_STEPS=str(10**8))
    process = processes.runserver(env=env, log_dir=log_dir, port=port)
    with processes.running(process):
        processes.wait_for_http(f"http://127.0.0.1:{port}", timeout=90, process=process)
        yield port


def test_a_comment_is_saved_while_a_slow_post_renders(slow_runserver, transactional_db):
    poster = UserFactory(username="poster", roles=[DEFAULT_GROUP, POSTER_GROUP])
    reader = UserFactory(username="reader", roles=[DEFAULT_GROUP])
    existing = PostFactory(author=poster, title="Read me")
    done: dict[str, tuple[float, int]] = {}

    def save_slow_post() -> None:
        # About 200,000 parser steps: over a second of markdown-it-py, all before the
        # service's transaction.
        status, _ = request(
            slow_runserver, "POST", "/api/posts/", {"title": "Slow", "text": "*[" * 50_000}, poster
        )
        done["post"] = (time.monotonic(), status)

    writer = threading.Thread(target=save_slow_post)
    writer.start()
    time.sleep(0.3)  # the post's request is in the server, rendering
    status, body = request(
        slow_runserver,
        "POST",
        f"/api/posts/{existing.slug}/comments/",
        {"text": "A reader's word."},
        reader,
    )
    done["comment"] = (time.monotonic(), status)
    writer.join(timeout=120)

    assert done["comment"][1] == 201, body
    assert done["post"][1] == 201
    # The comment did not wait for the post: it was saved while the render went on.
    assert done["comment"][0] < done["post"][0]
    assert Comment.objects.filter(post=existing, text="A reader's word.").exists()
    assert Post.objects.get(slug="slow").html.startswith("<p>")


def test_gunicorn_refuses_a_pathological_post_before_the_worker_timeout(
    subprocess_env, log_dir, transactional_db
):
    poster = UserFactory(username="poster", roles=[DEFAULT_GROUP, POSTER_GROUP])
    port = free_port()
    # One worker and a short timeout: a render of minutes (Python-Markdown on these
    # 100,000 characters) gets the worker killed and the client no answer at all.
    process = processes.gunicorn(
        env=subprocess_env(), log_dir=log_dir, port=port, workers=1, timeout=10
    )
    with processes.running(process):
        processes.wait_for_http(f"http://127.0.0.1:{port}", timeout=90, process=process)
        answers = [
            request(port, "POST", "/api/posts/", {"title": f"P{i}", "text": text}, poster)
            for i, text in enumerate(["![" * 50_000, "[" * 100_000, "# h\n" * 25_000])
        ]
        after = request(port, "GET", "/api/posts/", None, None)

        assert [status for status, _ in answers] == [400, 400, 400]
        assert all("too much Markdown" in body["text"][0] for _, body in answers)
        assert after[0] == 200
        assert "WORKER TIMEOUT" not in process.log()
    assert not Post.objects.exists()
