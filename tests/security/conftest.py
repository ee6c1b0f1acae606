"""Helpers for the security tests: a real server in a subprocess and a browser-like
session that speaks to it over a socket (cookies, CSRF tokens), as an attacker does."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.cache import cache

from tests.support import processes
from tests.support.smtp import free_port

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Session(requests.Session):
    """``requests`` against ``base_url``, filling in the CSRF token of each form page."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def url(self, path: str) -> str:
        return self.base_url + path

    def csrf_token(self, path: str) -> str:
        page = self.get(self.url(path), timeout=30)
        match = CSRF_INPUT.search(page.text)
        assert match, f"no CSRF token on {path} ({page.status_code})"
        return match.group(1)

    def post_form(
        self, path: str, data: dict, headers: dict | None = None, token: str | None = None
    ) -> requests.Response:
        data = {"csrfmiddlewaretoken": token or self.csrf_token(path), **data}
        headers = {"Referer": self.url(path), **(headers or {})}
        return self.post(self.url(path), data=data, headers=headers, timeout=30)


@contextmanager
def serving(kind: str, env: dict[str, str], log_dir: Path, *, workers: int = 2) -> Iterator[str]:
    """``runserver`` or ``gunicorn`` on a free port; yields its base URL once it answers."""
    port = free_port()
    if kind == "gunicorn":
        process = processes.gunicorn(env=env, log_dir=log_dir, port=port, workers=workers)
    else:
        process = processes.runserver(env=env, log_dir=log_dir, port=port)
    base_url = f"http://127.0.0.1:{port}"
    with processes.running(process):
        processes.wait_for_http(base_url, timeout=90, process=process)
        yield base_url


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Throttles and allauth's limits count in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def log_dir(request) -> Path:
    return Path(settings.VAR_DIR) / "security-logs" / request.node.name.replace("/", "_")


@pytest.fixture
def runserver(subprocess_env, log_dir) -> Callable[..., object]:
    """``runserver(**env)``: a context manager serving the test database with ``env``."""

    def start(**overrides: str):
        return serving("runserver", subprocess_env(**overrides), log_dir)

    return start
