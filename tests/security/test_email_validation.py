"""Addresses the mail pipeline cannot deliver are refused at every door
(``config.validators.deliverable_email``): a local part that is not ASCII, such as
U+017F (long s) or U+212A (the Kelvin sign), which NFKC folds to ASCII letters and
Django's own EmailValidator accepts, and a domain IDNA cannot encode."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.utils import timezone

from blog.models import User
from config.validators import deliverable_email
from reminders.models import Reminder
from tests.accounts.conftest import SIGNUP_URL, signup_data
from tests.api.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LONG_S = "\u017fam@example.com"
KELVIN = "\u212aelvin@example.com"
UNDELIVERABLE = [LONG_S, KELVIN, "jos\u00e9@example.com", "a@" + "\u00e9" * 70 + ".com"]


@pytest.mark.parametrize("address", UNDELIVERABLE)
def test_the_validator_refuses_what_cannot_be_sent(address) -> None:
    with pytest.raises(ValidationError):
        deliverable_email(address)


@pytest.mark.parametrize(
    "address",
    ["sam@example.com", "kelvin@example.com", "sam@b\u00fccher.example", "o'neil+x@example.com"],
)
def test_ascii_local_parts_and_international_domains_pass(address) -> None:
    deliverable_email(address)


def test_the_error_suggests_the_ascii_spelling() -> None:
    with pytest.raises(ValidationError) as error:
        deliverable_email(KELVIN)

    assert "Did you mean Kelvin@example.com?" in error.value.messages[0]


@pytest.mark.parametrize("address", [LONG_S, KELVIN])
def test_signup_refuses_it(client, address) -> None:
    response = client.post(SIGNUP_URL, signup_data(client, email=address))

    assert response.status_code == 200
    assert "only ASCII" in " ".join(response.context["form"].errors["email"])
    assert not User.objects.filter(username="newreader").exists()


@pytest.mark.parametrize("address", [LONG_S, KELVIN])
def test_adding_it_on_the_email_page_is_refused(client, address) -> None:
    user = UserFactory(username="reader")
    client.force_login(user)

    response = client.post("/accounts/email/", {"email": address, "action_add": ""})

    assert response.status_code == 200
    assert "only ASCII" in response.content.decode()
    assert not EmailAddress.objects.filter(user=user, email__iexact=address).exists()


@pytest.mark.parametrize("address", [LONG_S, KELVIN])
def test_the_user_admin_refuses_it(admin_client, address) -> None:
    user = UserFactory(username="reader")
    data = {
        "username": "reader",
        "email": address,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }

    response = admin_client.post(f"/admin/blog/user/{user.pk}/change/", data)

    assert response.status_code == 200
    assert "only ASCII" in response.content.decode()
    user.refresh_from_db()
    assert user.email == "reader@example.com"


@pytest.mark.parametrize("address", [LONG_S, KELVIN])
def test_the_reminders_api_refuses_it(address) -> None:
    staff = client_for(UserFactory(username="boss", is_staff=True, is_superuser=True))
    date = (timezone.now() + timedelta(days=1)).isoformat()

    response = staff.post(
        "/api/reminders/",
        json.dumps({"email": address, "text": "Hello", "date": date}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "only ASCII" in response.json()["email"][0]
    assert not Reminder.objects.exists()


@pytest.mark.parametrize("address", [LONG_S, KELVIN])
def test_the_reminders_admin_refuses_it(admin_client, address) -> None:
    local = timezone.localtime(timezone.now() + timedelta(days=1))
    data = {
        "email": address,
        "subject": "Hello",
        "text": "Hello",
        "date_0": local.strftime("%Y-%m-%d"),
        "date_1": local.strftime("%H:%M:%S"),
        "user": "",
        "attempt_history-TOTAL_FORMS": "0",
        "attempt_history-INITIAL_FORMS": "0",
    }

    response = admin_client.post("/admin/reminders/reminder/add/", data)

    assert response.status_code == 200
    assert "only ASCII" in response.content.decode()
    assert not Reminder.objects.exists()
