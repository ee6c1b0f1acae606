"""The comment rate limit over a real WSGI server (``manage.py runserver``): the 429
of the page and of the API, with a ``Retry-After`` header ``wsgiref`` accepts (it
refuses any header value that is not exactly a ``str``, which the test client never
checks), and ``REMOTE_ADDR`` as a real server sets it."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings

from blog.models import Comment
from tests.factories import DEFAULT_PASSWORD, PostFactory, UserFactory
from tests.support import processes
from tests.support.smtp import free_port

from .conftest import bearer


@pytest.fixture
def server(subprocess_env, request) -> Iterator[tuple[str, int]]:
    """runserver with a limit of 2 comments a minute per account."""
    port = free_port()
    log_dir = Path(settings.VAR_DIR) / "api-logs" / request.node.name.replace("/", "_")
    env = subprocess_env(BLOG_COMMENTS_PER_MINUTE_PER_ACCOUNT="2")
    process = processes.runserver(env=env, log_dir=log_dir, port=port)
    with processes.running(process):
        processes.wait_for_http(f"http://127.0.0.1:{port}", timeout=90, process=process)
        yield "127.0.0.1", port


class Browser:
    """Requests over a socket, keeping the cookies the server sets (session, CSRF)."""

    def __init__(self, server: tuple[str, int]) -> None:
        self.server = server
        self.cookies = SimpleCookie()

    def send(self, method: str, path: str, form: dict | None = None, headers=None):
        connection = http.client.HTTPConnection(*self.server, timeout=60)
        headers = {"Referer": f"http://{self.server[0]}:{self.server[1]}{path}", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        body = b""
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for value in response.msg.get_all("Set-Cookie") or []:
                self.cookies.load(value)
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def csrf_token(self, page: bytes) -> str:
        return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()


def test_the_api_answers_429_with_retry_after_past_the_limit(server, transactional_db) -> None:
    user = UserFactory(username="talker")
    post = PostFactory()
    headers = {
        "Content-Type": "application/json",
        "Authorization": bearer(user)["HTTP_AUTHORIZATION"],
    }
    body = json.dumps({"text": "Same again"}).encode()
    path = f"/api/posts/{post.slug}/comments/"

    answers = []
    for _ in range(3):
        connection = http.client.HTTPConnection(*server, timeout=60)
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answers.append((response.status, dict(response.getheaders()), response.read()))
        connection.close()

    assert [status for status, _, _ in answers] == [201, 201, 429], answers[-1][2][:300]
    _, response_headers, content = answers[-1]
    assert 0 < int(response_headers["Retry-After"]) <= 60
    assert "commenting too fast" in json.loads(content)["detail"]
    assert Comment.objects.filter(post=post).count() == 2


def test_the_page_answers_429_with_the_form_and_the_text(server, transactional_db) -> None:
    UserFactory(username="talker")
    post = PostFactory()
    browser = Browser(server)
    # Signs in through the real login form, as a person would.
    _, _, page = browser.send("GET", "/accounts/login/")
    login = {"csrfmiddlewaretoken": browser.csrf_token(page), "login": "talker"}
    status, _, _ = browser.send("POST", "/accounts/login/", {**login, "password": DEFAULT_PASSWORD})
    assert status == 302
    _, _, page = browser.send("GET", post.get_absolute_url())
    token = browser.csrf_token(page)

    answers = [
        browser.send(
            "POST", post.get_absolute_url(), {"csrfmiddlewaretoken": token, "text": f"Comment {n}"}
        )
        for n in range(3)
    ]

    assert [status for status, _, _ in answers] == [302, 302, 429]
    _, headers, content = answers[-1]
    assert 0 < int(headers["Retry-After"]) <= 60
    assert b"You are commenting too fast" in content
    assert b"Comment 2</textarea>" in content
    assert Comment.objects.filter(post=post).count() == 2
