"""seed_demo: a living blog on a new database, and nothing changed the second time."""

import pytest
from django.core.management import call_command

from blog.models import Comment, Post, Tag, User
from blog.permissions import can_edit_post, can_post

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_users_posts_tags_and_comments(capsys, monkeypatch):
    monkeypatch.setenv("SEED_ADMIN_PASSWORD", "Admin-Password-From-Env-1")

    call_command("seed_demo")

    out = capsys.readouterr().out
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("Admin-Password-From-Env-1")
    assert "Admin-Password-From-Env-1" not in out
    assert "created user 'ada', password: " in out
    assert can_post(User.objects.get(username="ada"))
    assert not can_post(User.objects.get(username="grace"))
    assert Post.objects.published().count() == Post.objects.count() >= 5
    assert Tag.objects.count() >= 5 and Comment.objects.count() >= 4
    post = Post.objects.get(slug="welcome-to-lightblog")
    assert can_edit_post(admin, post)


def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    password = User.objects.get(username="ada").password
    counts = (User.objects.count(), Post.objects.count(), Comment.objects.count())

    call_command("seed_demo")
    second = capsys.readouterr().out

    assert "password: " in first and "password: " not in second
    # The second run says how to set a password instead of printing one.
    assert "user 'ada' exists, its password unchanged" in second
    assert "python manage.py changepassword ada" in second
    assert "0 demo post(s) created" in second
    assert (User.objects.count(), Post.objects.count(), Comment.objects.count()) == counts
    assert User.objects.get(username="ada").password == password


def test_the_home_page_shows_the_demo(client):
    call_command("seed_demo")

    html = client.get("/").content.decode()

    assert "Welcome to Lightblog" in html
