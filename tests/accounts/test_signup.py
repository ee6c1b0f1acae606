"""Registration at /accounts/signup/: a real CAPTCHA, validation, role and welcome reminder."""

from __future__ import annotations

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth.hashers import identify_hasher

from blog.models import User
from blog.permissions import can_comment, can_post
from reminders.models import MailKind, Reminder, ReminderStatus
from tests.accounts.conftest import GOOD_PASSWORD, SIGNUP_URL, signup_data
from tests.factories import UserFactory
from tests.support.outbox import deliver_due

pytestmark = pytest.mark.django_db


def form_errors(response) -> dict[str, list[str]]:
    form = response.context["form"]
    return {name: list(errors) for name, errors in form.errors.items()}


def test_signup_creates_a_signed_in_commenter_with_an_argon2_password(client):
    response = client.post(SIGNUP_URL, signup_data(client))

    assert response.status_code == 302
    user = User.objects.get(username="newreader")
    assert user.email == "newreader@example.com"
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password(GOOD_PASSWORD)
    assert can_comment(user) and not can_post(user)
    assert list(user.groups.values_list("name", flat=True)) == ["default"]
    # Signed in straight away (email verification is optional).
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get("/accounts/settings/").status_code == 200


def test_signup_creates_exactly_one_welcome_reminder_for_the_users_email(client):
    client.post(SIGNUP_URL, signup_data(client))

    user = User.objects.get(username="newreader")
    reminders = Reminder.objects.filter(email="newreader@example.com", kind=MailKind.REMINDER)
    assert reminders.count() == 1
    assert reminders.get().user == user
    # Beside it in the outbox, allauth's confirmation email (kind "mail").
    assert Reminder.objects.filter(email="newreader@example.com", kind=MailKind.MAIL).count() == 1


def test_user_and_reminder_are_one_transaction(client, monkeypatch):
    import reminders.services

    def broken(user):
        raise RuntimeError("reminder could not be saved")

    monkeypatch.setattr(reminders.services, "welcome_reminder_create", broken)

    with pytest.raises(RuntimeError):
        client.post(SIGNUP_URL, signup_data(client))

    assert not User.objects.filter(username="newreader").exists()
    assert Reminder.objects.count() == 0


def test_the_confirmation_email_is_stored_by_the_request_and_sent_by_the_pipeline(
    client, mailoutbox
):
    client.post(SIGNUP_URL, signup_data(client))

    # The request only wrote it to the outbox, with the site's headers.
    assert mailoutbox == []
    stored = Reminder.objects.get(email="newreader@example.com", kind=MailKind.MAIL)
    assert stored.status == ReminderStatus.PENDING
    raw = bytes(stored.raw_message)
    assert b"Auto-Submitted: auto-generated" in raw
    assert f"Message-ID: {stored.message_id}".encode() in raw
    assert stored.message_id.startswith(f"<{stored.pk.hex}.")

    deliver_due()

    [confirmation] = [m for m in mailoutbox if "/accounts/confirm-email/" in m.body]
    assert confirmation.to == ["newreader@example.com"]
    stored.refresh_from_db()
    assert stored.status == ReminderStatus.SENT


def test_signup_survives_an_unreachable_mail_server(client, settings):
    settings.REMINDERS_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    response = client.post(SIGNUP_URL, signup_data(client))

    assert response.status_code == 302
    assert User.objects.filter(username="newreader").exists()
    # The worker meets the dead server: a temporary failure, retried, nothing lost.
    report = deliver_due()
    assert report.sent == 0 and len(report.retry) == 2
    confirmation = Reminder.objects.get(email="newreader@example.com", kind=MailKind.MAIL)
    assert confirmation.status == ReminderStatus.PENDING
    assert "ConnectionRefusedError" in confirmation.last_error


class TestCaptcha:
    def test_signup_page_shows_a_self_hosted_captcha_image(self, client):
        response = client.get(SIGNUP_URL)

        html = response.content.decode()
        assert 'name="captcha_1"' in html
        assert "/captcha/image/" in html
        assert "google.com" not in html and "recaptcha" not in html

    def test_captcha_image_is_served_by_the_site(self, client):
        hashkey = CaptchaStore.generate_key()

        response = client.get(f"/captcha/image/{hashkey}/")

        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"

    def test_wrong_answer_is_refused_and_creates_nobody(self, client):
        data = signup_data(client)
        data["captcha_1"] = "wrong" if data["captcha_1"] != "wrong" else "right"

        response = client.post(SIGNUP_URL, data)

        assert response.status_code == 200
        assert "captcha" in form_errors(response)
        assert User.objects.count() == 0
        assert Reminder.objects.count() == 0

    def test_missing_answer_is_refused(self, client):
        data = signup_data(client, captcha_1="")

        response = client.post(SIGNUP_URL, data)

        assert "captcha" in form_errors(response)
        assert User.objects.count() == 0

    def test_an_answer_cannot_be_used_twice(self, client):
        data = signup_data(client)
        client.post(SIGNUP_URL, data)
        client.post("/accounts/logout/")

        response = client.post(
            SIGNUP_URL, {**data, "username": "second", "email": "second@example.com"}
        )

        assert "captcha" in form_errors(response)
        assert not User.objects.filter(username="second").exists()


