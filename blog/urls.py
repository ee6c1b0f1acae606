from django.urls import path, re_path

from . import views
from .feeds import (
    AuthorPostsAtomFeed,
    AuthorPostsFeed,
    LatestPostsAtomFeed,
    LatestPostsFeed,
    TagPostsAtomFeed,
    TagPostsFeed,
)

app_name = "blog"

urlpatterns = [
    path("", views.PostListView.as_view(), name="home"),
    path("post/new/", views.PostCreateView.as_view(), name="post_create"),
    path("post/<str:slug>/", views.PostDetailView.as_view(), name="post_detail"),
    path("post/<str:slug>/edit/", views.PostUpdateView.as_view(), name="post_update"),
    path("post/<str:slug>/delete/", views.PostDeleteView.as_view(), name="post_delete"),
    # At most 18 digits: a larger id is no row (404), never an integer overflow.
    re_path(
        r"^comment/(?P<pk>[0-9]{1,18})/edit/$",
        views.CommentUpdateView.as_view(),
        name="comment_update",
    ),
    re_path(
        r"^comment/(?P<pk>[0-9]{1,18})/delete/$",
        views.CommentDeleteView.as_view(),
        name="comment_delete",
    ),
    re_path(
        r"^comment/(?P<pk>[0-9]{1,18})/(?P<action>approve|hide|restore)/$",
        views.CommentModerateView.as_view(),
        name="comment_moderate",
    ),
    path(
        "post/<str:slug>/images/<int:pk>/delete/",
        views.PostImageDeleteView.as_view(),
        name="post_image_delete",
    ),
    path("search/", views.SearchView.as_view(), name="search"),
    path("my/posts/", views.MyPostsView.as_view(), name="my_posts"),
    path("my/preview/", views.markdown_preview, name="markdown_preview"),
    path("tag/<str:slug>/", views.TagPostListView.as_view(), name="tag"),
    path("tag/<str:slug>/feed/", TagPostsFeed(), name="tag_feed"),
    path("tag/<str:slug>/feed/atom/", TagPostsAtomFeed(), name="tag_feed_atom"),
    path("user/<str:username>/", views.AuthorPostListView.as_view(), name="author"),
    path("user/<str:username>/feed/", AuthorPostsFeed(), name="author_feed"),
    path("user/<str:username>/feed/atom/", AuthorPostsAtomFeed(), name="author_feed_atom"),
    path("feed/", LatestPostsFeed(), name="feed"),
    path("feed/atom/", LatestPostsAtomFeed(), name="feed_atom"),
    path("feeds/", views.FeedsView.as_view(), name="feeds"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("sitemap.xml", views.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", views.sitemap_section, name="sitemap_section"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("accounts/settings/", views.AccountSettingsView.as_view(), name="account_settings"),
    # The digest's one-click unsubscribe (RFC 8058): POSTed by mail clients, no cookie.
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
