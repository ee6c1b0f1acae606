"""The Celery application: ``celery -A config worker`` / ``celery -A config beat``.

It lives in ``config/`` rather than in a top-level ``celery.py``, which would shadow
the celery package itself.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("config")
# Every Celery setting comes from Django's settings, under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
