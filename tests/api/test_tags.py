"""/api/tags/: every tag with its number of published posts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import PostFactory, TagFactory

from .conftest import client_for

pytestmark = pytest.mark.django_db


def test_tags_with_their_published_post_counts(api_client) -> None:
    django, flask, _empty = (TagFactory(title=t) for t in ("Django", "Flask", "Empty"))
    PostFactory.create_batch(3, tags=[django])
    PostFactory(tags=[django, flask])
    PostFactory(tags=[flask], publish_date=timezone.now() + timedelta(days=1))  # a draft

    response = api_client.get("/api/tags/")

    assert response.status_code == 200
    counts = [(t["title"], t["post_count"]) for t in response.data["results"]]
    assert counts == [("Django", 4), ("Empty", 0), ("Flask", 1)]
    item = next(t for t in response.data["results"] if t["slug"] == "django")
    assert item["posts_url"] == "http://testserver/api/posts/?tag=django"
    assert api_client.get(item["posts_url"]).data["count"] == 4


def test_tags_query_count_is_constant(api_client, django_assert_num_queries) -> None:
    for n in range(12):
        PostFactory(tags=[TagFactory(title=f"Tag {n}")])

    with django_assert_num_queries(2):  # the COUNT and the page, counts aggregated in it
        response = api_client.get("/api/tags/")

    assert len(response.data["results"]) == 10


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_tags_are_read_only(users, method) -> None:
    response = getattr(client_for(users["admin"]), method)("/api/tags/", {"title": "x"})

    assert response.status_code == 405
