"""The password hasher takes its Argon2id parameters from the settings; a hash made
with other parameters is upgraded at login; production refuses parameters below
OWASP's minimum (config.E020)."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import Client

from config.checks import argon2_parameters
from config.hashers import argon2_parameters_problem
from tests.config.test_settings import PRODUCTION_ENV, run_manage
from tests.factories import UserFactory

# The production list: the test settings name Django's own Argon2 class first.
HASHERS = [
    "config.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
]
# OWASP's minimum, cheaper than Django's defaults so the tests stay fast.
OWASP_MINIMUM = {"ARGON2_TIME_COST": 2, "ARGON2_MEMORY_COST": 19_456, "ARGON2_PARALLELISM": 1}
STRONGER = {"ARGON2_TIME_COST": 3, "ARGON2_MEMORY_COST": 24_576, "ARGON2_PARALLELISM": 2}
PASSWORD = "a long enough passphrase 42"


@pytest.fixture
def owasp_minimum(settings):
    settings.PASSWORD_HASHERS = HASHERS
    for name, value in OWASP_MINIMUM.items():
        setattr(settings, name, value)
    return settings


def test_a_password_is_hashed_with_the_settings_parameters_and_verifies(owasp_minimum) -> None:
    encoded = make_password(PASSWORD)

    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password(PASSWORD, encoded)
    assert not check_password(PASSWORD + "!", encoded)


def test_changing_the_settings_makes_the_hash_out_of_date(owasp_minimum) -> None:
    encoded = make_password(PASSWORD)
    hasher = identify_hasher(encoded)
    assert not hasher.must_update(encoded)

    owasp_minimum.ARGON2_TIME_COST = 3

    assert hasher.must_update(encoded)


@pytest.mark.django_db
def test_a_login_upgrades_a_hash_made_with_other_parameters(owasp_minimum) -> None:
    user = UserFactory(username="hashed", password=make_password(PASSWORD))
    for name, value in STRONGER.items():
        setattr(owasp_minimum, name, value)

    response = Client().post("/accounts/login/", {"login": "hashed", "password": PASSWORD})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=24576,t=3,p=2$")
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_a_hash_made_by_djangos_own_argon2_class_verifies_and_is_upgraded(owasp_minimum) -> None:
    """Hashes written before config.hashers (Django's class, its defaults) still log in."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    old = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    user = UserFactory(username="older", password=old)

    response = Client().post("/accounts/login/", {"login": "older", "password": PASSWORD})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.parametrize(
    ("time_cost", "memory_cost", "parallelism"),
    [
        (2, 102_400, 8),  # Django's defaults, kept
        (2, 19_456, 1),  # OWASP's minimum
        (1, 47_104, 1),  # OWASP's equal configurations
        (3, 12_288, 1),
        (5, 7_168, 1),
    ],
)
def test_owasps_configurations_and_djangos_defaults_pass(time_cost, memory_cost, parallelism):
    assert argon2_parameters_problem(time_cost, memory_cost, parallelism) is None


@pytest.mark.parametrize(
    ("time_cost", "memory_cost", "parallelism", "problem"),
    [
        (2, 19_455, 1, "below OWASP's minimum"),
        (1, 19_456, 1, "below OWASP's minimum"),
        (1, 47_103, 8, "below OWASP's minimum"),
        (5, 7_167, 1, "below OWASP's minimum"),
        (2, 102_400, 0, "at least 1 lane"),
    ],
)
def test_parameters_below_owasps_minimum_are_refused(time_cost, memory_cost, parallelism, problem):
    assert problem in argon2_parameters_problem(time_cost, memory_cost, parallelism)


def test_the_check_names_the_weak_parameters(settings) -> None:
    settings.ARGON2_TIME_COST, settings.ARGON2_MEMORY_COST = 1, 8_192

    (error,) = argon2_parameters(None)

    assert error.id == "config.E020"
    assert "t=1, m=8192 KiB" in error.msg


def test_check_deploy_refuses_weak_argon2_parameters_in_production() -> None:
    weak = run_manage({**PRODUCTION_ENV, "ARGON2_MEMORY_COST": "8192"}, "check", "--deploy")
    default = run_manage(PRODUCTION_ENV, "check", "--deploy")

    assert weak.returncode != 0
    assert "config.E020" in weak.stderr
    assert "config.E020" not in default.stderr + default.stdout
