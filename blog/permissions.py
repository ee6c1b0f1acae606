"""Who may do what on the blog: the one place views, templates, forms and the API ask.

Roles are the groups of the original Flask-Principal blog, created by a data migration
(``blog/migrations/0003_roles.py``):

- ``default``: every registered user; may comment.
- ``poster``: may write posts and edit their own (granted by ``manage.py grant_poster``
  or in the admin).
- ``admin``: may edit any post, hide, restore and approve any comment, and manage
  tags (with ``is_staff``, in the admin too).

A comment belongs to its author: only they edit or delete it (the ``admin`` role hides
it instead, which can be undone). Who sees which comment is ``can_view_comment``;
``blog.selectors.post_comments`` is the same rule as a query.

The checks go through ``user.has_perm`` so a superuser, or a permission given to one
user directly in the admin, is honoured too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from .models import Comment, Post

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


def can_view_post(user: AbstractBaseUser | AnonymousUser, post: Post) -> bool:
    """May read this post: everybody once it is published; a draft or a scheduled post
    only its author and editors (the ``admin`` role). Others are told it does not exist
    (404), not that it is forbidden."""
    if post.is_published:
        return True
    if not user.is_active:
        return False
    return post.author_id == user.pk or user.has_perm("blog.change_post")


def can_delete_post(user: AbstractBaseUser | AnonymousUser, post: Post) -> bool:
    """May delete this post: the rule of ``can_edit_post`` (its author while a poster,
    or an editor), used by the page and by the API's DELETE alike."""
    return can_edit_post(user, post)


def can_manage_own_posts(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Has a "My posts" page in the navigation: whoever may write posts."""
    return can_post(user)


def can_preview_markdown(user: AbstractBaseUser | AnonymousUser) -> bool:
    """May use the editor's live preview endpoint: whoever may write posts."""
    return can_post(user)


# COMMENTS
# ------------------------------------------------------------------------------
def can_moderate_comments(user: AbstractBaseUser | AnonymousUser) -> bool:
    """May hide, restore and approve any comment, and sees hidden and held ones: the
    ``admin`` role (``blog.change_comment``), on the pages, in the API and the admin."""
    return bool(user.is_active and user.has_perm("blog.change_comment"))


def can_view_comment(user: AbstractBaseUser | AnonymousUser, comment: Comment) -> bool:
    """Sees this comment (on a post they may see): a published one everybody; one
    awaiting moderation its author and moderators; a hidden one moderators only."""
    if comment.is_published:
        return True
    if can_moderate_comments(user):
        return True
    return comment.is_held and user.is_active and comment.user_id == user.pk


def _owns_comment(user: AbstractBaseUser | AnonymousUser, comment: Comment) -> bool:
    return bool(
        user.is_active
        and comment.user_id is not None
        and comment.user_id == user.pk
        and not comment.is_hidden
    )


def can_edit_comment(user: AbstractBaseUser | AnonymousUser, comment: Comment) -> bool:
    """May change this comment's text: its author, while they may comment, unless the
    comment was hidden (a moderator's decision the author cannot edit around)."""
    return _owns_comment(user, comment) and can_comment(user)


def can_delete_comment(user: AbstractBaseUser | AnonymousUser, comment: Comment) -> bool:
    """May delete this comment for good: its author (even one who may no longer
    comment: their words are theirs to take back), unless it was hidden."""
    return _owns_comment(user, comment)


def can_hide_comment(user: AbstractBaseUser | AnonymousUser, comment: Comment) -> bool:
    """May hide this comment from readers: a moderator, if it is not hidden already."""
    return not comment.is_hidden and can_moderate_comments(user)


def can_restore_comment(user: AbstractBaseUser | AnonymousUser, comment: Comment) -> bool:
    """May show a hidden comment again: a moderator."""
    return comment.is_hidden and can_moderate_comments(user)


def can_approve_comment(user: AbstractBaseUser | AnonymousUser, comment: Comment) -> bool:
    """May publish a comment awaiting moderation: a moderator."""
    return comment.is_held and can_moderate_comments(user)


def can_manage_post_images(user: AbstractBaseUser | AnonymousUser, post: Post) -> bool:
    """May add images to this post and remove them: whoever may edit it (its author
    while a poster, or the ``admin`` role), on the pages and in the admin alike."""
    return can_edit_post(user, post)
