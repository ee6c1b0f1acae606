"""Moderation: with ``BLOG_COMMENT_MODERATION_DAYS`` set, comments of younger accounts are
held. Only their author (marked "awaiting moderation") and the admin role see them, and
no count, list or API answer includes them until the admin role approves them, on the
page or with the Django admin's action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from blog.models import Comment, CommentStatus
from tests.api.conftest import client_for
from tests.factories import CommentFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderation(settings):
    settings.BLOG_COMMENT_MODERATION_DAYS = 3


@pytest.fixture
def newcomer():
    return UserFactory(username="newcomer")  # joined just now


@pytest.fixture
def regular():
    return UserFactory(username="regular", date_joined=timezone.now() - timedelta(days=4))


@pytest.fixture
def editor():
    return UserFactory(username="editor", roles=["default", "admin"], is_staff=True)


def comment_as(client, user, post, text: str):
    client.force_login(user)
    return client.post(post.get_absolute_url(), {"text": text}, follow=True)


def test_off_by_default_a_new_account_is_published_at_once(client, newcomer):
    post = PostFactory()

    response = comment_as(client, newcomer, post, "Hello at once")

    assert "your comment is published" in response.content.decode()
    assert Comment.objects.get().status == CommentStatus.PUBLISHED


def test_a_young_accounts_comment_is_held_and_seen_only_by_its_author_and_editors(
    moderation, client, newcomer, regular, editor
):
    post = PostFactory()

    response = comment_as(client, newcomer, post, "Held words")

    assert Comment.objects.get().status == CommentStatus.HELD
    html = response.content.decode()
    assert "awaiting moderation" in html
    assert "Held words" in html
    assert "Comments (0)" in html  # not counted until approved
    client.force_login(regular)
    assert "Held words" not in client.get(post.get_absolute_url()).content.decode()
    client.logout()
    assert "Held words" not in client.get(post.get_absolute_url()).content.decode()
    client.force_login(editor)
    editor_html = client.get(post.get_absolute_url()).content.decode()
    assert "Held words" in editor_html
    assert f"/comment/{Comment.objects.get().pk}/approve/" in editor_html


def test_older_accounts_and_editors_are_not_held(moderation, client, regular):
    post = PostFactory()
    young_editor = UserFactory(roles=["default", "admin"])

    comment_as(client, regular, post, "From a regular")
    comment_as(client, young_editor, post, "From a young editor")

    assert set(Comment.objects.values_list("status", flat=True)) == {CommentStatus.PUBLISHED}


def test_the_editor_approves_on_the_page_and_everyone_sees_it(moderation, client, newcomer, editor):
    post = PostFactory()
    comment_as(client, newcomer, post, "Held words")
    comment = Comment.objects.get()
    client.force_login(newcomer)
    assert client.post(f"/comment/{comment.pk}/approve/").status_code == 403

    client.force_login(editor)
    assert client.post(f"/comment/{comment.pk}/approve/").status_code == 302

    comment.refresh_from_db()
    assert comment.status == CommentStatus.PUBLISHED
    client.logout()
    html = client.get(post.get_absolute_url()).content.decode()
    assert "Held words" in html and "Comments (1)" in html


def test_the_django_admin_approves_with_an_action(moderation, client, newcomer, editor):
    held = CommentFactory(user=newcomer, status=CommentStatus.HELD)
    hidden = CommentFactory(status=CommentStatus.HIDDEN)
    client.force_login(editor)

    changelist = client.get("/admin/blog/comment/?status__exact=held")
    assert changelist.status_code == 200
    assert 'value="approve"' in changelist.content.decode()
    response = client.post(
        "/admin/blog/comment/",
        {"action": "approve", "_selected_action": [held.pk, hidden.pk]},
        follow=True,
    )

    assert "1 comment approved." in response.content.decode()
    held.refresh_from_db()
    hidden.refresh_from_db()
    assert (held.status, hidden.status) == (CommentStatus.PUBLISHED, CommentStatus.HIDDEN)


def test_the_django_admin_hides_and_restores(client, editor):
    comment = CommentFactory()
    client.force_login(editor)

    client.post("/admin/blog/comment/", {"action": "hide", "_selected_action": [comment.pk]})
    comment.refresh_from_db()
    assert comment.status == CommentStatus.HIDDEN
    client.post("/admin/blog/comment/", {"action": "restore", "_selected_action": [comment.pk]})
    comment.refresh_from_db()
    assert comment.status == CommentStatus.PUBLISHED


def test_a_staff_member_outside_the_admin_role_has_no_moderation_actions(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_comment", "delete_comment"])
    )
    CommentFactory(text="Listed words")
    client.force_login(staff)

    html = client.get("/admin/blog/comment/").content.decode()

    assert "Listed words" in html
    assert 'value="approve"' not in html and 'value="hide"' not in html


def test_in_the_django_admin_only_the_author_changes_or_deletes_a_comment(client, editor):
    theirs = CommentFactory(text="Their words")
    mine = CommentFactory(user=editor, name="editor", text="My words")
    client.force_login(editor)
    form = {"text": "Rewritten"}

    assert 'value="delete_selected"' not in client.get("/admin/blog/comment/").content.decode()
    assert client.post(f"/admin/blog/comment/{theirs.pk}/change/", form).status_code == 403
    assert (
        client.post(f"/admin/blog/comment/{theirs.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert client.get("/admin/blog/comment/add/").status_code == 403
    response = client.post(
        f"/admin/blog/comment/{mine.pk}/change/", {**form, "status": CommentStatus.HIDDEN}
    )
    assert response.status_code == 302
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.text == "Their words"
    # The text changed and was marked edited; the status is not a field of the form.
    assert (mine.text, mine.status) == ("Rewritten", CommentStatus.PUBLISHED)
    assert mine.edited_at is not None


def test_counts_lists_and_the_api_leave_out_held_and_hidden_comments(moderation, client, newcomer):
    post = PostFactory(title="Counted")
    CommentFactory(post=post, text="Visible one")
    CommentFactory(post=post, user=newcomer, text="Held one", status=CommentStatus.HELD)
    CommentFactory(post=post, text="Hidden one", status=CommentStatus.HIDDEN)

    home = client.get("/").content.decode()
    assert "1 comment<" in home
    assert "2 comments" not in home and "3 comments" not in home
    api = client_for(None)
    assert api.get(f"/api/posts/{post.slug}/").data["comment_count"] == 1
    listed = api.get(f"/api/posts/{post.slug}/comments/").data["results"]
    assert [c["text"] for c in listed] == ["Visible one"]
    own = client_for(newcomer).get(f"/api/posts/{post.slug}/comments/").data["results"]
    assert [(c["text"], c["status"]) for c in own] == [
        ("Visible one", "published"),
        ("Held one", "held"),
    ]
