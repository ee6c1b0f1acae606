"""Demo data for a new site: an admin, a poster, a reader, posts with tags and comments.

Safe to run again and again (``make run`` runs it every time): whatever exists is
left as it is, passwords included, and only what is missing is created.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from blog.models import Post, User
from blog.permissions import ADMIN_GROUP, DEFAULT_GROUP, POSTER_GROUP
from blog.services import comment_create, post_create

DEMO_USERS = [
    # username, email, roles, superuser, environment variable with the password
    ("admin", "admin@example.com", [DEFAULT_GROUP, POSTER_GROUP, ADMIN_GROUP], True,
     "SEED_ADMIN_PASSWORD"),
    ("ada", "ada@example.com", [DEFAULT_GROUP, POSTER_GROUP], False, "SEED_POSTER_PASSWORD"),
    ("grace", "grace@example.com", [DEFAULT_GROUP], False, "SEED_READER_PASSWORD"),
]  # fmt: skip

DEMO_POSTS = [
    {
        "slug": "welcome-to-lightblog",
        "title": "Welcome to Lightblog",
        "author": "admin",
        "days_ago": 6,
        "tags": ["Lightblog", "Django"],
        "text": (
            "Lightblog is a small blog built on **Django**. Posts are written in "
            "Markdown, comments are plain text, and everything you see is stored in the "
            "database.\n\n"
            "## What you can do\n\n"
            "- Read posts and browse them by [tag](/tag/django/) or by author.\n"
            "- [Sign up](/accounts/signup/) and comment.\n"
            "- Follow the site in your reader through the [feed](/feed/).\n"
        ),
        "comments": [("grace", "Looks great. Signing up for the weekly digest!")],
    },
    {
        "slug": "writing-posts-in-markdown",
        "title": "Writing posts in Markdown",
        "author": "ada",
        "days_ago": 5,
        "tags": ["Markdown", "Writing"],
        "text": (
            "Posts are Markdown. Headings, *emphasis*, **bold**, lists, links, tables "
            "and code all work:\n\n"
            "```python\nprint('Hello, Lightblog')\n```\n\n"
            "| Syntax | Result |\n|:--|:--|\n| `*a*` | *a* |\n| `**b**` | **b** |\n\n"
            "HTML is allowed only as far as it is safe: scripts, event handlers and "
            "`javascript:` links are removed when the post is saved.\n"
        ),
        "comments": [
            ("grace", "Tables too, nice."),
            ("admin", "And the HTML is rendered once, on save, so pages stay fast."),
        ],
    },
    {
        "slug": "roles-admin-poster-default",
        "title": "Roles: admin, poster and default",
        "author": "admin",
        "days_ago": 4,
        "tags": ["Lightblog", "Admin"],
        "text": (
            "Every new account can comment. Writing posts takes the **poster** role, "
            "which an admin grants in the admin or with\n\n"
            "    python manage.py grant_poster <username>\n\n"
            "Posters edit their own posts; admins edit any post.\n"
        ),
        "comments": [],
    },
    {
        "slug": "unicode-everywhere",
        "title": "Unicode everywhere: ブログ, Привет, café",
        "author": "ada",
        "days_ago": 3,
        "tags": ["Unicode", "Writing"],
        "text": (
            "Titles, tags, comments and addresses keep their letters: this post's "
            "address is made from its title, accents and all. 🎉\n"
        ),
        "comments": [("grace", "Ça marche très bien ✓")],
    },
    {
        "slug": "welcome-emails-that-are-never-lost",
        "title": "Welcome emails that are never lost",
        "author": "ada",
        "days_ago": 2,
        "tags": ["Django", "Celery"],
        "text": (
            "Signing up writes a reminder row in the same transaction as your account. "
            "A Celery worker sends the welcome email after the transaction commits, "
            "retries when the mail server is away, and never sends it twice.\n"
        ),
        "comments": [],
    },
    {
        "slug": "feeds-and-the-weekly-digest",
        "title": "Feeds and the weekly digest",
        "author": "admin",
        "days_ago": 1,
        "tags": ["Lightblog", "Celery"],
        "text": (
            "Prefer a feed reader? Use [/feed/](/feed/) (RSS) or "
            "[/feed/atom/](/feed/atom/). Prefer email? Tick the weekly digest in your "
            "account settings.\n"
        ),
        "comments": [("ada", "The digest goes out on Monday mornings.")],
    },
]


class Command(BaseCommand):
    help = "Create demo users, posts, tags and comments; leaves existing data alone."

    @transaction.atomic
    def handle(self, *args, **options):
        users = {}
        for username, email, roles, superuser, password_env in DEMO_USERS:
            users[username] = self.ensure_user(username, email, roles, superuser, password_env)

        created = 0
        now = timezone.now()
        for spec in DEMO_POSTS:
            if Post.objects.filter(slug=spec["slug"]).exists():
                continue
            post = post_create(
                author=users[spec["author"]],
                title=spec["title"],
                text=spec["text"],
                tags=spec["tags"],
                publish_date=now - timedelta(days=spec["days_ago"]),
            )
            # The demo's links name these slugs: keep them whatever the title makes.
            if post.slug != spec["slug"]:
                Post.objects.filter(pk=post.pk).update(slug=spec["slug"])
                post.slug = spec["slug"]
            for username, text in spec["comments"]:
                comment_create(post=post, user=users[username], text=text)
            created += 1
        self.stdout.write(f"seed_demo: {created} demo post(s) created.")

    def ensure_user(
        self, username: str, email: str, roles: list[str], superuser: bool, password_env: str
    ) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            password = os.environ.get(password_env) or secrets.token_urlsafe(12)
            user = User(username=username, email=email, is_staff=superuser, is_superuser=superuser)
            user.set_password(password)
            user.full_clean()
            user.save()
            source = f"from {password_env}" if os.environ.get(password_env) else password
            # Printed this once only: the next run finds the user and leaves it alone.
            self.stdout.write(
                self.style.SUCCESS(f"seed_demo: created user {username!r}, password: {source}")
            )
        else:
            self.stdout.write(
                f"seed_demo: user {username!r} exists, its password unchanged; set one with "
                f"`python manage.py changepassword {username}`"
            )
        user.groups.add(*Group.objects.filter(name__in=roles))
        return user
