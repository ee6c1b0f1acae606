"""The comments' API: a post's comments (``/api/posts/<slug>/comments/``) and one
comment (``/api/comments/<id>/``, with its ``approve``, ``hide`` and ``restore``
actions). The same rules as the pages: ``blog.permissions``, ``blog.selectors.
post_comments``, the rate limits of ``blog.limits``, the writes of ``blog.services``."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.request import Request
from rest_framework.response import Response

from blog.limits import client_ip, comment_rate_take
from blog.models import Comment, Post
from blog.permissions import can_view_comment, can_view_post
from blog.selectors import post_comments
from blog.services import comment_create, comment_delete, comment_moderate, comment_update
from config.api import ErrorDetailSerializer, error_responses

from .permissions import CommentObjectPermission, CommentPermission
from .serializers import CommentInputSerializer, CommentSerializer

TOO_MANY_COMMENTS = OpenApiResponse(
    response=ErrorDetailSerializer,
    description="Over a comment rate limit (per account, per client address); "
    "`Retry-After` says how many seconds to wait.",
)


class CommentsThrottled(Throttled):
    default_detail = "You are commenting too fast."
    extra_detail_singular = "Try again in {wait} second."
    extra_detail_plural = "Try again in {wait} seconds."


@extend_schema_view(
    get=extend_schema(
        summary="A post's comments, oldest first",
        description="The published ones; also your own awaiting moderation, and for editors "
        "the held and hidden ones (marked by `status`).",
        responses={200: CommentSerializer(many=True), **error_responses(404)},
    ),
    post=extend_schema(
        summary="Comment on a post",
        description="For users allowed to comment (every registered user by default). "
        "Under the same rate limits as the page; the comment of an account younger than "
        "`BLOG_COMMENT_MODERATION_DAYS` is `held` until an editor approves it.",
        request=CommentInputSerializer,
        responses={
            201: CommentSerializer,
            **error_responses(400, 401, 403, 404),
            429: TOO_MANY_COMMENTS,
        },
    ),
)
class PostCommentsView(generics.ListCreateAPIView):
    serializer_class = CommentSerializer
    permission_classes = [CommentPermission]

    def get_post(self) -> Post:
        post = get_object_or_404(Post, slug=self.kwargs["slug"])
        if not can_view_post(self.request.user, post):
            raise Http404
        return post

    def get_queryset(self) -> QuerySet[Comment]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular, reading the model
            return Comment.objects.none()
        return post_comments(self.get_post(), self.request.user)

    def create(self, request: Request, *args, **kwargs) -> Response:
        post = self.get_post()
        if not post.is_published:
            # As on the page: a draft's editors see it, nobody comments on it yet.
            raise PermissionDenied("Comments open when the post is published.")
        serializer = CommentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refusal = comment_rate_take(user_id=request.user.pk, address=client_ip(request))
        if refusal is not None:
            raise CommentsThrottled(wait=refusal.retry_after)
        comment = comment_create(post=post, user=request.user, **serializer.validated_data)
        data = self.get_serializer(comment).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})


def _comment_action_schema(summary: str, who: str):
    return extend_schema(
        summary=summary,
        description=who,
        request=None,
        responses={200: CommentSerializer, **error_responses(401, 403, 404)},
    )


@extend_schema_view(
    retrieve=extend_schema(
        summary="One comment",
        description="Found only by those who see it on its post's page.",
        responses={200: CommentSerializer, **error_responses(404)},
    ),
    partial_update=extend_schema(
        summary="Change your comment's text",
        description="For its author; it is then marked edited (`edited_at`).",
        request=CommentInputSerializer,
        responses={200: CommentSerializer, **error_responses(400, 401, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Delete your comment for good",
        description="For its author.",
        responses={204: None, **error_responses(401, 403, 404)},
    ),
    approve=_comment_action_schema("Publish a held comment", "For editors."),
    hide=_comment_action_schema("Hide a comment from readers", "For editors; `restore` undoes it."),
    restore=_comment_action_schema("Show a hidden comment again", "For editors."),
)
class CommentViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """``/api/comments/<id>/``: the rules of the page (``blog.permissions``)."""

    serializer_class = CommentSerializer
    permission_classes = [CommentObjectPermission]
    # PATCH only: the text is the one field a client may change.
    http_method_names = ["get", "patch", "delete", "post", "head", "options"]
    lookup_value_regex = "[0-9]{1,18}"

    def get_queryset(self) -> QuerySet[Comment]:
        return Comment.objects.select_related("user", "post")

    def get_object(self) -> Comment:
        comment = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        user = self.request.user
        if not can_view_post(user, comment.post) or not can_view_comment(user, comment):
            raise Http404
        self.check_object_permissions(self.request, comment)
        return comment

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        comment = self.get_object()
        serializer = CommentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = comment_update(comment=comment, **serializer.validated_data)
        return Response(self.get_serializer(comment).data)

    def perform_destroy(self, instance: Comment) -> None:
        comment_delete(comment=instance)

    def moderate(self, action_name: str) -> Response:
        comment = self.get_object()
        comment_moderate(comment=comment, action=action_name)
        return Response(self.get_serializer(comment).data)

    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self.moderate("approve")

    @action(detail=True, methods=["post"])
    def hide(self, request: Request, pk: str) -> Response:
        return self.moderate("hide")

    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str) -> Response:
        return self.moderate("restore")
