"""Posts, comments and tags: slugs, stored HTML, the published() QuerySet and the services."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from blog.models import COMMENT_TEXT_MAX_LENGTH, POST_TITLE_MAX_LENGTH, Post, Tag
from blog.services import (
    comment_create,
    post_create,
    post_update,
    tag_titles_parse,
    tags_get_or_create,
)
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def poster():
    return UserFactory(username="ada", roles=["default", "poster"])


class TestPostCreate:
    def test_slug_is_made_from_the_title(self, poster):
        post = post_create(author=poster, title="Hello, World!", text="Hi")

        assert post.slug == "hello-world"
        assert post.get_absolute_url() == "/post/hello-world/"

    def test_unicode_title_keeps_its_letters_in_the_slug(self, poster):
        post = post_create(author=poster, title="Ünïcödé ブログ Привет", text="Hi")

        assert post.slug == "ünïcödé-ブログ-привет"
        assert Post.objects.get(slug="ünïcödé-ブログ-привет") == post

    def test_same_title_twice_gets_a_second_slug(self, poster):
        first = post_create(author=poster, title="Same", text="a")
        second = post_create(author=poster, title="Same", text="b")

        assert (first.slug, second.slug) == ("same", "same-2")

    def test_title_without_letters_gets_a_fallback_slug(self, poster):
        post = post_create(author=poster, title="!!!", text="a")

        assert post.slug == "post"

    @pytest.mark.parametrize("title", ["", "   ", "x" * (POST_TITLE_MAX_LENGTH + 1)])
    def test_empty_or_over_long_title_is_refused_and_nothing_saved(self, poster, title):
        with pytest.raises(ValidationError) as error:
            post_create(author=poster, title=title, text="text")

        assert "title" in error.value.message_dict
        assert Post.objects.count() == 0

    def test_empty_text_is_refused(self, poster):
        with pytest.raises(ValidationError) as error:
            post_create(author=poster, title="Title", text="")

        assert "text" in error.value.message_dict

    def test_markdown_is_rendered_once_into_stored_html(self, poster):
        post = post_create(author=poster, title="T", text="# Head\n\nSome *emphasis*.")

        stored = Post.objects.get(pk=post.pk)
        # "#" is an <h2>: the page's only <h1> is the post title.
        assert "<h2" in stored.html and "<h1" not in stored.html
        assert "<em>emphasis</em>" in stored.html
        assert "emphasis" in stored.excerpt

    @pytest.mark.parametrize(
        ("markdown", "forbidden"),
        [
            ("<script>alert(1)</script>", "<script"),
            ('<img src="x" onerror="alert(1)">', "onerror"),
            ("[click](javascript:alert(1))", "javascript:"),
            ('<a href="javascript:alert(1)">x</a>', "javascript:"),
            ('<p onclick="alert(1)">x</p>', "onclick"),
            ("<iframe src='https://evil.example'></iframe>", "<iframe"),
        ],
    )
    def test_script_never_survives_in_the_html(self, poster, markdown, forbidden):
        post = post_create(author=poster, title="Evil", text=markdown)

        assert forbidden not in post.html.lower()
        assert forbidden not in post.excerpt.lower()

    def test_tags_are_created_once_and_matched_by_slug(self, poster):
        post = post_create(author=poster, title="T", text="x", tags=["Django", " python "])
        other = post_create(author=poster, title="U", text="x", tags=["django", "Ünïcode"])

        assert sorted(t.title for t in post.tags.all()) == ["Django", "python"]
        assert sorted(t.slug for t in other.tags.all()) == ["django", "ünïcode"]
        assert Tag.objects.count() == 3

    def test_tag_without_letters_is_refused(self, poster):
        with pytest.raises(ValidationError) as error:
            post_create(author=poster, title="T", text="x", tags=["???"])

        assert "tags" in error.value.message_dict
        assert Post.objects.count() == 0


class TestPostUpdate:
    def test_update_rerenders_html_and_keeps_the_slug(self, poster):
        post = post_create(author=poster, title="First title", text="old", tags=["a"])

        post_update(post=post, title="New title", text="**new**", tags=["b", "c"])

        post.refresh_from_db()
        assert post.slug == "first-title"
        assert post.title == "New title"
        assert "<strong>new</strong>" in post.html
        assert sorted(t.title for t in post.tags.all()) == ["b", "c"]

    def test_invalid_update_changes_nothing(self, poster):
        post = post_create(author=poster, title="Keep", text="old")

        with pytest.raises(ValidationError):
            post_update(post=post, title="", text="new")

        post.refresh_from_db()
        assert (post.title, post.text) == ("Keep", "old")


class TestPublished:
    def test_published_excludes_future_posts(self):
        now = timezone.now()
        past = PostFactory(publish_date=now - timedelta(days=1))
        PostFactory(publish_date=now + timedelta(days=1))

        assert list(Post.objects.published()) == [past]

    def test_posts_are_ordered_newest_first(self):
        now = timezone.now()
        old = PostFactory(publish_date=now - timedelta(days=2))
        new = PostFactory(publish_date=now - timedelta(days=1))

        assert list(Post.objects.published()) == [new, old]


class TestComments:
    def test_comment_takes_the_users_name(self):
        post = PostFactory()
        user = UserFactory(username="grace")

        comment = comment_create(post=post, user=user, text="  Nice post  ")

        assert (comment.name, comment.text, comment.user) == ("grace", "Nice post", user)
        assert list(post.comments.all()) == [comment]

    @pytest.mark.parametrize("text", ["", "   ", "x" * 10_000])
    def test_empty_or_10000_character_comment_is_refused(self, text):
        post = PostFactory()

        with pytest.raises(ValidationError) as error:
            comment_create(post=post, user=UserFactory(), text=text)

        assert "text" in error.value.message_dict
        assert post.comments.count() == 0

    def test_longest_allowed_comment_is_kept_whole(self):
        post = PostFactory()

        comment = comment_create(post=post, user=UserFactory(), text="é" * COMMENT_TEXT_MAX_LENGTH)

        comment.refresh_from_db()
        assert comment.text == "é" * COMMENT_TEXT_MAX_LENGTH

    def test_deleting_the_user_keeps_the_comment_and_its_name(self):
        user = UserFactory(username="leaving")
        comment = comment_create(post=PostFactory(), user=user, text="bye")

        user.delete()

        comment.refresh_from_db()
        assert (comment.user, comment.name) == (None, "leaving")


class TestTags:
    def test_parse_trims_drops_blanks_and_duplicates(self):
        assert tag_titles_parse(" a , ,b,A,  c  d ") == ["a", "b", "c d"]

    def test_more_than_ten_tags_is_refused(self):
        with pytest.raises(ValidationError):
            tags_get_or_create(titles=[f"t{i}" for i in range(11)])

        assert Tag.objects.count() == 0

    def test_over_long_tag_is_refused(self):
        with pytest.raises(ValidationError):
            tags_get_or_create(titles=["x" * 51])
