"""Third-party login: buttons for configured providers only, and GitHub's OAuth
callback with GitHub's token and profile endpoints served by the test."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

from blog.models import User
from blog.permissions import can_comment
from reminders.models import Reminder
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


@pytest.fixture
def github_app(settings):
    providers = {k: dict(v) for k, v in settings.SOCIALACCOUNT_PROVIDERS.items()}
    for provider in providers.values():
        provider.pop("APPS", None)
    providers["github"]["APPS"] = [{"client_id": "gh-client-id", "secret": "gh-secret", "key": ""}]
    settings.SOCIALACCOUNT_PROVIDERS = providers


class FakeGitHub:
    """GitHub's token and API endpoints, at the HTTP transport under requests."""

    def __init__(self, profile: dict, emails: list[dict]):
        self.profile, self.emails = profile, emails
        self.calls: list[str] = []

    def send(self, request: requests.PreparedRequest) -> requests.Response:
        self.calls.append(f"{request.method} {request.url}")
        url = urlparse(request.url)
        if (request.method, url.netloc, url.path) == (
            "POST", "github.com", "/login/oauth/access_token"
        ):  # fmt: skip
            body = parse_qs(request.body)
            assert body["code"] == ["code-from-github"]
            assert body["client_secret"] == ["gh-secret"]
            payload = {"access_token": "gh-token", "token_type": "bearer", "scope": "user:email"}
        elif url.netloc == "api.github.com" and url.path == "/user":
            assert request.headers["Authorization"] == "token gh-token"
            payload = self.profile
        elif url.netloc == "api.github.com" and url.path == "/user/emails":
            payload = self.emails
        else:
            raise AssertionError(f"unexpected request to {request.url}")
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        response._content = json.dumps(payload).encode()
        response.url = request.url
        response.request = request
        return response


@pytest.fixture
def github(monkeypatch):
    fake = FakeGitHub(
        profile={"id": 424242, "login": "octocat", "name": "Mona Octocat", "email": None},
        emails=[{"email": "octocat@example.com", "primary": True, "verified": True}],
    )
    monkeypatch.setattr(
        requests.adapters.HTTPAdapter, "send", lambda adapter, request, **kw: fake.send(request)
    )
    return fake


def github_round_trip(client) -> object:
    """Start at the button (a POST), come back from GitHub with a code and the state."""
    start = client.post("/accounts/github/login/")
    assert start.status_code == 302
    authorize = urlparse(start["Location"])
    assert (authorize.netloc, authorize.path) == ("github.com", "/login/oauth/authorize")
    query = parse_qs(authorize.query)
    assert query["client_id"] == ["gh-client-id"]
    return client.get(
        "/accounts/github/login/callback/",
        {"code": "code-from-github", "state": query["state"][0]},
    )


def test_login_page_shows_no_provider_when_none_is_configured(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        k: {kk: vv for kk, vv in v.items() if kk != "APPS"}
        for k, v in settings.SOCIALACCOUNT_PROVIDERS.items()
    }

    html = client.get(LOGIN_URL).content.decode()

    assert "/accounts/github/login/" not in html
    assert "/accounts/facebook/login/" not in html
    assert "/accounts/google/login/" not in html


def test_login_page_shows_only_the_configured_provider(client, github_app):
    html = client.get(LOGIN_URL).content.decode()

    assert "/accounts/github/login/" in html
    assert "/accounts/facebook/login/" not in html
    assert "/accounts/google/login/" not in html


def test_settings_link_connected_accounts_only_when_a_provider_is_configured(client, settings):
    client.force_login(UserFactory())
    providers = {k: dict(v) for k, v in settings.SOCIALACCOUNT_PROVIDERS.items()}
    for provider in providers.values():
        provider.pop("APPS", None)
    settings.SOCIALACCOUNT_PROVIDERS = providers
    assert "/accounts/3rdparty/" not in client.get("/accounts/settings/").content.decode()

    providers["github"]["APPS"] = [{"client_id": "gh-client-id", "secret": "gh-secret", "key": ""}]
    html = client.get("/accounts/settings/").content.decode()

    assert '<a href="/accounts/3rdparty/">Connected accounts</a> (sign in with GitHub)' in html


def test_github_callback_creates_a_signed_in_user_with_role_and_welcome(client, github_app, github):
    response = github_round_trip(client)

    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="octocat@example.com")
    assert user.username == "octocat"
    assert int(client.session["_auth_user_id"]) == user.pk
    assert SocialAccount.objects.get(user=user).uid == "424242"
    assert can_comment(user)
    assert Reminder.objects.filter(email="octocat@example.com", user=user).count() == 1
    assert "GET https://api.github.com/user" in github.calls


def test_second_github_login_signs_in_the_same_user(client, github_app, github):
    github_round_trip(client)
    client.post("/accounts/logout/")

    github_round_trip(client)

    assert User.objects.count() == 1
    assert Reminder.objects.count() == 1
    assert int(client.session["_auth_user_id"]) == User.objects.get().pk


def test_callback_with_a_forged_state_signs_in_nobody(client, github_app, github):
    client.post("/accounts/github/login/")

    response = client.get(
        "/accounts/github/login/callback/", {"code": "code-from-github", "state": "forged"}
    )

    assert "_auth_user_id" not in client.session
    assert User.objects.count() == 0
    assert response.status_code == 401
    assert github.calls == []


def test_github_email_of_an_existing_account_does_not_take_it_over(client, github_app, github):
    UserFactory(username="existing", email="octocat@example.com")

    github_round_trip(client)

    # allauth asks the visitor to finish signing up instead of logging into "existing".
    assert client.session.get("_auth_user_id") is None
    assert User.objects.count() == 1
