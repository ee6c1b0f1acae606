"""The API: Django REST framework, SimpleJWT, drf-spectacular.

The API is a second door onto the same services and permission rules as the pages.
"""

from datetime import timedelta

from ..env import env
from .proxies import TRUSTED_PROXY_COUNT

# https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    # A bearer token for scripts first (so a missing one answers 401 with
    # WWW-Authenticate), the session for the browsable API and Swagger UI.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=10),
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.api.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttling.AnonRateThrottle",
        "config.throttling.UserRateThrottle",
    ],
    # Throttles key on config.client_ip.client_ip (config/throttling.py); DRF's own
    # reading of X-Forwarded-For is limited to the same trusted proxies.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    # Counters live in the default cache (shared in production: production.py).
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="600/minute"),
        # The token endpoints, per client address: slows password guessing.
        "token": env.str("API_THROTTLE_TOKEN", default="10/minute"),
    },
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    # Bounded by DATA_UPLOAD_MAX_MEMORY_SIZE, and JSON nested too deeply is a 400.
    "DEFAULT_PARSER_CLASSES": [
        "config.api_parsing.JSONParser",
        "config.api_parsing.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# https://django-rest-framework-simplejwt.readthedocs.io/
SIMPLE_JWT = {
    # Ten minutes, like the original Flask API's tokens; the refresh token gets a new one.
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=10)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env.int("JWT_REFRESH_TOKEN_HOURS", default=24)),
    "ALGORITHM": "HS256",
    # Tokens have their own key, so rotating it logs out API clients only; production
    # requires it (config/settings/production.py).
    "SIGNING_KEY": env.str(
        "JWT_SIGNING_KEY", default="insecure-local-jwt-key-never-use-in-production"
    ),
    "AUTH_HEADER_TYPES": ("Bearer",),
    # A refresh answers a new refresh token and blacklists the one sent (it works
    # once); every token carries a hash of the password hash, so a new password ends
    # the tokens issued before it (docs/security.md, "API tokens").
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "CHECK_REVOKE_TOKEN": True,
    "UPDATE_LAST_LOGIN": False,
}

# https://drf-spectacular.readthedocs.io/en/latest/settings.html
SPECTACULAR_SETTINGS = {
    "TITLE": "Lightblog API",
    "DESCRIPTION": (
        "Posts, comments and tags for everyone; reminders for staff. Authenticate with "
        "`POST /api/auth/token/` and send `Authorization: Bearer <access>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Separate request and response components: read-only fields (delivery state,
    # slugs) are never asked of a client.
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    # Swagger UI's assets come from drf-spectacular-sidecar: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Without deep links an operation's summary is one button, not a button around a
    # link (axe-core: "Interactive controls must not be nested").
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
}
