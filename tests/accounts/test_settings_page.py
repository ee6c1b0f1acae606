"""The account settings page: a signed-in user turns the weekly digest on and off."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/accounts/settings/"


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/accounts/settings/")


def test_user_turns_the_digest_on_then_off(client):
    user = UserFactory(receives_digest=False)
    client.force_login(user)

    response = client.post(URL, {"receives_digest": "on"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.receives_digest is True

    client.post(URL, {})
    user.refresh_from_db()
    assert user.receives_digest is False


def test_page_shows_the_current_choice(client):
    user = UserFactory(receives_digest=True)
    client.force_login(user)

    html = client.get(URL).content.decode()

    assert 'name="receives_digest"' in html
    assert "checked" in html


def test_a_user_changes_only_their_own_settings(client):
    user, other = UserFactory(), UserFactory(receives_digest=False)
    client.force_login(user)

    client.post(URL, {"receives_digest": "on", "id": other.pk, "username": "hijack"})

    other.refresh_from_db()
    user.refresh_from_db()
    assert other.receives_digest is False
    assert user.receives_digest is True
    assert user.username != "hijack"
