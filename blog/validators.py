"""Validators of what the blog stores, shared by the models, the forms and the API.

Each is on the model field, so the services' ``full_clean()`` and the admin's forms
apply it; the page forms and the API serializers name it again to answer with a field
error before a service is called.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# What XML 1.0 cannot carry (the C0 controls but tab, line feed and carriage return; the
# surrogates; U+FFFE and U+FFFF), and DEL: none has a place in a title, a text or a tag,
# and the first ones make a feed that holds them unreadable to every reader.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

# A publish date's year: converting year 1 to UTC from a zone east of it, or year 9999
# to one east of UTC, leaves the calendar (OverflowError).
PUBLISH_YEAR_MIN = 1900
PUBLISH_YEAR_MAX = 9998


def no_control_characters(value: str) -> None:
    """Refuse a string with a control character (see ``CONTROL_CHARACTERS``)."""
    found = CONTROL_CHARACTERS.search(value or "")
    if found:
        raise ValidationError(
            _("Remove the control character U+%(code)04X (at position %(position)d)."),
            code="control_character",
            params={"code": ord(found.group()), "position": found.start() + 1},
        )


def strip_control_characters(value: str) -> str:
    """``value`` without its control characters: what a feed may carry whatever is stored."""
    return CONTROL_CHARACTERS.sub("", value)


def publish_date_in_range(value: datetime) -> None:
    """Refuse a publish date no time zone can convert (years before 1900 or after 9998)."""
    if value is not None and not PUBLISH_YEAR_MIN <= value.year <= PUBLISH_YEAR_MAX:
        raise ValidationError(
            _("Choose a date between the years %(min)d and %(max)d."),
            code="publish_date_range",
            params={"min": PUBLISH_YEAR_MIN, "max": PUBLISH_YEAR_MAX},
        )
