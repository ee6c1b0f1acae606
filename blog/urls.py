from django.urls import path

from . import views
from .feeds import LatestPostsAtomFeed, LatestPostsFeed

app_name = "blog"

urlpatterns = [
    path("", views.PostListView.as_view(), name="home"),
    path("post/new/", views.PostCreateView.as_view(), name="post_create"),
    path("post/<str:slug>/", views.PostDetailView.as_view(), name="post_detail"),
    path("post/<str:slug>/edit/", views.PostUpdateView.as_view(), name="post_update"),
    path("post/<str:slug>/delete/", views.PostDeleteView.as_view(), name="post_delete"),
    path(
        "post/<str:slug>/images/<int:pk>/delete/",
        views.PostImageDeleteView.as_view(),
        name="post_image_delete",
    ),
    path("search/", views.SearchView.as_view(), name="search"),
    path("my/posts/", views.MyPostsView.as_view(), name="my_posts"),
    path("my/preview/", views.markdown_preview, name="markdown_preview"),
    path("tag/<str:slug>/", views.TagPostListView.as_view(), name="tag"),
    path("user/<str:username>/", views.AuthorPostListView.as_view(), name="author"),
    path("feed/", LatestPostsFeed(), name="feed"),
    path("feed/atom/", LatestPostsAtomFeed(), name="feed_atom"),
    path("accounts/settings/", views.AccountSettingsView.as_view(), name="account_settings"),
]
