"""The content of the home, tag, author and post pages as fragments: rendered once per
content version and language, kept in the cache (``blog.cache``), and assembled per
request around what belongs to the reader.

A fragment is the same for every reader, signed in or not: it is rendered from the
view's context *without the request*, so no user, CSRF token or message can reach
it (a template that asked for ``user`` would get nothing). What is the reader's own is
rendered per request around it: the header (``base.html``), a post's edit and delete
links, each comment's actions (``_comment_actions.html``), the comment form's CSRF
token (its empty fields are the fragment's; a form shown again with errors is rendered
per request), and which
comments this reader may see at all (held and hidden ones are in the fragment with
their state, filtered per request by ``permissions.can_view_comment``).
docs/blog.md, "Caching".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from .. import permissions
from ..cache import content_cache_set
from ..context_processors import page_meta
from ..forms import NewCommentForm
from ..models import Comment, Post

# Where a reader's actions go in a comment's fragment; never in escaped text.
ACTIONS_MARK = mark_safe("<!--lightblog:comment-actions-->")


@dataclass
class ListFragment:
    """A list page (home, tag, author) less the header and footer."""

    title: SafeString
    head: SafeString
    main: SafeString
    sidebar: SafeString


@dataclass
class CommentFragment:
    """One comment as every reader sees it, split where the reader's actions go."""

    comment: Comment  # without its text: what the permissions and the actions ask
    before_actions: SafeString
    after_actions: SafeString


@dataclass
class PostFragment:
    """A post's page less the header, the footer and what is the reader's."""

    post: Post  # the fields the page and the permissions ask, without text or HTML
    head: SafeString
    top: SafeString
    body: SafeString
    comments: list[CommentFragment]  # every comment, held and hidden ones too
    comment_count: int  # the published ones
    comment_form: SafeString  # the empty form's fields (its CSRF token is the page's)


def _render(template: str, context: dict, request: HttpRequest) -> SafeString:
    # No request: no context processor runs, so nothing of the reader's is at hand;
    # the page's own metadata is passed instead.
    return mark_safe(render_to_string(template, {**context, **page_meta(request)}).strip())


def list_fragment(request: HttpRequest, context: dict) -> ListFragment:
    """Render a list page's fragments from its view's context (posts, page, sidebar)."""
    return ListFragment(
        title=_render("blog/_post_list_title.html", context, request),
        head=_render("blog/_post_list_head.html", context, request),
        main=_render("blog/_post_list_main.html", context, request),
        sidebar=_render("blog/_sidebar.html", context, request),
    )


def _light_post(post: Post) -> Post:
    return Post(
        pk=post.pk,
        title=post.title,
        slug=post.slug,
        excerpt=post.excerpt,
        publish_date=post.publish_date,
        is_draft=post.is_draft,
        author_id=post.author_id,
    )


def post_fragment(request: HttpRequest, post: Post, key: str | None) -> PostFragment:
    """Render ``post``'s fragments (its author, tags and images prefetched) with every
    comment (one query), and keep them under ``key`` (from ``fragment_cache_key``,
    taken before ``post`` was read) unless it is None."""
    context = {"post": post}
    comments = []
    for comment in post.comments.select_related("user"):
        html = _render("blog/_comment.html", {"comment": comment, "actions": ACTIONS_MARK}, request)
        before, after = html.split(ACTIONS_MARK)
        light = Comment(pk=comment.pk, post_id=comment.post_id, user_id=comment.user_id)
        light.status = comment.status
        comments.append(CommentFragment(light, mark_safe(before), mark_safe(after)))
    fragment = PostFragment(
        post=_light_post(post),
        head=_render("blog/_post_head.html", context, request),
        top=_render("blog/_post_top.html", context, request),
        body=_render("blog/_post_body.html", context, request),
        comments=comments,
        comment_count=sum(1 for item in comments if item.comment.is_published),
        comment_form=_render("blog/_comment_form_fields.html", {"form": NewCommentForm()}, request),
    )
    if key is not None:
        content_cache_set(key, fragment)
    return fragment


def _may_act(user, comment: Comment) -> bool:
    return permissions.can_delete_comment(user, comment) or permissions.can_moderate_comments(user)


def comments_for(request: HttpRequest, fragment: PostFragment) -> tuple[list[Comment], SafeString]:
    """The comments this reader sees, and their HTML with the reader's actions."""
    user = request.user
    visible, parts = [], []
    for item in fragment.comments:
        if not permissions.can_view_comment(user, item.comment):
            continue
        visible.append(item.comment)
        parts.append(item.before_actions)
        if user.is_authenticated and _may_act(user, item.comment):
            context = {"comment": item.comment, "user": user}
            parts.append(render_to_string("blog/_comment_actions.html", context, request))
        parts.append(item.after_actions)
    return visible, mark_safe("".join(parts))
