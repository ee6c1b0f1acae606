"""Validators shared by every app: an email address the mail pipeline can deliver.

Lightblog sends with Django's SMTP backend and no SMTPUTF8, so a local part must be
plain ASCII: ``\u017fam@example.com`` (U+017F, long s) and ``\u212aelvin@example.com`` (U+212A,
the Kelvin sign) pass Django's ``EmailValidator`` but were mailed to a mangled address
(an RFC 2047 encoded-word in ``To:``, raw UTF-8 in the envelope). Such an address is
refused at input, with the ASCII spelling NFKC gives as a hint where there is one. The
domain may be international, as long as IDNA can encode it (it is sent as punycode).

One validator, ``deliverable_email``, on the models' email fields (``blog.User.email``,
``reminders.Reminder.email``: the admin and the services' ``full_clean()``), the API's
``config.api.StrictEmailField`` and allauth's signup and "Add email" forms
(``blog.forms.SignupForm``, ``config.email_addresses.AddEmailForm``), where it runs
before allauth lower-cases the address (``"\u212a".lower()`` is ``"k"``).
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MESSAGE = _("Enter an address whose part before the @ uses only ASCII letters, digits and signs.")


def deliverable_email(value: str) -> None:
    """Refuse an address whose local part is not ASCII or whose domain IDNA cannot encode."""
    if not isinstance(value, str) or "@" not in value:
        return  # EmailValidator's to refuse
    local, _at, domain = value.rpartition("@")
    if not local.isascii():
        suggestion = unicodedata.normalize("NFKC", local)
        hint = (
            " " + gettext("Did you mean %(address)s?") % {"address": f"{suggestion}@{domain}"}
            if suggestion.isascii()
            else ""
        )
        raise ValidationError(str(MESSAGE) + hint, code="non_ascii_local_part")
    if not domain.isascii():
        try:
            domain.encode("idna")
        except UnicodeError:
            raise ValidationError(
                _("Enter an address whose domain can be written in ASCII (IDNA)."),
                code="invalid_idna_domain",
            ) from None
