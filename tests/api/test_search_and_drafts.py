"""The API's ``?search=`` on the post list and the draft state of a post.

Transactional: InnoDB's FULLTEXT index sees rows only once committed (MariaDB run).
"""

from __future__ import annotations

import pytest

from blog.models import Post
from blog.services import post_create
from tests.api.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

LIST = "/api/posts/"


@pytest.fixture
def writer():
    return UserFactory(username="writer", roles=["default", "poster"])


@pytest.fixture
def posts(writer):
    post_create(author=writer, title="Queues in practice", text="A worker claims a task.")
    post_create(author=writer, title="我的轻博客", text="轻博客的第一篇文章。", tags=["中文"])
    post_create(author=writer, title="Draft about queues", text="queues", draft=True)


def titles(response) -> list[str]:
    return [item["title"] for item in response.json()["results"]]


@pytest.mark.parametrize(
    "search, expected",
    [
        ("queues", ["Queues in practice"]),
        ("轻博客", ["我的轻博客"]),
        ("中文", ["我的轻博客"]),
        ('+-*"()~<>@:^', []),
        ("AND OR NOT NEAR", []),
    ],
)
def test_search_finds_published_posts_only(api_client, posts, search, expected):
    response = api_client.get(LIST, {"search": search})

    assert response.status_code == 200
    assert titles(response) == expected
    assert response.json()["count"] == len(expected)
    assert all(item["state"] == "published" for item in response.json()["results"])


def test_blank_search_is_the_plain_list(api_client, posts):
    assert titles(api_client.get(LIST, {"search": " "})) == titles(api_client.get(LIST))


def test_search_too_long_is_a_json_400(api_client, posts, settings):
    settings.BLOG_SEARCH_QUERY_MAX_LENGTH = 200

    response = api_client.get(LIST, {"search": "x" * 10_000})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "search" in response.json()


def test_search_with_tag_or_author_is_a_400(api_client, posts):
    response = api_client.get(LIST, {"search": "queues", "tag": "x"})

    assert response.status_code == 400
    assert "search" in response.json()


@pytest.mark.parametrize("posts_count", [1, 15])
def test_search_takes_a_fixed_number_of_queries(
    api_client, writer, django_assert_num_queries, posts_count
):
    for i in range(posts_count):
        post_create(author=writer, title=f"Kiwi {i}", text="kiwi", tags=["Fruit"])

    # The count, the page's ids, the posts, their authors, their tags.
    with django_assert_num_queries(5):
        response = api_client.get(LIST, {"search": "kiwi"})

    assert len(response.json()["results"]) == min(posts_count, 10)


def test_a_poster_writes_a_draft_and_publishes_it(writer, api_client):
    client = client_for(writer)

    created = client.post(LIST, {"title": "Via API", "text": "body", "draft": True}, format="json")

    assert created.status_code == 201
    assert created.json()["state"] == "draft"
    slug = created.json()["slug"]
    assert api_client.get(f"{LIST}{slug}/").status_code == 404
    assert client.get(f"{LIST}{slug}/").status_code == 200
    assert titles(api_client.get(LIST)) == []

    published = client.patch(f"{LIST}{slug}/", {"draft": False}, format="json")

    assert published.status_code == 200 and published.json()["state"] == "published"
    assert titles(api_client.get(LIST)) == ["Via API"]
    assert titles(api_client.get(LIST, {"search": "body"})) == ["Via API"]


def test_delete_by_another_poster_keeps_its_rules(writer, api_client):
    post = post_create(author=writer, title="Mine", text="x")
    other = UserFactory(username="other", roles=["default", "poster"])

    assert client_for(other).delete(f"{LIST}{post.slug}/").status_code == 403
    assert client_for(writer).delete(f"{LIST}{post.slug}/").status_code == 204
    assert not Post.objects.filter(pk=post.pk).exists()
    assert titles(api_client.get(LIST, {"search": "mine"})) == []
