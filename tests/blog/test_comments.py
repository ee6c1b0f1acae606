"""Comments one owns, on the pages: edit and delete one's own; the admin role hides,
restores and approves any. Refusals are 403 for a comment one sees, 404 otherwise."""

from __future__ import annotations

import pytest
from django.utils import timezone

from blog.models import Comment, CommentStatus
from tests.factories import CommentFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return UserFactory(username="reader")


@pytest.fixture
def other():
    return UserFactory(username="other")


@pytest.fixture
def editor():
    return UserFactory(username="editor", roles=["default", "admin"], is_staff=True)


@pytest.fixture
def comment(reader):
    return CommentFactory(post=PostFactory(), user=reader, name="reader", text="First words")


def edit_url(comment) -> str:
    return f"/comment/{comment.pk}/edit/"


def delete_url(comment) -> str:
    return f"/comment/{comment.pk}/delete/"


def moderate_url(comment, action: str) -> str:
    return f"/comment/{comment.pk}/{action}/"


# EDIT
# ------------------------------------------------------------------------------
class TestEdit:
    def test_the_author_edits_and_readers_see_edited_with_the_time(self, client, reader, comment):
        client.force_login(reader)
        form = client.get(edit_url(comment))
        assert form.status_code == 200
        assert "First words" in form.content.decode()

        response = client.post(edit_url(comment), {"text": "  Better words  "})

        assert response.status_code == 302
        assert response["Location"] == comment.post.get_absolute_url() + f"#comment-{comment.pk}"
        comment.refresh_from_db()
        assert comment.text == "Better words"
        assert comment.edited_at is not None
        assert abs((timezone.now() - comment.edited_at).total_seconds()) < 60
        client.logout()
        html = client.get(comment.post.get_absolute_url()).content.decode()
        assert "Better words" in html and "First words" not in html
        assert f'edited <time datetime="{comment.edited_at.isoformat()}">' in html

    def test_a_comment_never_edited_says_nothing_and_same_text_is_no_edit(
        self, client, reader, comment
    ):
        assert "edited <time" not in client.get(comment.post.get_absolute_url()).content.decode()
        client.force_login(reader)

        client.post(edit_url(comment), {"text": "First words"})

        comment.refresh_from_db()
        assert comment.edited_at is None

    @pytest.mark.parametrize("text", ["", "   ", "x" * 10_000, "a\x00b"])
    def test_bad_text_is_a_form_error_and_changes_nothing(self, client, reader, comment, text):
        client.force_login(reader)

        response = client.post(edit_url(comment), {"text": text})

        assert response.status_code == 200
        assert "text" in response.context["form"].errors
        comment.refresh_from_db()
        assert (comment.text, comment.edited_at) == ("First words", None)

    def test_someone_else_gets_403_and_nothing_changes(self, client, other, editor, comment):
        for user in (other, editor):  # the admin role hides comments; it does not edit them
            client.force_login(user)
            assert client.get(edit_url(comment)).status_code == 403
            assert client.post(edit_url(comment), {"text": "Hijacked"}).status_code == 403
        comment.refresh_from_db()
        assert comment.text == "First words"

    def test_anonymous_goes_to_login(self, client, comment):
        response = client.post(edit_url(comment), {"text": "x"})

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")

    def test_unknown_or_absurd_ids_are_404(self, client, reader):
        client.force_login(reader)

        assert client.get("/comment/424242/edit/").status_code == 404
        assert client.get("/comment/" + "9" * 40 + "/edit/").status_code == 404
        assert client.get("/comment/-1/edit/").status_code == 404

    def test_the_author_cannot_edit_a_hidden_comment_it_is_gone_for_them(
        self, client, reader, comment
    ):
        Comment.objects.filter(pk=comment.pk).update(status=CommentStatus.HIDDEN)
        client.force_login(reader)

        assert client.get(edit_url(comment)).status_code == 404
        assert client.post(delete_url(comment)).status_code == 404
        assert Comment.objects.filter(pk=comment.pk).exists()


