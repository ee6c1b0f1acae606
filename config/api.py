"""Project-wide pieces of the REST API: the token endpoints and the error handler.

Each app owns its endpoints (``blog/api/``, ``reminders/api/``); what is shared by all of
them, and belongs to none, lives here.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django's ``ValidationError`` from a service's ``full_clean()``.

    Services validate with ``full_clean()`` and raise Django's ``ValidationError``; here it
    becomes a 400 with the same ``{"field": ["message"]}`` body a serializer error has,
    instead of a 500.
    """
    if isinstance(exc, DjangoValidationError):
        exc = serializers.ValidationError(as_serializer_error(exc))
    return drf_exception_handler(exc, context)


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, knowing which of our permission classes let anyone read.

    It recognises only DRF's own ``AllowAny`` and ``IsAuthenticatedOrReadOnly``; a class
    with ``anonymous_reads = True`` (``blog/api/permissions.py``) gets the same optional
    ``{}`` security entry on GET, so clients see that no token is needed there.
    """

    def get_auth(self) -> list[dict]:
        auths = super().get_auth()
        anonymous_reads = any(
            getattr(permission, "anonymous_reads", False)
            for permission in self.view.get_permissions()
        )
        if self.method in SAFE_METHODS and anonymous_reads and {} not in auths:
            auths.append({})
        return auths


class ErrorDetailSerializer(serializers.Serializer):
    """The body of a 401, 403, 404, 405 or 429: one message."""

    detail = serializers.CharField()


ERROR_DESCRIPTIONS = {
    400: 'Bad input: `{"field": ["message", ...], ...}`.',
    401: "No credentials, or a token that is invalid or expired.",
    403: "Authenticated, but not allowed to do this.",
    404: "No such object.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the error answers an operation gives, for ``extend_schema``."""
    return {
        code: OpenApiResponse(
            response=OpenApiTypes.OBJECT if code == 400 else ErrorDetailSerializer,
            description=ERROR_DESCRIPTIONS[code],
        )
        for code in codes
    }


class TokenObtainPairResponseSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Send as `Authorization: Bearer <access>`.")
    refresh = serializers.CharField(help_text="Exchange at /api/auth/token/refresh/.")


class TokenRefreshResponseSerializer(serializers.Serializer):
    access = serializers.CharField()


class TokenObtainView(TokenObtainPairView):
    """Exchange a username and password for an access and a refresh token."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        responses={200: TokenObtainPairResponseSerializer, 401: ErrorDetailSerializer},
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class TokenRefreshThrottledView(TokenRefreshView):
    """Exchange a refresh token for a new access token."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        responses={200: TokenRefreshResponseSerializer, 401: ErrorDetailSerializer},
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
