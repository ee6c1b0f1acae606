"""The permission matrix: every write of the API, for every role.

Roles: ``anonymous`` (no token), ``default`` (a registered user), ``poster`` (may post;
not the author of the post written to), ``author`` (the poster who wrote it), ``admin``
(the editor role, with admin-site access) and ``staff`` (admin-site access only).
Each expected answer is written out, and checked against ``blog.permissions`` too, so
the API and the pages can never disagree.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from blog.models import Comment, Post
from blog.permissions import can_comment, can_edit_post, can_post
from blog.services import user_revoke_poster
from reminders.models import Reminder
from tests.factories import UserFactory
from tests.reminders.factories import ReminderFactory

from .conftest import ROLES, client_for

pytestmark = pytest.mark.django_db

OK, UNAUTHENTICATED, FORBIDDEN = "ok", 401, 403


def matrix(**answers):
    assert set(answers) == set(ROLES)
    return list(answers.items())


@pytest.mark.parametrize(
    ("role", "expected"),
    matrix(
        anonymous=UNAUTHENTICATED,
        default=FORBIDDEN,
        poster=OK,
        author=OK,
        admin=OK,
        staff=FORBIDDEN,
    ),
)
def test_create_post(users, role, expected) -> None:
    user = users[role]

    response = client_for(user).post("/api/posts/", {"title": "New", "text": "Text."})

    if expected == OK:
        assert response.status_code == 201, response.data
        assert Post.objects.get(slug=response.data["slug"]).author == user
        assert can_post(user)
    else:
        assert response.status_code == expected
        assert not Post.objects.filter(title="New").exists()
        assert user is None or not can_post(user)


EDIT_MATRIX = matrix(
    anonymous=UNAUTHENTICATED,
    default=FORBIDDEN,
    poster=FORBIDDEN,
    author=OK,
    admin=OK,
    staff=FORBIDDEN,
)


@pytest.mark.parametrize(("role", "expected"), EDIT_MATRIX)
def test_put_post(users, post, role, expected) -> None:
    user = users[role]

    response = client_for(user).put(
        f"/api/posts/{post.slug}/", {"title": "Replaced", "text": "Replaced."}
    )

    post.refresh_from_db()
    if expected == OK:
        assert response.status_code == 200, response.data
        assert post.title == "Replaced"
        assert can_edit_post(user, post)
    else:
        assert response.status_code == expected
        assert post.title == "A post to change"
        assert user is None or not can_edit_post(user, post)


@pytest.mark.parametrize(("role", "expected"), EDIT_MATRIX)
def test_patch_post(users, post, role, expected) -> None:
    user = users[role]

    response = client_for(user).patch(f"/api/posts/{post.slug}/", {"text": "Patched."})

    post.refresh_from_db()
    if expected == OK:
        assert response.status_code == 200, response.data
        assert post.text == "Patched."
    else:
        assert response.status_code == expected
        assert post.text == "Some *Markdown*."


@pytest.mark.parametrize(("role", "expected"), EDIT_MATRIX)
def test_delete_post(users, post, role, expected) -> None:
    user = users[role]

    response = client_for(user).delete(f"/api/posts/{post.slug}/")

    if expected == OK:
        assert response.status_code == 204
        assert not Post.objects.filter(pk=post.pk).exists()
    else:
        assert response.status_code == expected
        assert Post.objects.filter(pk=post.pk).exists()


@pytest.mark.parametrize(
    ("role", "expected"),
    matrix(anonymous=UNAUTHENTICATED, default=OK, poster=OK, author=OK, admin=OK, staff=OK),
)
def test_comment(users, post, role, expected) -> None:
    user = users[role]

    response = client_for(user).post(f"/api/posts/{post.slug}/comments/", {"text": "Hi!"})

    if expected == OK:
        assert response.status_code == 201, response.data
        assert Comment.objects.get(post=post).user == user
        assert can_comment(user)
    else:
        assert response.status_code == expected
        assert not Comment.objects.exists()


def test_a_user_without_the_default_role_may_not_comment(post) -> None:
    user = UserFactory(roles=[])

    response = client_for(user).post(f"/api/posts/{post.slug}/comments/", {"text": "Hi!"})

    assert response.status_code == 403
    assert not can_comment(user)


def test_a_deactivated_author_may_no_longer_edit(users, post) -> None:
    author = users["author"]
    client = client_for(author)
    author.is_active = False
    author.save()

    response = client.patch(f"/api/posts/{post.slug}/", {"text": "Too late."})

    # simplejwt refuses an inactive user's token outright.
    assert response.status_code == 401
    post.refresh_from_db()
    assert post.text == "Some *Markdown*."


def test_a_poster_whose_role_is_revoked_may_no_longer_edit_their_post(users, post) -> None:
    user_revoke_poster(user=users["author"])

    response = client_for(users["author"]).patch(f"/api/posts/{post.slug}/", {"text": "No."})

    assert response.status_code == 403


# REMINDERS: the admin's model permissions, which no blog role has
# ------------------------------------------------------------------------------
# ``admin`` and ``staff`` may use the admin site but hold no reminder permission, so
# they are refused here as the admin refuses them; each permission set, and staff
# who hold them, are in test_reminder_permissions.py.
STAFF_ONLY = matrix(
    anonymous=UNAUTHENTICATED,
    default=FORBIDDEN,
    poster=FORBIDDEN,
    author=FORBIDDEN,
    admin=FORBIDDEN,
    staff=FORBIDDEN,
)


@pytest.mark.parametrize(("role", "expected"), STAFF_ONLY)
def test_create_reminder(users, role, expected) -> None:

    response = client_for(users[role]).post(
        "/api/reminders/", {"email": "r@example.com", "text": "Hi", "date": timezone.now()}
    )

    if expected == OK:
        assert response.status_code == 201, response.data
        assert Reminder.objects.filter(email="r@example.com").count() == 1
    else:
        assert response.status_code == expected
        assert not Reminder.objects.exists()


@pytest.mark.parametrize(("role", "expected"), STAFF_ONLY)
@pytest.mark.parametrize(
    ("action", "status_before", "status_after"),
    [
        ("send-now", "cancelled", "pending"),
        ("cancel", "pending", "cancelled"),
        ("send-again", "sent", "pending"),
    ],
)
def test_reminder_actions(users, role, expected, action, status_before, status_after) -> None:
    reminder = ReminderFactory(date=timezone.now() + timedelta(days=3))
    Reminder.objects.filter(pk=reminder.pk).update(status=status_before)

    response = client_for(users[role]).post(f"/api/reminders/{reminder.pk}/{action}/")

    reminder.refresh_from_db()
    if expected == OK:
        assert response.status_code == 200, response.data
        assert reminder.status == status_after
    else:
        assert response.status_code == expected
        assert reminder.status == status_before


@pytest.mark.parametrize(("role", "expected"), STAFF_ONLY)
def test_read_reminders(users, role, expected) -> None:
    """Reminders hold email addresses: reading them needs a permission too."""
    reminder = ReminderFactory()
    client = client_for(users[role])

    for url in ("/api/reminders/", f"/api/reminders/{reminder.pk}/"):
        response = client.get(url)
        assert response.status_code == (200 if expected == OK else expected)
