"""The blog's API routes, mounted by ``config/api_router.py`` under ``/api/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .comments import CommentViewSet, PostCommentsView
from .views import PostViewSet, TagViewSet

app_name = "blog"

router = SimpleRouter()
router.register("posts", PostViewSet, basename="post")
router.register("tags", TagViewSet, basename="tag")
router.register("comments", CommentViewSet, basename="comment")

urlpatterns = [
    *router.urls,
    path("posts/<str:slug>/comments/", PostCommentsView.as_view(), name="post-comments"),
]
