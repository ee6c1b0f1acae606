"""``config.client_ip.client_ip``: X-Forwarded-For is believed only as far as the
configured trusted proxies, and hostile headers never raise."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from config.client_ip import UNKNOWN_ADDRESS, client_ip


def request_from(remote: str | None, forwarded: str | None = None):
    meta = {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    if remote is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote
    return request


def test_by_default_the_forwarding_header_is_ignored(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(request_from("198.51.100.9", "203.0.113.1")) == "198.51.100.9"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        # One proxy appends the address it received the request from: that one.
        (1, "203.0.113.1", "203.0.113.1"),
        # What the client wrote itself is to the left, and ignored.
        (1, "6.6.6.6, 203.0.113.1", "203.0.113.1"),
        (2, "6.6.6.6, 203.0.113.1, 10.0.0.2", "203.0.113.1"),
        (1, "6.6.6.6,2001:db8::1", "2001:db8::1"),
        (1, "6.6.6.6, 203.0.113.1:51234", "203.0.113.1"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
    ],
)
def test_behind_trusted_proxies_the_client_is_counted_from_the_right(
    settings, count, forwarded, expected
) -> None:
    settings.TRUSTED_PROXY_COUNT = count

    assert client_ip(request_from("10.0.0.1", forwarded)) == expected


@pytest.mark.parametrize(
    "forwarded", ["", "not-an-address", "1.2.3.4, <script>", " , ", "\x00", "9" * 5000]
)
def test_a_header_that_names_no_address_falls_back_to_the_socket(settings, forwarded) -> None:
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(request_from("10.0.0.1", forwarded)) == "10.0.0.1"


def test_a_header_shorter_than_the_proxy_chain_falls_back_to_the_socket(settings) -> None:
    # allauth's own reading raises ImproperlyConfigured (a 500) here.
    settings.TRUSTED_PROXY_COUNT = 2

    assert client_ip(request_from("10.0.0.1", "203.0.113.1")) == "10.0.0.1"


def test_no_socket_address_is_one_shared_bucket(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(request_from(None)) == UNKNOWN_ADDRESS
