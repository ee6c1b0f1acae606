"""Reverse proxies in front of the web processes: whose X-Forwarded-For to believe.

One setting for every limit (DRF's throttles, allauth's rate limits, the login lockout):
they all ask ``config.client_ip.client_ip`` (docs/security.md, "Behind a proxy").
"""

from django.core.exceptions import ImproperlyConfigured

from ..env import env

# How many reverse proxies append to X-Forwarded-For in front of gunicorn: 0 (the default)
# believes no forwarding header, so a client cannot pick its own address; 1 behind one
# nginx or load balancer that appends the address it received the request from.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")
# allauth's own reading (its rate limits call blog.adapters.AccountAdapter.get_client_ip,
# which uses config.client_ip; this keeps any other allauth code in line).
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
