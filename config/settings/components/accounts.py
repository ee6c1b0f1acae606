"""Accounts: django-allauth, third-party login, the registration CAPTCHA.

https://docs.allauth.org/en/latest/account/configuration.html
"""

from ..env import env

ACCOUNT_ADAPTER = "blog.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "blog.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {"signup": "blog.forms.SignupForm"}
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
# others). They count in the default cache: per process unless CACHES names a shared one.
ACCOUNT_RATE_LIMITS = {
    "login": env.str("ACCOUNT_RATE_LIMIT_LOGIN", default="30/m/ip"),
    # 10 failures a minute from one address, 5 in 5 minutes for one account.
    "login_failed": env.str("ACCOUNT_RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "signup": env.str("ACCOUNT_RATE_LIMIT_SIGNUP", default="20/m/ip"),
}

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
CAPTCHA_IMAGE_SIZE = (150, 50)
CAPTCHA_FONT_SIZE = 32
