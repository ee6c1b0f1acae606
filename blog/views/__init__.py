"""The blog's pages: ``reading`` (lists, a post, search, settings) and ``writing``
(the editor, delete, "My posts", the preview) and ``discovery`` (robots.txt, the
sitemap, the feeds page). ``blog/urls.py`` names them from here."""

from .discovery import FeedsView, robots_txt, sitemap_index, sitemap_section
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
from .writing import (
    MyPostsView,
    PostCreateView,
    PostDeleteView,
    PostFormMixin,
    PostUpdateView,
    markdown_preview,
)

__all__ = [
    "POSTS_PER_PAGE",
    "AccountSettingsView",
    "AnonymousPageCacheMixin",
    "AuthorPostListView",
    "FeedsView",
    "MyPostsView",
    "PostCreateView",
    "PostDeleteView",
    "PostDetailView",
    "PostFormMixin",
    "PostListView",
    "PostUpdateView",
    "SearchView",
    "TagPostListView",
    "markdown_preview",
    "robots_txt",
    "set_language",
    "sitemap_index",
    "sitemap_section",
]