# DELETE
# ------------------------------------------------------------------------------
class TestDelete:
    def test_the_author_confirms_then_the_comment_is_gone(self, client, reader, comment):
        client.force_login(reader)
        page = client.get(delete_url(comment))
        assert page.status_code == 200
        assert "Delete your comment?" in page.content.decode()
        assert Comment.objects.filter(pk=comment.pk).exists()  # GET deletes nothing

        response = client.post(delete_url(comment))

        assert response.status_code == 302
        assert response["Location"] == comment.post.get_absolute_url() + "#comments"
        assert not Comment.objects.filter(pk=comment.pk).exists()

    def test_someone_else_gets_403_and_the_comment_stays(self, client, other, editor, comment):
        for user in (other, editor):
            client.force_login(user)
            assert client.get(delete_url(comment)).status_code == 403
            assert client.post(delete_url(comment)).status_code == 403
        assert Comment.objects.filter(pk=comment.pk).exists()

    def test_the_page_offers_edit_and_delete_only_to_the_author(
        self, client, reader, other, comment
    ):
        client.force_login(reader)
        mine = client.get(comment.post.get_absolute_url()).content.decode()
        client.force_login(other)
        theirs = client.get(comment.post.get_absolute_url()).content.decode()

        assert edit_url(comment) in mine and delete_url(comment) in mine
        assert edit_url(comment) not in theirs and delete_url(comment) not in theirs


# HIDE AND RESTORE
# ------------------------------------------------------------------------------
class TestHideAndRestore:
    def test_the_admin_role_hides_readers_lose_it_the_admin_sees_it_marked(
        self, client, editor, reader, comment
    ):
        post_url = comment.post.get_absolute_url()
        client.force_login(editor)

        response = client.post(moderate_url(comment, "hide"))

        assert response.status_code == 302
        comment.refresh_from_db()
        assert comment.status == CommentStatus.HIDDEN
        admin_html = client.get(post_url).content.decode()
        assert "First words" in admin_html
        assert 'class="state state--hidden">hidden' in admin_html
        assert moderate_url(comment, "restore") in admin_html
        assert "Comments (0)" in admin_html
        for user in (reader, None):  # its own author too, and a visitor
            client.logout()
            if user:
                client.force_login(user)
            html = client.get(post_url).content.decode()
            assert "First words" not in html
            assert "Comments (0)" in html

    def test_restore_shows_it_again(self, client, editor, comment):
        Comment.objects.filter(pk=comment.pk).update(status=CommentStatus.HIDDEN)
        client.force_login(editor)

        client.post(moderate_url(comment, "restore"))

        comment.refresh_from_db()
        assert comment.status == CommentStatus.PUBLISHED
        client.logout()
        assert "First words" in client.get(comment.post.get_absolute_url()).content.decode()

    def test_others_may_not_hide_or_restore(self, client, reader, other, comment):
        for user in (reader, other):
            client.force_login(user)
            assert client.post(moderate_url(comment, "hide")).status_code == 403
        Comment.objects.filter(pk=comment.pk).update(status=CommentStatus.HIDDEN)
        # A hidden comment does not exist for them.
        assert client.post(moderate_url(comment, "restore")).status_code == 404
        comment.refresh_from_db()
        assert comment.status == CommentStatus.HIDDEN

    def test_moderation_is_post_only_and_unknown_actions_are_404(self, client, editor, comment):
        client.force_login(editor)

        assert client.get(moderate_url(comment, "hide")).status_code == 405
        assert client.post(moderate_url(comment, "destroy")).status_code == 404
        comment.refresh_from_db()
        assert comment.status == CommentStatus.PUBLISHED

    def test_hiding_twice_changes_nothing_the_second_time(self, client, editor, comment):
        client.force_login(editor)
        client.post(moderate_url(comment, "hide"))

        # Already hidden: no "hide" left to do, so the second request is refused.
        assert client.post(moderate_url(comment, "hide")).status_code == 403
        comment.refresh_from_db()
        assert comment.status == CommentStatus.HIDDEN
