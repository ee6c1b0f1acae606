"""The blog's pages: ``reading`` (lists, a post, search, settings), ``writing``
(the editor, delete, "My posts", the preview) and ``comments`` (post, edit, delete,
moderate). ``blog/urls.py`` names them from here."""

from .comments import CommentDeleteView, CommentModerateView, CommentUpdateView
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
    "CommentDeleteView",
    "CommentModerateView",
    "CommentUpdateView",
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
]
