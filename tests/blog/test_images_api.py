"""Images in posts over the API: read-only on one post, seen by who sees the post."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from blog.images import image_prepare
from blog.services import post_image_add
from tests.api.conftest import bearer
from tests.factories import PostFactory, UserFactory
from tests.support.images import image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def author():
    return UserFactory(username="author", roles=["default", "poster"])


def add_image(post, alt: str, size=(2000, 1000)):
    return post_image_add(
        post=post, prepared=image_prepare(image_bytes("PNG", size)), alt=alt, uploaded_by=None
    )


def test_a_post_lists_its_images_with_url_size_alt_and_renditions(author) -> None:
    post = PostFactory(author=author, slug="with-images")
    first = add_image(post, "Wide", size=(2000, 1000))
    add_image(post, "Small", size=(300, 200))

    data = APIClient().get("/api/posts/with-images/").data

    names = [r["name"] for r in first.renditions]
    assert data["images"] == [
        {
            "url": f"http://testserver/media/{names[2]}",
            "width": 1600,
            "height": 800,
            "alt": "Wide",
            "renditions": [
                {"url": f"http://testserver/media/{names[0]}", "width": 480, "height": 240},
                {"url": f"http://testserver/media/{names[1]}", "width": 960, "height": 480},
                {"url": f"http://testserver/media/{names[2]}", "width": 1600, "height": 800},
            ],
        },
        {
            "url": f"http://testserver{post.images.last().src}",
            "width": 300,
            "height": 200,
            "alt": "Small",
            "renditions": [
                {"url": f"http://testserver{post.images.last().src}", "width": 300, "height": 200}
            ],
        },
    ]


@pytest.mark.parametrize("images", [0, 5])
def test_one_post_with_images_is_a_fixed_number_of_queries(
    author, django_assert_num_queries, images
) -> None:
    post = PostFactory(author=author, slug="counted")
    for n in range(images):
        add_image(post, f"Image {n}", size=(500, 300))

    # The post (comment count in a subquery), its author, its tags, its images.
    with django_assert_num_queries(4):
        data = APIClient().get("/api/posts/counted/").data

    assert len(data["images"]) == images


def test_a_drafts_images_are_seen_only_by_who_sees_the_draft(author) -> None:
    post = PostFactory(author=author, slug="secret", is_draft=True)
    add_image(post, "Not yet")
    client = APIClient()

    assert client.get("/api/posts/secret/").status_code == 404
    other = UserFactory(roles=["default", "poster"])
    assert client.get("/api/posts/secret/", **bearer(other)).status_code == 404
    own = client.get("/api/posts/secret/", **bearer(author))
    assert own.status_code == 200 and [i["alt"] for i in own.data["images"]] == ["Not yet"]
    editor = UserFactory(roles=["default", "admin"])
    assert len(client.get("/api/posts/secret/", **bearer(editor)).data["images"]) == 1


def test_images_cannot_be_written_over_the_api(author) -> None:
    post = PostFactory(author=author, slug="mine")
    client = APIClient()

    response = client.patch(
        "/api/posts/mine/",
        {"images": [{"url": "http://evil.example/x.svg", "alt": "x"}]},
        format="json",
        **bearer(author),
    )

    assert response.status_code == 200
    assert response.data["images"] == []
    assert not post.images.exists()
