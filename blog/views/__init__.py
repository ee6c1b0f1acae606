"""The blog's pages: ``reading`` (lists, a post, search, settings) and ``writing``
(the editor, delete, "My posts", the preview). ``blog/urls.py`` names them from here."""

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
    PostImageDeleteView,
    PostUpdateView,
    markdown_preview,
)

__all__ = [
    "POSTS_PER_PAGE",
    "AccountSettingsView",
    "AnonymousPageCacheMixin",
    "AuthorPostListView",
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
    "markdown_preview",
]
