"""Writes of the blog: posts, comments, tags and the roles of users.

Each function is keyword-only, atomic and validates with ``full_clean()`` before
saving, so a view, the admin's actions, the API and ``seed_demo`` all get the same
rules and the same ``ValidationError`` for bad input. The post writes validate (and so
render the Markdown) before they open their transaction. Permission checks are not
here but in ``blog.permissions``: the caller decides who may call these.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from reminders import services as reminder_services

from . import images, search
from .cache import content_changed
from .models import TAG_TITLE_MAX_LENGTH, Comment, CommentStatus, Post, PostImage, Tag, User
from .permissions import DEFAULT_GROUP, POSTER_GROUP, ROLE_PERMISSIONS, can_moderate_comments

logger = logging.getLogger(__name__)

MAX_TAGS_PER_POST = 10


# TAGS
# ------------------------------------------------------------------------------
def tag_titles_parse(value: str) -> list[str]:
    """Tag titles from a comma-separated string: trimmed, blanks dropped, duplicates
    (case-insensitive) kept once, in the order given."""
    titles: list[str] = []
    seen: set[str] = set()
    for raw in value.split(","):
        title = re.sub(r"\s+", " ", raw).strip()
        if title and title.casefold() not in seen:
            seen.add(title.casefold())
            titles.append(title)
    return titles


@transaction.atomic
def tags_get_or_create(*, titles: Iterable[str]) -> list[Tag]:
    """The tags with these titles, creating those that do not exist yet.

    Two titles with the same slug ("Django" and "django") are the same tag.
    """
    titles = tag_titles_parse(",".join(titles))
    if len(titles) > MAX_TAGS_PER_POST:
        raise ValidationError(
            {"tags": f"At most {MAX_TAGS_PER_POST} tags, not {len(titles)}."}, code="max_tags"
        )
    tags: list[Tag] = []
    for title in titles:
        if len(title) > TAG_TITLE_MAX_LENGTH:
            raise ValidationError(
                {"tags": f"A tag has at most {TAG_TITLE_MAX_LENGTH} characters: “{title[:20]}…”."},
                code="max_length",
            )
        slug = slugify(title, allow_unicode=True)
        if not slug:
            raise ValidationError(
                {"tags": f"“{title}” is not a tag: use letters or digits."}, code="invalid"
            )
        tag = Tag.objects.filter(slug=slug).first()
        if tag is None:
            tag = Tag(title=title, slug=slug)
            tag.full_clean()
            tag.save()
        if tag not in tags:
            tags.append(tag)
    return tags


# POSTS
# ------------------------------------------------------------------------------
def post_create(
    *,
    author: User,
    title: str,
    text: str,
    tags: Iterable[str] = (),
    publish_date: datetime | None = None,
    draft: bool = False,
) -> Post:
    """A new post, a draft when ``draft``; its slug is made from the title and its HTML
    rendered by ``full_clean()`` before the transaction opens (on SQLite it holds the
    write lock: readers' comments would wait behind the render); the search index has
    it in the same transaction."""
    post = Post(author=author, title=title.strip(), text=text, is_draft=draft)
    if publish_date is not None:
        post.publish_date = publish_date
    post.full_clean()
    with transaction.atomic():
        post.save()
        post.tags.set(tags_get_or_create(titles=tags))
        search.post_index(post)
    return post


def post_update(
    *,
    post: Post,
    title: str | None = None,
    text: str | None = None,
    tags: Iterable[str] | None = None,
    publish_date: datetime | None = None,
    draft: bool | None = None,
) -> Post:
    """Change the fields given (``None`` leaves one as it is). The slug never changes,
    so links to the post keep working.

    A draft published without a publish date is published now, not at the date it was
    first saved: it comes first on the home page, in the feeds and in the digest.
    Rendered before the transaction opens, as in ``post_create``."""
    if title is not None:
        post.title = title.strip()
    if text is not None:
        post.text = text
    if draft is not None:
        if post.is_draft and not draft and publish_date is None:
            post.publish_date = max(post.publish_date, timezone.now())
        post.is_draft = draft
    if publish_date is not None:
        post.publish_date = publish_date
    post.full_clean()
    with transaction.atomic():
        post.save()
        if tags is not None:
            post.tags.set(tags_get_or_create(titles=tags))
        search.post_index(post)
    return post


@transaction.atomic
def post_delete(*, post: Post) -> None:
    """Delete the post with its comments. Its tags stay, even when no post has them left:
    a tag's page and feed links keep working. It leaves the search index with it."""
    search.post_unindex(post.pk)
    post.delete()


# IMAGES (docs/blog.md, "Images")
# ------------------------------------------------------------------------------
@transaction.atomic
def post_image_add(
    *, post: Post, prepared: images.PreparedImage, alt: str, uploaded_by: User | None
) -> PostImage:
    """Store an accepted image (``images.image_prepare``: checked, upright, without
    metadata) and its renditions under generated names through ``STORAGES["default"]``,
    and record them. Prepare it before the transaction: Pillow's seconds are then not
    spent holding the database's write lock. Raises ValidationError on ``alt``."""
    image = PostImage(post=post, alt=alt.strip(), uploaded_by=uploaded_by, width=1, height=1)
    image.full_clean(exclude=["original"])
    storage = image.original.storage
    stem = f"images/{uuid.uuid4().hex}"
    stored: list[str] = []
    try:
        image.original.name = storage.save(
            f"{stem}.{prepared.extension}", ContentFile(prepared.original)
        )
        stored.append(image.original.name)
        for rendition in prepared.renditions:
            name = storage.save(f"{stem}-{rendition.width}.webp", ContentFile(rendition.content))
            stored.append(name)
            image.renditions.append(
                {"name": name, "width": rendition.width, "height": rendition.height}
            )
        image.width, image.height = prepared.width, prepared.height
        image.save()
    except BaseException:
        image_files_delete(names=stored)
        raise
    return image


@transaction.atomic
def post_image_remove(*, image: PostImage) -> None:
    """Delete the image; its files leave storage once this commits (the receiver)."""
    image.delete()


def image_files_prune(*, older_than: timedelta = timedelta(hours=1)) -> list[str]:
    """Remove the files under ``images/`` that no ``PostImage`` names and that are older
    than ``older_than`` (a younger one may belong to an upload still committing): what a
    request that stored files and then rolled back leaves. Returns the names removed."""
    storage = PostImage._meta.get_field("original").storage
    try:
        _folders, files = storage.listdir("images")
    except FileNotFoundError:
        return []
    known: set[str] = set()
    for original, renditions in PostImage.objects.values_list("original", "renditions").iterator():
        known.add(original)
        known.update(r["name"] for r in renditions)
    cutoff = timezone.now() - older_than
    orphans = [
        name
        for name in (f"images/{file}" for file in files)
        if name not in known and storage.get_modified_time(name) < cutoff
    ]
    image_files_delete(names=orphans)
    return orphans


def image_files_delete(*, names: Iterable[str]) -> None:
    """Remove files from ``STORAGES["default"]``; one that is already gone is no error."""
    storage = PostImage._meta.get_field("original").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete the image file %s", name, exc_info=True)


# COMMENTS
# ------------------------------------------------------------------------------
def comment_is_held(user: User | None) -> bool:
    """Whether a new comment of this user waits for moderation: their account is younger
    than ``BLOG_COMMENT_MODERATION_DAYS`` (0: never), and they are not a moderator."""
    days = settings.BLOG_COMMENT_MODERATION_DAYS
    if days <= 0 or user is None or can_moderate_comments(user):
        return False
    return user.date_joined > timezone.now() - timedelta(days=days)


@transaction.atomic
def comment_create(
    *, post: Post, text: str, user: User | None = None, name: str | None = None
) -> Comment:
    """A comment on the post. The name shown is the user's username unless given; it
    waits for moderation when ``comment_is_held(user)``."""
    if name is None:
        name = user.get_username() if user is not None else ""
    comment = Comment(post=post, user=user, name=name.strip(), text=text.strip())
    if comment_is_held(user):
        comment.status = CommentStatus.HELD
    comment.full_clean()
    comment.save()
    return comment


@transaction.atomic
def comment_update(*, comment: Comment, text: str) -> Comment:
    """New text for the comment, marked edited now (an unchanged text is not an edit)."""
    text = text.strip()
    if text == comment.text:
        return comment
    comment.text = text
    comment.edited_at = timezone.now()
    comment.full_clean()
    comment.save(update_fields=["text", "edited_at"])
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment) -> None:
    """Delete the comment for good (docs/blog.md, "Comments": why not a soft delete)."""
    comment.delete()


