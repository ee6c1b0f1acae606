"""Celery tasks of the reminders app."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def log(message: str) -> str:
    """Write ``message`` to the worker's log (a task of the original blog)."""
    logger.info("%s", message)
    return message


@shared_task
def multiply(x: int, y: int) -> int:
    """Return ``x * y`` (a task of the original blog)."""
    return x * y
