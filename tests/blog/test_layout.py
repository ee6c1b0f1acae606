"""Every page is in the one layout: a <title>, exactly one <h1>, the stylesheet, no CDN."""

import re

import pytest

from tests.factories import CommentFactory, PostFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

ANONYMOUS_PAGES = [
    "/",
    "/post/layout-post/",
    "/tag/layout/",
    "/user/layoutposter/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/no-such-page/",
]
SIGNED_IN_PAGES = [
    "/post/new/",
    "/post/layout-post/edit/",
    "/accounts/settings/",
    "/accounts/logout/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/3rdparty/",
]


@pytest.fixture
def content():
    poster = UserFactory(username="layoutposter", roles=["default", "poster"])
    post = PostFactory(
        author=poster,
        title="Layout post",
        text="# Heading\n\ntext",
        tags=[TagFactory(title="Layout")],
    )
    CommentFactory(post=post)
    return poster


def check_layout(html: str) -> None:
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title and title.group(1).strip(" ·\n") and title.group(1).strip().endswith("Lightblog")
    assert len(re.findall(r"<h1[\s>]", html)) == 1
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "/static/blog/site.css" in html
    # Nothing is fetched from another host: the site works offline. The canonical
    # link names the page's own public address (SITE_URL) and fetches nothing.
    fetched = re.sub(r'<link rel="canonical" href="[^"]*">', "", html)
    assert not re.search(r'(src|href)="(https?:)?//', fetched)


@pytest.mark.parametrize("url", ANONYMOUS_PAGES)
def test_anonymous_pages(client, content, url):
    response = client.get(url)

    assert response.status_code in (200, 404)
    check_layout(response.content.decode())


@pytest.mark.parametrize("url", SIGNED_IN_PAGES)
def test_signed_in_pages(client, content, url):
    client.force_login(content)

    response = client.get(url)

    assert response.status_code == 200
    check_layout(response.content.decode())


def test_forbidden_page(client, content):
    client.force_login(UserFactory())

    response = client.get("/post/new/")

    assert response.status_code == 403
    check_layout(response.content.decode())


def test_stylesheet_is_served(client, settings):
    from django.contrib.staticfiles import finders

    assert finders.find("blog/site.css")


def test_every_page_names_the_favicon_and_favicon_ico_leads_to_it(client):
    html = client.get("/").content.decode()

    assert '<link rel="icon" href="/static/blog/favicon.svg" type="image/svg+xml">' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/blog/favicon.svg"


def test_the_admin_is_titled_lightblog_administration(admin_client):
    html = admin_client.get("/admin/").content.decode()

    assert "<title>Posts, people and email | Lightblog admin</title>" in html
    assert "Lightblog administration" in html


def test_settings_speak_to_the_reader_and_hide_connected_accounts_without_providers(client):
    client.force_login(UserFactory())

    html = client.get("/accounts/settings/").content.decode()

    assert "Once a week, the new posts of the week." in html
    assert "Send this user" not in html
    # No third-party provider is configured in the tests: no dead-end link.
    assert "/accounts/3rdparty/" not in html