# The moderation transitions: to-state <- the states it may come from.
COMMENT_TRANSITIONS: dict[str, tuple[CommentStatus, frozenset[CommentStatus]]] = {
    "approve": (CommentStatus.PUBLISHED, frozenset({CommentStatus.HELD})),
    "hide": (CommentStatus.HIDDEN, frozenset({CommentStatus.HELD, CommentStatus.PUBLISHED})),
    "restore": (CommentStatus.PUBLISHED, frozenset({CommentStatus.HIDDEN})),
}


@transaction.atomic
def comments_moderate(*, comments: QuerySet[Comment], action: str) -> int:
    """Approve, hide or restore comments (``COMMENT_TRANSITIONS``); returns how many
    changed. One conditional UPDATE: a comment not in a from-state is left alone, so
    two moderators acting at once change it once."""
    to, sources = COMMENT_TRANSITIONS[action]
    changed = comments.filter(status__in=sources).update(status=to)
    if changed:
        # update() sends no post_save: the cached pages are refreshed here.
        transaction.on_commit(content_changed)
    return changed


def comment_moderate(*, comment: Comment, action: str) -> bool:
    """``comments_moderate`` for one comment, which is refreshed; False when it was not
    in a state the action applies to."""
    changed = comments_moderate(comments=Comment.objects.filter(pk=comment.pk), action=action)
    comment.refresh_from_db(fields=["status"])
    return bool(changed)


