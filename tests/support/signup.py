"""Registering over HTTP, as a person does: GET the form, read the CAPTCHA, POST it.

The CAPTCHA answer is read from django-simple-captcha's store in the database (a
person reads it off the image); nothing in the site is switched to a test mode.
Standard library only, so the benchmarks use it too.
"""

from __future__ import annotations

import http.cookiejar
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

SIGNUP_PATH = "/accounts/signup/"


class _Inputs(HTMLParser):
    """The ``<input>`` fields of a page: name -> value."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            values = dict(attrs)
            if values.get("name"):
                self.fields[values["name"]] = values.get("value") or ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 302 itself is the answer we check


@dataclass
class Registration:
    """The outcome of one signup: its status, and when the response arrived."""

    username: str
    email: str
    status: int
    location: str
    started: float  # time.monotonic()
    answered: float  # time.monotonic(), when the POST's response arrived
    error: str = ""

    @property
    def ok(self) -> bool:
        """Success is allauth's redirect away from the form (to the site or a next step)."""
        return self.status == 302 and SIGNUP_PATH not in self.location

    @property
    def seconds(self) -> float:
        return self.answered - self.started


def captcha_from_store(hashkey: str) -> str:
    """The answer django-simple-captcha stored for ``hashkey`` (needs Django set up)."""
    from captcha.models import CaptchaStore

    return CaptchaStore.objects.get(hashkey=hashkey).response


def register(
    base_url: str,
    *,
    username: str,
    email: str,
    password: str = "Correct-Horse-Battery-9",
    answer: Callable[[str], str] = captcha_from_store,
    timeout: float = 120,
) -> Registration:
    """One registration at ``/accounts/signup/``: GET the form, POST it filled in."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    url = base_url + SIGNUP_PATH
    started = time.monotonic()
    try:
        with opener.open(url, timeout=timeout) as response:
            page = response.read().decode()
        inputs = _Inputs()
        inputs.feed(page)
        hashkey = inputs.fields["captcha_0"]
        data = {
            "csrfmiddlewaretoken": inputs.fields["csrfmiddlewaretoken"],
            "username": username,
            "email": email,
            "password1": password,
            "password2": password,
            "captcha_0": hashkey,
            "captcha_1": answer(hashkey),
        }
        request = urllib.request.Request(
            url,
            data=urllib.parse.urlencode(data).encode(),
            headers={"Referer": url},
        )
        posted = time.monotonic()
        try:
            with opener.open(request, timeout=timeout) as response:
                status, location = response.status, response.headers.get("Location", "")
                body = response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            status, location = error.code, error.headers.get("Location", "")
            body = error.read().decode(errors="replace")
        answered = time.monotonic()
        result = Registration(username, email, status, location, posted, answered)
        if not result.ok:
            result.error = body[:2000]
        return result
    except Exception as error:  # a refused connection or a timeout is an error response too
        return Registration(
            username, email, 0, "", started, time.monotonic(), f"{type(error).__name__}: {error}"
        )
