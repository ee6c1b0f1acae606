"""Who may do what on the blog: the one place views, templates, forms and the API ask.

Roles are the groups of the original Flask-Principal blog, created by a data migration
(``blog/migrations/0003_roles.py``):

- ``default``: every registered user; may comment.
- ``poster``: may write posts and edit their own (granted by ``manage.py grant_poster``
  or in the admin).
- ``admin``: may edit any post and manage comments and tags (with ``is_staff``, in the
  admin too).

The checks go through ``user.has_perm`` so a superuser, or a permission given to one
user directly in the admin, is honoured too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from .models import Post

ADMIN_GROUP = "admin"
POSTER_GROUP = "poster"
DEFAULT_GROUP = "default"

# "app_label.codename" of each role's permissions; the data migration grants them.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    DEFAULT_GROUP: ["blog.add_comment"],
    POSTER_GROUP: ["blog.add_comment", "blog.add_post", "blog.add_tag"],
    ADMIN_GROUP: [
        f"blog.{action}_{model}"
        for model in ("post", "comment", "tag")
        for action in ("add", "change", "delete", "view")
    ]
    + ["blog.view_user"],
}


def can_post(user: AbstractBaseUser | AnonymousUser) -> bool:
    """May write new posts."""
    return bool(user.is_active and user.has_perm("blog.add_post"))


def can_edit_post(user: AbstractBaseUser | AnonymousUser, post: Post) -> bool:
    """May change this post: an editor any post, a poster their own."""
    if not user.is_active:
        return False
    if user.has_perm("blog.change_post"):
        return True
    return post.author_id == user.pk and user.has_perm("blog.add_post")


def can_comment(user: AbstractBaseUser | AnonymousUser) -> bool:
    """May comment on published posts."""
    return bool(user.is_active and user.has_perm("blog.add_comment"))
