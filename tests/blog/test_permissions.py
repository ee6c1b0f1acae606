"""The roles of the data migration and the checks of blog.permissions."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.management import CommandError, call_command
from django.template import Context, Template
from django.utils import timezone

from blog.permissions import (
    ROLE_PERMISSIONS,
    can_comment,
    can_delete_post,
    can_edit_post,
    can_post,
    can_view_post,
)
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_migration_creates_the_three_roles_with_their_permissions():
    for name, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=name)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert granted == set(perms)


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([], (False, False)),
        (["default"], (False, True)),
        (["default", "poster"], (True, True)),
        (["admin"], (True, True)),
    ],
)
def test_can_post_and_can_comment_follow_the_role(roles, expected):
    user = UserFactory(roles=roles)

    assert (can_post(user), can_comment(user)) == expected


def test_anonymous_may_do_nothing():
    post = PostFactory()
    anonymous = AnonymousUser()

    assert not can_post(anonymous)
    assert not can_comment(anonymous)
    assert not can_edit_post(anonymous, post)


def test_poster_edits_only_their_own_posts():
    poster = UserFactory(roles=["default", "poster"])
    own, other = PostFactory(author=poster), PostFactory()

    assert can_edit_post(poster, own)
    assert not can_edit_post(poster, other)


def test_former_poster_cannot_edit_their_old_posts():
    user = UserFactory(roles=["default"])
    post = PostFactory(author=user)

    assert not can_edit_post(user, post)


def test_admin_and_superuser_edit_any_post():
    post = PostFactory()

    assert can_edit_post(UserFactory(roles=["admin"]), post)
    assert can_edit_post(UserFactory(roles=[], is_superuser=True), post)


def test_inactive_user_may_do_nothing():
    user = UserFactory(roles=["admin"], is_active=False)

    assert not can_post(user)
    assert not can_comment(user)
    assert not can_edit_post(user, PostFactory(author=user))


def test_template_filters_ask_the_same_checks():
    poster = UserFactory(roles=["default", "poster"])
    own, other = PostFactory(author=poster), PostFactory()
    template = Template(
        "{% load blog_permissions %}"
        "{% if user|can_post %}P{% endif %}{% if user|can_comment %}C{% endif %}"
        "{% if user|can_edit_post:own %}E{% endif %}{% if user|can_edit_post:other %}X{% endif %}"
    )

    rendered = template.render(Context({"user": poster, "own": own, "other": other}))

    assert rendered == "PCE"


class TestGrantPoster:
    def test_grants_and_revokes_the_poster_role(self, capsys):
        user = UserFactory(username="newposter")
        assert not can_post(user)

        call_command("grant_poster", "newposter")
        assert can_post(type(user).objects.get(pk=user.pk))
        assert "is now a poster" in capsys.readouterr().out

        call_command("grant_poster", "newposter")
        assert "was already a poster" in capsys.readouterr().out

        call_command("grant_poster", "newposter", "--revoke")
        assert not can_post(type(user).objects.get(pk=user.pk))

    def test_unknown_user_is_a_clear_error(self):
        with pytest.raises(CommandError, match="No user named 'nobody'"):
            call_command("grant_poster", "nobody")


def test_roles_come_back_after_being_deleted_and_migrate_running_again():
    Group.objects.all().delete()

    call_command("migrate", verbosity=0)

    assert set(Group.objects.values_list("name", flat=True)) == set(ROLE_PERMISSIONS)
    assert can_post(UserFactory(roles=["poster"]))


# DRAFTS, SCHEDULED POSTS, DELETION (issue #16)
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("state", ["draft", "scheduled", "published"])
@pytest.mark.parametrize(
    ("who", "sees_unpublished", "deletes"),
    [
        ("anonymous", False, False),
        ("reader", False, False),
        ("other poster", False, False),
        ("author", True, True),
        ("former poster author", True, False),
        ("admin", True, True),
        ("inactive author", False, False),
    ],
)
def test_who_sees_and_deletes_a_post(state, who, sees_unpublished, deletes):
    author_roles = ["default"] if who == "former poster author" else ["default", "poster"]
    author = UserFactory(roles=author_roles, is_active=who != "inactive author")
    users = {
        "anonymous": AnonymousUser(),
        "reader": UserFactory(roles=["default"]),
        "other poster": UserFactory(roles=["default", "poster"]),
        "admin": UserFactory(roles=["admin"]),
    }
    user = users.get(who, author)
    post = PostFactory(
        author=author,
        is_draft=state == "draft",
        publish_date=timezone.now() + timedelta(days=1 if state == "scheduled" else -1),
    )

    assert can_view_post(user, post) == (state == "published" or sees_unpublished)
    assert can_delete_post(user, post) == deletes
