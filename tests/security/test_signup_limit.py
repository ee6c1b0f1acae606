"""Signup POSTs are limited per client address (allauth's ``signup`` rate,
``ACCOUNT_RATE_LIMIT_SIGNUP``, default 5 a minute and 20 an hour), over a real server:
the 429 page says why. A GET of the form costs nothing."""

from __future__ import annotations

import pytest

from blog.models import User

from .conftest import Session

pytestmark = pytest.mark.django_db(transaction=True)

SIGNUP = "/accounts/signup/"


def test_24_signup_posts_from_one_address_meet_a_429(runserver) -> None:
    with runserver() as url:
        session = Session(url)
        token = session.csrf_token(SIGNUP)
        answers = [
            session.post_form(
                SIGNUP,
                {
                    "username": f"robot{n}",
                    "email": f"robot{n}@example.com",
                    "password1": "Nebula-Orchard-42",
                    "password2": "Nebula-Orchard-42",
                    "captcha_0": "0" * 40,
                    "captcha_1": "wrong",
                },
                token=token,
            )
            for n in range(24)
        ]
        # The form itself still opens: a GET costs nothing.
        assert session.get(session.url(SIGNUP), timeout=30).status_code == 200

    statuses = [answer.status_code for answer in answers]
    assert statuses[:5] == [200] * 5  # the form again, with its CAPTCHA error
    assert set(statuses[5:]) == {429}
    assert "Too many attempts from your address" in answers[-1].text
    assert not User.objects.filter(username__startswith="robot").exists()
