"""Content-Security-Policy: django-csp (Django has its own only from 6.0).

https://django-csp.readthedocs.io/en/latest/configuration.html

Posts are stored as sanitized HTML and shown with ``|safe``; should the sanitizer ever
let a script or a handler through, the browser still refuses to run it: scripts,
styles, images and fonts come from the site itself, no inline script or style runs
unless it carries the request's nonce (the Swagger UI page's one ``<style>``), nothing
frames the site, forms post only to the site (and to the login providers it redirects
to). docs/security.md ("Content-Security-Policy") lists what each page needs.
"""

from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF

from ..env import env
from .accounts import RECAPTCHA_PRIVATE_KEY, RECAPTCHA_PUBLIC_KEY
from .blog import MEDIA_URL

# The third-party logins (components/accounts.py) answer a POST with a redirect to
# the provider, which form-action governs too.
LOGIN_PROVIDERS = [
    "https://github.com",
    "https://www.facebook.com",
    "https://accounts.google.com",
]
# Google's reCAPTCHA, when its keys are set: its script and its frame.
# https://developers.google.com/recaptcha/docs/faq#im-using-content-security-policy-csp-on-my-website.-how-can-i-configure-it-to-work-with-recaptcha
RECAPTCHA_SCRIPTS = ["https://www.google.com/recaptcha/", "https://www.gstatic.com/recaptcha/"]
RECAPTCHA_FRAMES = ["https://www.google.com/recaptcha/", "https://recaptcha.google.com/recaptcha/"]
_recaptcha = bool(RECAPTCHA_PUBLIC_KEY and RECAPTCHA_PRIVATE_KEY)
# Uploaded images from a CDN or bucket when DJANGO_MEDIA_URL is absolute.
_media = urlsplit(MEDIA_URL)
MEDIA_ORIGINS = [f"{_media.scheme}://{_media.netloc}"] if _media.netloc else []

_policy = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, *(RECAPTCHA_SCRIPTS if _recaptcha else [])],
        "style-src": [SELF, NONCE],
        # data: for the SVG icons Swagger UI and the admin's widgets inline in CSS.
        "img-src": [SELF, "data:", *MEDIA_ORIGINS],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": RECAPTCHA_FRAMES if _recaptcha else [NONE],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF, *LOGIN_PROVIDERS],
    }
}
# "enforce" (the default) sends Content-Security-Policy; "report-only" sends only
# Content-Security-Policy-Report-Only, to try a change of policy on a live site first.
CSP_MODE = env.str("CSP_MODE", default="enforce")
if CSP_MODE == "report-only":
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _policy
else:
    CONTENT_SECURITY_POLICY = _policy
