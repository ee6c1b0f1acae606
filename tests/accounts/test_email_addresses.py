"""/accounts/email/: someone else's unverified address blocks no signup, an account holds
at most ACCOUNT_MAX_EMAIL_ADDRESSES addresses, and "Make primary" on an address another
account holds is an error on the page, never a 500 (config/email_addresses.py)."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings

from blog.models import User
from tests.accounts.conftest import SIGNUP_URL, signup_data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EMAIL_URL = "/accounts/email/"


@pytest.fixture
def mallory(client):
    user = UserFactory(username="mallory", email="mallory@example.com")
    client.force_login(user)
    return user


def add_address(client, email: str):
    return client.post(EMAIL_URL, {"email": email, "action_add": ""})


def test_an_unverified_address_on_another_account_does_not_block_its_owners_signup(
    client, mallory, django_user_model
) -> None:
    assert add_address(client, "alice@example.com").status_code == 302
    assert EmailAddress.objects.filter(user=mallory, email="alice@example.com").exists()

    alice = client.__class__()
    response = alice.post(
        SIGNUP_URL, signup_data(alice, username="alice", email="alice@example.com")
    )

    assert response.status_code == 302, response.context["form"].errors
    assert User.objects.get(username="alice").email == "alice@example.com"
    # Mallory's claim was never hers: it is gone.
    assert not EmailAddress.objects.filter(user=mallory, email="alice@example.com").exists()


def test_an_address_another_account_holds_still_blocks_a_signup(client) -> None:
    UserFactory(username="bob", email="bob@example.com")

    response = client.post(
        SIGNUP_URL, signup_data(client, username="bob2", email="Bob@example.com")
    )

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not User.objects.filter(username="bob2").exists()


def test_make_primary_on_another_accounts_address_is_a_page_error(client, mallory) -> None:
    UserFactory(username="bob", email="bob@example.com")
    assert add_address(client, "bob@example.com").status_code == 302

    response = client.post(EMAIL_URL, {"email": "bob@example.com", "action_primary": ""})

    assert response.status_code == 400
    assert "belongs to another account" in response.content.decode()
    mallory.refresh_from_db()
    assert mallory.email == "mallory@example.com"
    assert User.objects.get(username="bob").email == "bob@example.com"


def test_make_primary_on_an_address_of_ones_own_still_works(client, mallory) -> None:
    assert add_address(client, "mallory.new@example.com").status_code == 302

    response = client.post(EMAIL_URL, {"email": "mallory.new@example.com", "action_primary": ""})

    assert response.status_code == 302
    mallory.refresh_from_db()
    assert mallory.email == "mallory.new@example.com"


def test_an_account_holds_a_limited_number_of_addresses(client, mallory) -> None:
    limit = settings.ACCOUNT_MAX_EMAIL_ADDRESSES
    for n in range(limit - 1):  # the account's own address is the first
        assert add_address(client, f"extra{n}@example.com").status_code == 302

    response = add_address(client, "one-too-many@example.com")

    assert response.status_code == 200
    assert f"You cannot add more than {limit} email addresses" in response.content.decode()
    assert EmailAddress.objects.filter(user=mallory).count() == limit
