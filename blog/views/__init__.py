"""The blog's pages: ``reading`` (lists, a post, search, settings; their content from
the cached ``fragments``), ``writing`` (the editor, delete, "My posts", the preview),
``comments`` (post, edit, delete, moderate), ``discovery`` (robots.txt, the sitemap,
the feeds page), ``language`` (the switcher) and ``unsubscribe`` (the digest's one-click
unsubscribe). ``blog/urls.py`` names them from here."""

from .comments import CommentDeleteView, CommentModerateView, CommentUpdateView
from .discovery import FeedsView, favicon, robots_txt, sitemap_index, sitemap_section
from .language import set_language
from .reading import (
    POSTS_PER_PAGE,
    AccountSettingsView,
    AnonymousPageCacheMixin,
    AuthorPostListView,
    PostDetailView,
    PostListView,
    SearchView,
    TagPostListView,
)
from .unsubscribe import unsubscribe
from .writing import (
    MyPostsView,
    PostCreateView,
    PostDeleteView,
    PostFormMixin,
    PostImageDeleteView,
    PostUpdateView,
    markdown_preview,
)

__all__ = [
    "POSTS_PER_PAGE",
    "AccountSettingsView",
    "AnonymousPageCacheMixin",
    "AuthorPostListView",
    "CommentDeleteView",
    "CommentModerateView",
    "CommentUpdateView",
    "FeedsView",
    "MyPostsView",
    "PostCreateView",
    "PostDeleteView",
    "PostDetailView",
    "PostFormMixin",
    "PostImageDeleteView",
    "PostListView",
    "PostUpdateView",
    "SearchView",
    "TagPostListView",
    "favicon",
    "markdown_preview",
    "robots_txt",
    "set_language",
    "sitemap_index",
    "sitemap_section",
    "unsubscribe",
]
