"""The blog's API views: thin, like the pages. Reads use the models' QuerySets, writes
call ``blog.services``, and ``blog.permissions`` decides who may write. The comments'
views are in ``comments.py``."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from blog.models import Post, Tag
from blog.permissions import can_view_post
from blog.search import parse_query
from blog.selectors import posts_matching, tags_with_post_counts
from blog.services import post_create, post_delete, post_update
from config.api import error_responses

from .filters import PostFilter
from .permissions import PostPermission
from .serializers import (
    PostDetailSerializer,
    PostInputSerializer,
    PostSearchSerializer,
    PostSerializer,
    TagSerializer,
)


@extend_schema_view(
    list=extend_schema(
        summary="Published posts, newest first; with `search`, best match first",
        parameters=[
            OpenApiParameter(
                "search",
                str,
                description="Words of the title, text or tags (English, Chinese, …), at most "
                "`BLOG_SEARCH_QUERY_MAX_LENGTH` characters; not combined with `tag` or "
                "`author`. Punctuation and operators only separate words.",
            )
        ],
        responses={200: PostSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="One post",
        description="A draft or a scheduled post is found only by its author and editors.",
        responses={200: PostDetailSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Write a post",
        description="For users allowed to post (the `poster` and `admin` roles).",
        request=PostInputSerializer,
        responses={201: PostDetailSerializer, **error_responses(400, 401, 403)},
    ),
    update=extend_schema(
        summary="Replace a post's title, text and, when given, tags and publish date",
        description="For the post's author and editors. The slug never changes.",
        request=PostInputSerializer,
        responses={200: PostDetailSerializer, **error_responses(400, 401, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Change some of a post's fields",
        description="For the post's author and editors. The slug never changes.",
        request=PostInputSerializer,
        responses={200: PostDetailSerializer, **error_responses(400, 401, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a post and its comments",
        description="For the post's author and editors.",
        responses={204: None, **error_responses(401, 403, 404)},
    ),
)
class PostViewSet(viewsets.ModelViewSet):
    serializer_class = PostSerializer
    permission_classes = [PostPermission]
    filterset_class = PostFilter
    lookup_field = "slug"
    # Unicode slugs ("ünïcode-title") and dots are part of a slug.
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[Post]:
        posts = Post.objects.for_listing()  # newest first, as on the home page
        if self.action == "list":
            return posts.published()
        return posts.prefetch_related("images")  # one post: with its images

    def get_serializer_class(self):
        return PostSerializer if self.action == "list" else PostDetailSerializer

    def get_object(self) -> Post:
        post = get_object_or_404(self.get_queryset(), slug=self.kwargs["slug"])
        if not can_view_post(self.request.user, post):
            # A draft does not exist for those who may not see it: 404, not 403.
            raise Http404
        self.check_object_permissions(self.request, post)
        return post

    def list(self, request: Request, *args, **kwargs) -> Response:
        if "search" not in request.query_params:
            return super().list(request, *args, **kwargs)
        serializer = PostSearchSerializer(data={"search": request.query_params["search"]})
        serializer.is_valid(raise_exception=True)
        if not serializer.validated_data["search"]:
            return super().list(request, *args, **kwargs)  # ?search= alone: no filter
        if {"tag", "author"} & set(request.query_params):
            raise ValidationError({"search": ["Not combined with tag or author."]})
        results = posts_matching(parse_query(serializer.validated_data["search"]), with_text=True)
        page = self.paginate_queryset(results)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def output(self, post: Post) -> dict:
        """The post as stored, read back as the list reads it (tags and all)."""
        post = self.get_queryset().get(pk=post.pk)
        return PostDetailSerializer(post, context=self.get_serializer_context()).data

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = PostInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = post_create(author=request.user, **serializer.validated_data)
        data = self.output(post)
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})

    def update(self, request: Request, *args, **kwargs) -> Response:
        post = self.get_object()
        serializer = PostInputSerializer(data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        post = post_update(post=post, **serializer.validated_data)
        return Response(self.output(post))

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        post_delete(post=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(list=extend_schema(summary="Tags with their number of published posts"))
class TagViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TagSerializer
    permission_classes = [AllowAny]

    def get_queryset(self) -> QuerySet[Tag]:
        # The counts the sidebar uses, computed for the page's tags only.
        return tags_with_post_counts(timezone.now()).order_by("title")
