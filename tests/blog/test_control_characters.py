"""Control characters and dates out of range: refused at every door, harmless when stored.

One validator (``blog/validators.py``) on the model fields, named again by the page
forms and the API serializers: the editor page, the API, the admin and the services
all refuse a control character in a post's title or text or in a tag, and a publish
date no time zone can convert. The feeds strip such characters from whatever is stored
(a row written by the ORM, a migration or an import), so they stay valid XML.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest
from django.core.exceptions import ValidationError

from blog.models import Post, Tag
from blog.services import post_create
from blog.validators import CONTROL_CHARACTERS
from tests.api.conftest import client_for
from tests.factories import PostFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

# Characters a feed cannot carry, and DEL; and a few that must stay allowed.
# A lone surrogate cannot be sent in a form (not UTF-8), only as a JSON escape.
REFUSED = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\ufffe", "\uffff"]
SURROGATE = "\ud800"
ALLOWED = "tab\tnewline\ncr\r é ü 😀 \u00a0 \u2028 end"


@pytest.fixture
def poster():
    return UserFactory(username="poster", roles=["default", "poster"])


def test_the_validator_refuses_exactly_the_characters_xml_cannot_carry_and_del() -> None:
    for code in range(0x20):
        assert bool(CONTROL_CHARACTERS.search(chr(code))) == (chr(code) not in "\t\n\r")
    assert all(CONTROL_CHARACTERS.search(char) for char in [*REFUSED, SURROGATE])
    assert not CONTROL_CHARACTERS.search(ALLOWED)


@pytest.mark.parametrize("char", REFUSED)
@pytest.mark.parametrize("field", ["title", "text", "tags"])
def test_the_editor_page_refuses_a_control_character(client, poster, field, char) -> None:
    data = {"title": "T", "text": "x", "tags": "ok", field: f"a{char}b"}
    client.force_login(poster)

    response = client.post("/post/new/", data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Post.objects.exists() and not Tag.objects.exists()


@pytest.mark.parametrize("char", [*REFUSED, SURROGATE])
@pytest.mark.parametrize("field", ["title", "text", "tags"])
def test_the_api_refuses_a_control_character(poster, field, char) -> None:
    data = {"title": "T", "text": "x", "tags": ["ok"]}
    data[field] = [f"a{char}b"] if field == "tags" else f"a{char}b"

    response = client_for(poster).post(
        "/api/posts/", json.dumps(data), content_type="application/json"
    )

    assert response.status_code == 400
    assert field in response.json()
    assert not Post.objects.exists() and not Tag.objects.exists()


def test_the_api_refuses_a_control_character_in_a_comment(poster) -> None:
    post = PostFactory()

    response = client_for(poster).post(
        f"/api/posts/{post.slug}/comments/", {"text": "a\x01b"}, format="json"
    )

    assert response.status_code == 400
    assert "U+0001" in response.json()["text"][0]


@pytest.mark.parametrize("field", ["title", "text"])
def test_the_services_refuse_a_control_character(poster, field) -> None:
    data = {"title": "T", "text": "x", field: "a\x0bb"}

    with pytest.raises(ValidationError) as error:
        post_create(author=poster, **data)

    assert field in error.value.message_dict
    assert not Post.objects.exists()


def test_the_admin_refuses_a_control_character(client, poster) -> None:
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))

    post = client.post(
        "/admin/blog/post/add/",
        {
            "title": "Admin\x01post",
            "author": poster.pk,
            "publish_date_0": "2026-01-01",
            "publish_date_1": "10:00:00",
            "text": "x\x7f",
            "comments-TOTAL_FORMS": "0",
            "comments-INITIAL_FORMS": "0",
        },
    )
    tag = client.post("/admin/blog/tag/add/", {"title": "bad\x1ftag", "slug": "bad-tag"})

    assert post.status_code == 200
    assert set(post.context["adminform"].form.errors) == {"title", "text"}
    assert tag.status_code == 200
    assert "title" in tag.context["adminform"].form.errors
    assert not Post.objects.exists() and not Tag.objects.exists()


def test_allowed_characters_are_kept(poster) -> None:
    response = client_for(poster).post(
        "/api/posts/", {"title": "Fine é 😀", "text": ALLOWED, "tags": ["Café"]}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert Post.objects.get().text == ALLOWED


@pytest.mark.parametrize("path", ["/feed/", "/feed/atom/"])
def test_the_feeds_stay_valid_xml_whatever_is_stored(client, path) -> None:
    """Rows written past the validators (the ORM, a migration, an import)."""
    post = PostFactory(title="Clean", text="clean", tags=[TagFactory(title="tag")])
    Post.objects.filter(pk=post.pk).update(title="Con\x01trol\x0b", html="<p>te\x00xt\ufffe</p>")
    Tag.objects.filter(pk=post.tags.get().pk).update(title="ta\x1fg")

    response = client.get(path)

    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)  # valid XML, or this raises
    assert b"Control" in response.content
    assert b"\x01" not in response.content and b"\x0b" not in response.content
    assert "\ufffe".encode() not in response.content
    titles = [element.text for element in root.iter() if element.tag.endswith("title")]
    assert "Control" in titles


# PUBLISH DATES OUT OF RANGE
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("when", ["0001-01-01T00:00", "1899-12-31T23:59", "9999-12-31T23:59"])
def test_a_publish_date_out_of_range_east_of_utc_is_a_form_error(
    client, poster, settings, when
) -> None:
    settings.TIME_ZONE = "Asia/Tokyo"
    client.force_login(poster)

    response = client.post("/post/new/", {"title": "Old", "text": "x", "publish_date": when})

    assert response.status_code == 200
    assert "between the years 1900 and 9998" in str(response.context["form"].errors)
    assert not Post.objects.exists()


def test_the_admin_refuses_a_publish_date_out_of_range(client, poster, settings) -> None:
    settings.TIME_ZONE = "Asia/Tokyo"
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))

    response = client.post(
        "/admin/blog/post/add/",
        {
            "title": "Ancient",
            "author": poster.pk,
            "publish_date_0": "0001-01-01",
            "publish_date_1": "00:00:00",
            "text": "x",
            "comments-TOTAL_FORMS": "0",
            "comments-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "publish_date" in response.context["adminform"].form.errors
    assert not Post.objects.exists()
