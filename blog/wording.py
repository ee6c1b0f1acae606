"""allauth's words the site says its own way, in both languages.

allauth's pages say "Sign In", "Sign Up", "Sign Out" and "Remember Me:" where the site's
navigation says "Log in", "Sign up", "Log out". Its strings are translated here, in the
blog app's catalogues, which Django consults before allauth's (the blog app comes first
in ``INSTALLED_APPS``): ``blog/locale/en`` gives the site's English wording,
``blog/locale/zh_Hans`` the Chinese one the navigation uses. Listed with
``gettext_noop`` so that ``makemessages`` keeps them in the catalogues.
"""

from django.utils.translation import gettext_noop

ALLAUTH_WORDING = [
    gettext_noop("Sign In"),
    gettext_noop("Sign Up"),
    gettext_noop("Sign Out"),
    gettext_noop("Signup"),
    gettext_noop("Remember Me"),
    gettext_noop("Already have an account? Then please %(link)ssign in%(end_link)s."),
]
