"""The RSS and Atom feeds of the latest published posts."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from blog.feeds import FEED_SIZE
from tests.factories import PostFactory, TagFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def test_rss_lists_published_posts_newest_first(client):
    now = timezone.now()
    PostFactory(title="Older", publish_date=now - timedelta(days=2))
    PostFactory(title="Newer", publish_date=now - timedelta(days=1), tags=[TagFactory(title="Go")])
    PostFactory(title="Scheduled", publish_date=now + timedelta(days=1))

    response = client.get("/feed/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ElementTree.fromstring(response.content).find("channel")
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["Newer", "Older"]
    assert items[0].findtext("link") == "http://testserver/post/newer/"
    assert [c.text for c in items[0].findall("category")] == ["Go"]


def test_atom_feed_is_valid_xml_with_entries(client):
    PostFactory(title="Ünïcode entry", text="**bold**")

    response = client.get("/feed/atom/")

    assert response["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)
    entry = root.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Ünïcode entry"
    # The post's HTML travels escaped inside the XML, as the format requires.
    assert "<strong>bold</strong>" in entry.findtext(f"{ATOM}summary")


def test_feed_holds_at_most_the_latest_posts(client):
    for _ in range(FEED_SIZE + 3):
        PostFactory()

    items = ElementTree.fromstring(client.get("/feed/").content).findall("channel/item")

    assert len(items) == FEED_SIZE


def test_feed_queries_do_not_grow_with_posts(client, django_assert_num_queries):
    for _ in range(15):
        PostFactory(tags=[TagFactory(), TagFactory()])

    client.get("/feed/")  # the Sites framework's row is read once, then cached

    # posts with authors, their tags
    with django_assert_num_queries(2):
        client.get("/feed/")


def test_empty_feed_is_still_valid(client):
    root = ElementTree.fromstring(client.get("/feed/").content)

    assert root.find("channel").findall("item") == []
