"""Accounts: django-allauth, third-party login, the registration CAPTCHA.

https://docs.allauth.org/en/latest/account/configuration.html
"""

import shutil
from datetime import timedelta

from ..env import env

ACCOUNT_ADAPTER = "blog.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "blog.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {
    "signup": "blog.forms.SignupForm",
    "add_email": "config.email_addresses.AddEmailForm",
}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# "optional": a new user is signed in at once; the confirmation email can wait.
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
# None shows "Remember me" on the login form; unticked, the session ends with the browser.
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env.str("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http")
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Lightblog] "
# allauth's rate limits are on; these three can be tuned (allauth's defaults for the
# others). They count in the default cache, shared by the web processes in production
# (production.py), per client address as config.client_ip.client_ip reads it.
ACCOUNT_RATE_LIMITS = {
    "login": env.str("ACCOUNT_RATE_LIMIT_LOGIN", default="30/m/ip"),
    # 10 failures a minute from one address; an account's failures are the lockout's
    # (below), the same at the three login doors.
    "login_failed": env.str("ACCOUNT_RATE_LIMIT_LOGIN_FAILED", default="10/m/ip"),
    # Signup POSTs from one address: 5 a minute, 20 an hour (a GET of the form is free).
    "signup": env.str("ACCOUNT_RATE_LIMIT_SIGNUP", default="5/m/ip,20/h/ip"),
}
# At most this many addresses on an account (/accounts/email/): another address is a
# form error, so nobody can park a list of other people's addresses on theirs.
ACCOUNT_MAX_EMAIL_ADDRESSES = env.int("ACCOUNT_MAX_EMAIL_ADDRESSES", default=2)

# PASSWORD HASHING
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/auth/passwords/#argon2-usage
# config.hashers.Argon2PasswordHasher (first in PASSWORD_HASHERS) reads these; Django's
# defaults, above OWASP's minimum (config.E020 refuses less in production).
# Iterations (passes over the memory).
ARGON2_TIME_COST = env.int("ARGON2_TIME_COST", default=2)
# Memory of one hash, KiB (102,400 = 100 MiB).
ARGON2_MEMORY_COST = env.int("ARGON2_MEMORY_COST", default=102_400)
# Lanes (and threads) of one hash.
ARGON2_PARALLELISM = env.int("ARGON2_PARALLELISM", default=8)

# LOGIN LOCKOUT
# ------------------------------------------------------------------------------
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
# One policy for allauth's login, the admin's and the API's token endpoint
# (config/lockout.py): LOGIN_LOCKOUT_FAILURES failed logins for one account from one
# address lock that pair for LOGIN_LOCKOUT_MINUTES. Counted in the database, so every
# web process sees the same count and a restart forgets nothing.
AXES_FAILURE_LIMIT = env.int("LOGIN_LOCKOUT_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "config.lockout.login_identifier"
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
# A good password resets the count; failures during a lockout do not prolong it.
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Failed attempts are kept (the admin's "Access attempts", where staff unlock by
# deleting a row); successful logins are not written down.
AXES_DISABLE_ACCESS_LOG = True
AXES_HTTP_RESPONSE_CODE = 429
# The posted password never reaches the attempts table or the log.
AXES_SENSITIVE_PARAMETERS = ["password", "password1", "password2"]

# THIRD-PARTY LOGIN
# ------------------------------------------------------------------------------
# A provider is offered only when its client id and secret are set here (or a SocialApp
# for it exists in the admin). Callback URL to register with the provider:
# https://<host>/accounts/<facebook|github|google>/login/callback/
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {
    "facebook": {"METHOD": "oauth2", "SCOPE": ["email", "public_profile"]},
    "github": {"SCOPE": ["user:email"]},
    "google": {"SCOPE": ["profile", "email"], "AUTH_PARAMS": {"access_type": "online"}},
}
for _provider in SOCIALACCOUNT_PROVIDERS:
    _client_id = env.str(f"SOCIAL_{_provider.upper()}_CLIENT_ID", default="")
    _secret = env.str(f"SOCIAL_{_provider.upper()}_SECRET", default="")
    if _client_id and _secret:
        SOCIALACCOUNT_PROVIDERS[_provider]["APPS"] = [
            {"client_id": _client_id, "secret": _secret, "key": ""}
        ]

# CAPTCHA
# ------------------------------------------------------------------------------
# On registration: Google reCAPTCHA v2 when both keys are set, else the self-hosted
# image CAPTCHA (django-simple-captcha), which needs no internet.
RECAPTCHA_PUBLIC_KEY = env.str("RECAPTCHA_PUBLIC_KEY", default="")
RECAPTCHA_PRIVATE_KEY = env.str("RECAPTCHA_PRIVATE_KEY", default="")
# Minutes a self-hosted CAPTCHA stays valid.
CAPTCHA_TIMEOUT = env.int("CAPTCHA_TIMEOUT", default=10)
CAPTCHA_LENGTH = 5
# The letters read aloud (a link beside the picture) when Debian's flite is installed.
CAPTCHA_FLITE_PATH = shutil.which("flite")
CAPTCHA_IMAGE_SIZE = (150, 50)
CAPTCHA_FONT_SIZE = 32
