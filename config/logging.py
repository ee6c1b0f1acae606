"""Logging filters of the site (wired in ``config/settings/base.py``, LOGGING).

A 403 or a 404 is an answer the site meant to give, not a fault: Django's
``django.request`` logger would log each at WARNING with the exception's traceback,
and runserver's ``django.server`` logs the same request once more. Here each is one
INFO line without a traceback (docs/development.md, "A quiet console").
"""

from __future__ import annotations

import logging

EXPECTED_CLIENT_ERRORS = (403, 404)


class ExpectedClientErrors(logging.Filter):
    """``django.request``: 403 and 404 at INFO, no traceback. ``django.server``: those
    requests are dropped (``django.request`` said them already); every other line,
    500s and 4xx such as 400 or 429 included, passes as it was."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) not in EXPECTED_CLIENT_ERRORS:
            return True
        if record.name == "django.server":
            return False
        record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        record.exc_info = record.exc_text = None
        return True
