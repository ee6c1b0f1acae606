"""Project-wide pieces of the REST API: the token endpoints and the error handler.

Each app owns its endpoints (``blog/api/``, ``reminders/api/``); what is shared by all of
them, and belongs to none, lives here.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, AuthenticationFailed, ParseError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.serializers import TokenRefreshSerializer as JWTRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from config.api_parsing import body_limit_message
from config.lockout import lockout_message, login_succeeded
from config.throttling import ScopedRateThrottle
from config.validators import deliverable_email


# ERRORS
# ------------------------------------------------------------------------------
def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the errors Django raises that DRF leaves to Django's HTML pages.

    - Django's ``ValidationError`` from a service's ``full_clean()`` becomes a 400 with
      the same ``{"field": ["message"]}`` body a serializer error has, instead of a 500.
    - A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a JSON 413 naming the limit, and too
      many form fields or files a JSON 400, instead of Django's HTML 400 page.
    """
    if isinstance(exc, DjangoValidationError):
        exc = serializers.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": body_limit_message()}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = ParseError(str(exc))
    return drf_exception_handler(exc, context)


class StrictCharField(serializers.CharField):
    """A string, and only a string: DRF's ``CharField`` turns ``5`` into ``"5"``.

    A number, a boolean, a list or an object where text is expected is a 400, so a
    client's type error is reported instead of stored as its ``str()``.
    """

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class DateTimeField(serializers.DateTimeField):
    """DRF's, where a date that leaves the calendar in the site's time zone is a 400.

    DRF catches the ``OverflowError`` of an aware date but not of a naive one made aware
    in ``TIME_ZONE`` ("0001-01-01T00:00" east of UTC).
    """

    def enforce_timezone(self, value):
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("overflow")


class StrictEmailField(serializers.EmailField):
    """An address, and only as a string (see ``StrictCharField``), that the mail
    pipeline can deliver (``config.validators.deliverable_email``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(deliverable_email)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


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
    refresh = serializers.CharField(
        help_text="A new refresh token: the one sent is blacklisted and works no more."
    )


class TokenObtainSerializer(TokenObtainPairSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        data = super().validate(attrs)
        login_succeeded(self.context["request"], self.user)
        return data


class TokenObtainView(TokenObtainPairView):
    """Exchange a username and password for an access and a refresh token."""

    serializer_class = TokenObtainSerializer

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        responses={
            200: TokenObtainPairResponseSerializer,
            401: ErrorDetailSerializer,
            429: ErrorDetailSerializer,
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            # The login lockout (config/lockout.py) refused the account, or this
            # failure reached the limit: say so, as the pages do, not "wrong password".
            if getattr(request, "axes_locked_out", False):
                raise LoginLockedOut(lockout_message(request)) from None
            raise


class LoginLockedOut(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "login_locked_out"


class TokenRefreshSerializer(JWTRefreshSerializer):
    """simplejwt's, refusing (401) the refresh token of a user who is deleted or
    inactive, or whose password changed since it was issued.

    simplejwt checks the password only for access tokens (``CHECK_REVOKE_TOKEN``): each
    token carries a hash of the user's password hash, which changes with the password.
    With ``ROTATE_REFRESH_TOKENS`` every refresh returns a new refresh token and the
    old one is blacklisted (``token_blacklist``), so a refresh token works once.
    """

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = self.token_class(attrs["refresh"])  # TokenError: the view's 401
        user_id = refresh.payload.get(jwt_settings.USER_ID_CLAIM)
        user = get_user_model().objects.filter(**{jwt_settings.USER_ID_FIELD: user_id}).first()
        if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            )
        if jwt_settings.CHECK_REVOKE_TOKEN and refresh.payload.get(
            jwt_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed("The user's password has been changed.", "password_changed")
        return super().validate(attrs)


class TokenRefreshThrottledView(TokenRefreshView):
    """Exchange a refresh token for a new access token."""

    serializer_class = TokenRefreshSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        responses={200: TokenRefreshResponseSerializer, 401: ErrorDetailSerializer},
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
