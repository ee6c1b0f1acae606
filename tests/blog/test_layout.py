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
