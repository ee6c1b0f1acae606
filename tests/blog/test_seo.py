"""What search engines, link previews and feed readers read: the sitemap, robots.txt,
canonical links, descriptions, OpenGraph and JSON-LD, and the feeds of a tag or an
author. Drafts and scheduled posts appear in none of them."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.contrib.sites.models import Site
from django.utils import timezone

from blog import seo
from blog.models import Post
from tests.factories import PostFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
PUBLIC = "https://blog.example.org"


@pytest.fixture(autouse=True)
def public_address(settings):
    settings.SITE_URL = PUBLIC + "/"


@pytest.fixture
def site_content():
    """A published post, a draft and a scheduled post, each by its own author with its
    own tag, so that what must stay hidden can be looked for by name."""
    now = timezone.now()
    shown = PostFactory(
        title="Shown",
        author=UserFactory(username="shown-author", roles=["default", "poster"]),
        tags=[TagFactory(title="Visible")],
        publish_date=now - timedelta(days=1),
    )
    PostFactory(
        title="Draft",
        is_draft=True,
        author=UserFactory(username="draft-author", roles=["default", "poster"]),
        tags=[TagFactory(title="Drafty")],
    )
    PostFactory(
        title="Later",
        author=UserFactory(username="later-author", roles=["default", "poster"]),
        tags=[TagFactory(title="Future")],
        publish_date=now + timedelta(days=1),
    )
    return shown


def locations(response) -> list[str]:
    root = ElementTree.fromstring(response.content)
    return [loc.text for loc in root.iter(f"{SITEMAP}loc")]


def meta(html: str, attribute: str, name: str) -> list[str]:
    return re.findall(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)"', html)


# SITEMAP AND ROBOTS
# ------------------------------------------------------------------------------
def test_the_sitemap_index_names_each_section_on_the_public_address(client, site_content):
    response = client.get("/sitemap.xml", HTTP_HOST="127.0.0.1:8000")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert locations(response) == [
        f"{PUBLIC}/sitemap-posts.xml",
        f"{PUBLIC}/sitemap-tags.xml",
        f"{PUBLIC}/sitemap-authors.xml",
    ]


def test_the_sitemap_lists_only_what_visitors_see_with_its_last_change(client, site_content):
    posts = client.get("/sitemap-posts.xml")
    tags = client.get("/sitemap-tags.xml")
    authors = client.get("/sitemap-authors.xml")

    assert locations(posts) == [f"{PUBLIC}/post/shown/"]
    assert locations(tags) == [f"{PUBLIC}/tag/visible/"]
    assert locations(authors) == [f"{PUBLIC}/user/shown-author/"]
    lastmod = ElementTree.fromstring(posts.content).find(f"{SITEMAP}url/{SITEMAP}lastmod")
    assert lastmod.text == site_content.updated.date().isoformat()


def test_an_unknown_sitemap_section_is_a_404(client):
    assert client.get("/sitemap-secrets.xml").status_code == 404


@pytest.mark.parametrize("section", ["posts", "tags", "authors"])
def test_a_sitemap_section_costs_two_queries_for_3_or_30_posts(
    client, django_assert_num_queries, section
):
    def add_posts(count: int) -> None:
        for _ in range(count):
            PostFactory(tags=[TagFactory()], author=UserFactory(roles=["default", "poster"]))

    add_posts(3)
    client.get(f"/sitemap-{section}.xml")  # Django's view reads the Sites row once
    with django_assert_num_queries(2):
        client.get(f"/sitemap-{section}.xml")
    add_posts(27)
    with django_assert_num_queries(2):
        response = client.get(f"/sitemap-{section}.xml")
    assert len(locations(response)) == 30


def test_robots_txt_keeps_crawlers_off_private_pages_and_names_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/accounts/", "/admin/", "/api/", "/my/", "/search/"):
        assert f"Disallow: {path}" in lines
    assert f"Sitemap: {PUBLIC}/sitemap.xml" in lines


# THE <head> OF EVERY PAGE
# ------------------------------------------------------------------------------
def test_the_canonical_link_keeps_the_page_number_and_drops_other_query(client):
    for _ in range(11):
        PostFactory()

    first = client.get("/?utm_source=x").content.decode()
    second = client.get("/?page=2&utm_source=x", HTTP_HOST="localhost:8000").content.decode()

    assert f'<link rel="canonical" href="{PUBLIC}/">' in first
    assert f'<link rel="canonical" href="{PUBLIC}/?page=2">' in second


def test_a_published_post_has_its_description_card_and_blog_posting(client, site_content):
    post = site_content
    post.text = "First **words** of the post. " + "More words here. " * 30
    post.save()

    html = client.get(post.get_absolute_url()).content.decode()

    url = f"{PUBLIC}/post/shown/"
    assert f'<link rel="canonical" href="{url}">' in html
    [description] = meta(html, "name", "description")
    assert description.startswith("First words of the post.")
    assert len(description) <= seo.DESCRIPTION_CHARS and "<" not in description
    assert meta(html, "property", "og:type") == ["article"]
    assert meta(html, "property", "og:title") == ["Shown"]
    assert meta(html, "property", "og:url") == [url]
    assert meta(html, "property", "og:description") == [description]
    assert meta(html, "property", "article:author") == [f"{PUBLIC}/user/shown-author/"]
    assert meta(html, "property", "article:tag") == ["Visible"]
    assert meta(html, "name", "twitter:card") == ["summary"]
    assert 'name="robots"' not in html

    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(block)
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == "Shown"
    assert data["url"] == url
    assert data["author"] == {
        "@type": "Person",
        "name": "shown-author",
        "url": f"{PUBLIC}/user/shown-author/",
    }
    assert data["datePublished"] == post.publish_date.isoformat()
    assert data["keywords"] == ["Visible"]


def test_a_title_cannot_close_the_json_ld_block(client, site_content):
    Post.objects.filter(pk=site_content.pk).update(title="</script><script>alert(1)</script>")

    html = client.get(site_content.get_absolute_url()).content.decode()

    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert json.loads(block)["headline"] == "</script><script>alert(1)</script>"
    assert "<" not in block


@pytest.mark.parametrize("title", ["Draft", "Later"])
def test_an_unpublished_post_preview_is_not_indexed_nor_described(client, site_content, title):
    post = Post.objects.get(title=title)
    client.force_login(post.author)

    html = client.get(post.get_absolute_url()).content.decode()

    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "application/ld+json" not in html
    assert meta(html, "property", "og:type") == []


def test_search_results_are_not_indexed(client):
    html = client.get("/search/?q=anything").content.decode()

    assert '<meta name="robots" content="noindex, follow">' in html


# FEEDS
# ------------------------------------------------------------------------------
def test_a_tag_feed_holds_only_that_tags_published_posts(client, site_content):
    PostFactory(title="Other tag", tags=[TagFactory(title="Elsewhere")])

    response = client.get("/tag/visible/feed/")

    assert response.status_code == 200
    channel = ElementTree.fromstring(response.content).find("channel")
    assert channel.findtext("title") == "Lightblog: posts tagged “Visible”"
    assert channel.findtext("link") == "http://testserver/tag/visible/"
    assert [item.findtext("title") for item in channel.findall("item")] == ["Shown"]
    assert client.get("/tag/future/feed/").status_code == 200
    assert (
        ElementTree.fromstring(client.get("/tag/future/feed/").content).find("channel/item") is None
    )


def test_an_author_feed_in_atom_holds_only_their_published_posts(client, site_content):
    response = client.get("/user/later-author/feed/atom/")

    root = ElementTree.fromstring(response.content)
    assert root.findtext(f"{ATOM}title") == "Lightblog: posts by later-author"
    assert root.findall(f"{ATOM}entry") == []
    shown = ElementTree.fromstring(client.get("/user/shown-author/feed/atom/").content)
    assert [e.findtext(f"{ATOM}title") for e in shown.findall(f"{ATOM}entry")] == ["Shown"]


@pytest.mark.parametrize("url", ["/tag/no-such-tag/feed/", "/user/nobody/feed/atom/"])
def test_the_feed_of_something_unknown_is_a_404(client, url):
    assert client.get(url).status_code == 404


def test_links_inside_feed_items_are_absolute(client):
    PostFactory(
        title="Links",
        text=(
            "[another](/post/another/) and [same page](#part) and "
            "[mail](mailto:a@example.com) and [out](https://example.net/x)\n\n"
            "![a map](/media/map.png)"
        ),
    )

    channel = ElementTree.fromstring(client.get("/feed/").content).find("channel")
    html = channel.find("item").findtext("description")

    assert 'href="http://testserver/post/another/"' in html
    assert 'src="http://testserver/media/map.png"' in html
    assert 'href="#part"' in html
    assert 'href="mailto:a@example.com"' in html
    assert 'href="https://example.net/x"' in html


def test_tag_and_author_pages_announce_their_own_feeds(client, site_content):
    tag_page = client.get("/tag/visible/").content.decode()
    author_page = client.get("/user/shown-author/").content.decode()

    assert (
        'type="application/rss+xml" title="Lightblog: Visible (RSS)" href="/tag/visible/feed/"'
        in (tag_page)
    )
    assert 'href="/user/shown-author/feed/atom/"' in author_page
    # Every page also announces the whole site's feeds.
    assert 'type="application/rss+xml" title="Lightblog (RSS)" href="/feed/"' in tag_page


def test_the_nav_leads_to_a_subscribe_page_listing_the_feeds(client, site_content):
    home = client.get("/").content.decode()
    assert '<a href="/feeds/">Feeds</a>' in home

    page = client.get("/feeds/").content.decode()

    assert f"<code>{PUBLIC}/feed/</code>" in page
    assert f"<code>{PUBLIC}/feed/atom/</code>" in page
    assert 'href="/tag/visible/feed/"' in page
    # Tags with no published post are not offered.
    assert "/tag/drafty/feed/" not in page and "/tag/future/feed/" not in page


# ONE PUBLIC ADDRESS
# ------------------------------------------------------------------------------
def test_the_sites_row_takes_the_host_of_site_url(settings):
    Site.objects.filter(pk=settings.SITE_ID).update(domain="localhost:8000", name="My blog")
    Site.objects.clear_cache()

    seo.site_row_sync()

    site = Site.objects.get_current()
    assert (site.domain, site.name) == ("blog.example.org", "My blog")