class TestBadInput:
    @pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", ""])
    def test_invalid_email_is_a_field_error(self, client, email):
        response = client.post(SIGNUP_URL, signup_data(client, email=email))

        assert "email" in form_errors(response)
        assert User.objects.count() == 0

    def test_duplicate_username_is_refused_whatever_its_case(self, client):
        UserFactory(username="taken")

        response = client.post(SIGNUP_URL, signup_data(client, username="Taken"))

        assert "username" in form_errors(response)
        assert User.objects.count() == 1

    def test_duplicate_email_is_refused_whatever_its_case(self, client):
        UserFactory(username="someone", email="shared@example.com")

        response = client.post(SIGNUP_URL, signup_data(client, email="SHARED@example.com"))

        assert "email" in form_errors(response)
        assert User.objects.count() == 1

    @pytest.mark.parametrize(
        "password", ["short1", "password123", "12345678901", "newreader-example"]
    )
    def test_weak_password_is_refused_by_djangos_validators(self, client, password):
        response = client.post(
            SIGNUP_URL, signup_data(client, password1=password, password2=password)
        )

        assert "password1" in form_errors(response)
        assert User.objects.count() == 0

    def test_mismatched_passwords_are_refused(self, client):
        response = client.post(SIGNUP_URL, signup_data(client, password2="Other-Password-99"))

        assert response.status_code == 200
        assert User.objects.count() == 0

    @pytest.mark.parametrize("username", ["", "has space", "x" * 151, "<script>"])
    def test_bad_username_is_a_field_error(self, client, username):
        response = client.post(SIGNUP_URL, signup_data(client, username=username))

        assert "username" in form_errors(response)
        assert User.objects.count() == 0

    def test_unicode_username_and_email_are_kept(self, client):
        client.post(SIGNUP_URL, signup_data(client, username="zoë_ñ", email="zoe@exämple.com"))

        user = User.objects.get()
        assert user.username == "zoë_ñ"
        assert client.get("/user/zoë_ñ/").status_code == 200

    def test_signup_without_csrf_token_is_refused(self, client):
        csrf_client = type(client)(enforce_csrf_checks=True)
        data = signup_data(csrf_client)

        response = csrf_client.post(SIGNUP_URL, data)

        assert response.status_code == 403
        assert User.objects.count() == 0


class TestTheCaptchaComesFirst:
    """Until the CAPTCHA passes, no other field is checked: addresses and usernames
    cannot be enumerated without solving it (issue #19)."""

    @pytest.mark.parametrize(
        ("field", "value"), [("email", "SHARED@example.com"), ("username", "Taken")]
    )
    def test_a_wrong_captcha_withholds_whether_an_account_exists(self, client, field, value):
        UserFactory(username="taken", email="shared@example.com")
        data = signup_data(client, **{field: value})
        data["captcha_1"] = "wrong" if data["captcha_1"] != "wrong" else "right"

        response = client.post(SIGNUP_URL, data)

        assert response.status_code == 200
        assert list(form_errors(response)) == ["captcha"]
        assert "already" not in response.content.decode()
        assert User.objects.count() == 1

    def test_a_wrong_captcha_withholds_every_other_error(self, client):
        data = signup_data(client, email="not-an-email", password2="different", username="")
        data["captcha_1"] = "wrong" if data["captcha_1"] != "wrong" else "right"

        response = client.post(SIGNUP_URL, data)

        assert list(form_errors(response)) == ["captcha"]

    def test_a_right_captcha_then_shows_the_other_errors_and_is_spent(self, client):
        UserFactory(username="taken", email="shared@example.com")
        data = signup_data(client, email="shared@example.com")

        response = client.post(SIGNUP_URL, data)

        assert list(form_errors(response)) == ["email"]
        assert "already registered" in form_errors(response)["email"][0]
        assert not CaptchaStore.objects.filter(hashkey=data["captcha_0"]).exists()
