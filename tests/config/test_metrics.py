"""``/metrics``: who may read it (allow-list, bearer token, off by default), never
cached, in Prometheus' text format; a bad allow-list entry fails ``manage.py check``."""

from __future__ import annotations

import pytest
from django.core import checks
from prometheus_client.parser import text_string_to_metric_families

from config.metrics import check_metrics_settings

pytestmark = pytest.mark.django_db


def families(response) -> dict[str, list]:
    text = response.content.decode()
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def test_off_without_token_or_allow_list(client, settings) -> None:
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics")

    assert response.status_code == 404
    assert b"lightblog_" not in response.content


def test_an_allowed_address_reads_the_families_never_cached(client, settings) -> None:
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-store" in response["Cache-Control"]
    found = families(response)
    assert found["lightblog_reminders_outbox"][0].value == 0
    assert found["lightblog_reminders_collector_up"][0].value == 1
    # Counters are exposed as <name>_total once incremented; the family is declared.
    assert "lightblog_emails" in found


@pytest.mark.parametrize(
    ("allowed", "address", "headers", "status"),
    [
        (["10.0.0.0/8"], "10.20.30.40", {}, 200),
        (["10.0.0.0/8"], "127.0.0.1", {}, 403),
        (["::1"], "::1", {}, 200),
        # Relayed by a reverse proxy on an allowed address: the proxy's address says
        # nothing of the client's.
        (["127.0.0.1"], "127.0.0.1", {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}, 403),
        (["127.0.0.1"], "127.0.0.1", {"HTTP_FORWARDED": "for=203.0.113.7"}, 403),
    ],
)
def test_allow_list(client, settings, allowed, address, headers, status) -> None:
    settings.METRICS_ALLOWED_IPS = allowed
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", REMOTE_ADDR=address, **headers)

    assert response.status_code == status


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        ("Bearer s3cret-scrape-token", 200),
        ("Bearer wrong", 403),
        ("s3cret-scrape-token", 403),
        ("", 403),
    ],
)
def test_bearer_token_from_any_address(client, settings, authorization, status) -> None:
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", **headers)

    assert response.status_code == status
    if status == 403:
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert b"lightblog_" not in response.content


def test_only_get(client, settings) -> None:
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]

    assert client.post("/metrics").status_code == 405


def test_a_bad_allow_list_entry_fails_the_check(settings) -> None:
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "not-an-address", "10.0.0.0/33"]

    errors = check_metrics_settings()

    assert [error.id for error in errors] == ["config.E002", "config.E002"]
    assert all(error.level == checks.ERROR for error in errors)
    assert "not-an-address" in errors[0].msg
