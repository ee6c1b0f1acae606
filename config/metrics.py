"""``/metrics`` for Prometheus, and the workers' own metrics port (docs/monitoring.md).

The page answers only the clients ``METRICS_ALLOWED_IPS`` names or that send
``METRICS_TOKEN`` as a bearer token; with neither set it does not exist (404). It is
never cached, and no rate limit applies to it (the site's limits are allauth's and the
API's throttles, neither on this path).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.checks import Error, register
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    start_http_server,
)
from prometheus_client.multiprocess import MultiProcessCollector

from reminders.metrics import RemindersCollector

logger = logging.getLogger(__name__)

# Headers a reverse proxy adds: a request carrying one was relayed, and its
# REMOTE_ADDR is the proxy's, not the client's; the allow-list does not apply to it.
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def allowed_networks(entries: Iterable[str]) -> list[IpNetwork]:
    """``METRICS_ALLOWED_IPS`` as networks (an address is a network of one)."""
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def metrics_access(request: HttpRequest) -> bool | None:
    """None when /metrics is off (no token, no allow-list); else whether this request
    may read it: the right bearer token, or an allowed address that came straight in."""
    token = settings.METRICS_TOKEN
    networks = allowed_networks(settings.METRICS_ALLOWED_IPS)
    if not token and not networks:
        return None
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    if networks and not any(header in request.headers for header in PROXY_HEADERS):
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in network for network in networks)
    return False


def scrape_registry() -> CollectorRegistry:
    """This scrape's families: every process's events (the multiprocess folder when
    there is one, else this process's own), and the state from the database."""
    registry = CollectorRegistry(auto_describe=False)
    if settings.PROMETHEUS_MULTIPROC_DIR:
        MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        registry.register(REGISTRY)
    registry.register(RemindersCollector())
    return registry


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    allowed = metrics_access(request)
    if allowed is None:
        raise Http404("Not found")
    if not allowed:
        response = HttpResponse("Forbidden\n", status=403, content_type="text/plain")
        if settings.METRICS_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


def serve_worker_metrics(sender=None, **kwargs) -> None:
    """On ``worker_ready`` (the worker's main process, after its pool started): serve
    the worker's events on ``METRICS_WORKER_ADDRESS:METRICS_WORKER_PORT``. Its pool
    processes write to the multiprocess folder, which this adds up; without the folder
    only the main process's own counters (a threads or solo pool) would be seen."""
    port = settings.METRICS_WORKER_PORT
    if not port:
        return
    registry = REGISTRY
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    start_http_server(port, addr=settings.METRICS_WORKER_ADDRESS, registry=registry)
    logger.info("metrics: worker metrics on http://%s:%d/", settings.METRICS_WORKER_ADDRESS, port)


@register()
def check_metrics_settings(app_configs=None, **kwargs) -> list[Error]:
    """A bad ``METRICS_ALLOWED_IPS`` entry fails ``manage.py check``, not a scrape."""
    errors = []
    for entry in settings.METRICS_ALLOWED_IPS:
        try:
            allowed_networks([entry])
        except ValueError:
            errors.append(
                Error(
                    f"METRICS_ALLOWED_IPS: {entry!r} is not an address or a network.",
                    hint="Give addresses or CIDR networks, e.g. 127.0.0.1,10.0.0.0/8.",
                    id="config.E002",
                )
            )
    return errors