# USERS AND ROLES
# ------------------------------------------------------------------------------
@transaction.atomic
def roles_ensure() -> None:
    """Make sure the groups of ``ROLE_PERMISSIONS`` exist with at least those permissions.

    The data migration creates them once; this runs after every ``migrate`` (and after
    a test database is flushed) so they come back if deleted, and a permission added to
    a role later reaches existing databases. Permissions given by hand are kept.
    """

    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [perm.split(".", 1) for perm in perms]
        found = Permission.objects.filter(
            content_type__app_label__in={app for app, _ in wanted},
            codename__in={codename for _, codename in wanted},
        )
        group.permissions.add(*found)


@transaction.atomic
def user_onboard(*, user: User) -> None:
    """What registering does besides saving the user: join the ``default`` role and
    get the welcome reminder, in the caller's transaction, so both exist or neither."""
    user.groups.add(Group.objects.get(name=DEFAULT_GROUP))
    reminder_services.welcome_reminder_create(user)


@transaction.atomic
def user_grant_poster(*, user: User) -> bool:
    """Let the user write posts. Returns False when they already could."""
    group = Group.objects.get(name=POSTER_GROUP)
    if user.groups.filter(pk=group.pk).exists():
        return False
    user.groups.add(group)
    return True


@transaction.atomic
def user_revoke_poster(*, user: User) -> bool:
    """Take the right to write posts away. Returns False when they had not it."""
    group = Group.objects.get(name=POSTER_GROUP)
    if not user.groups.filter(pk=group.pk).exists():
        return False
    user.groups.remove(group)
    return True


def user_digest_unsubscribe(*, user: User) -> bool:
    """Turn the user's weekly digest off at once (a one-click unsubscribe). Returns False
    when it was already off; safe to repeat. One conditional UPDATE: of two clicks at
    once, one turns it off and the other finds it off."""
    changed = User.objects.filter(pk=user.pk, receives_digest=True).update(receives_digest=False)
    user.receives_digest = False
    # The pk, never the address: the log is read by more people than the database.
    logger.info(
        "Digest unsubscribe: user %s %s.",
        user.pk,
        "turned the digest off" if changed else "had it off already",
    )
    return bool(changed)


@transaction.atomic
def user_api_tokens_revoke(*, user: User) -> int:
    """Blacklist every unexpired refresh token issued to the user; returns how many.

    Called when an account is deactivated, so reactivating it does not bring its old
    tokens back. (A password change needs no call: every token carries a hash of the
    password hash and stops working with it, ``config.api``.)
    """
    tokens = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    blacklisted = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in tokens], ignore_conflicts=True
    )
    return len(blacklisted)
