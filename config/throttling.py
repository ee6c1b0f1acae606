"""DRF's throttles, keyed on ``config.client_ip.client_ip`` instead of DRF's own reading.

DRF's ``get_ident`` believes ``X-Forwarded-For`` unless ``NUM_PROXIES`` is set, so a
made-up header gave every request a fresh allowance. ``NUM_PROXIES`` is set from the same
``TRUSTED_PROXY_COUNT`` (components/api.py) for any DRF code that reads it; these classes
make the throttles use the one function every other limit uses.
"""

from __future__ import annotations

from rest_framework import throttling

from config.client_ip import client_ip


class ClientIPMixin:
    def get_ident(self, request) -> str:
        return client_ip(request)


class AnonRateThrottle(ClientIPMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientIPMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientIPMixin, throttling.ScopedRateThrottle):
    pass
