"""Every app's migrations roll back to zero and apply again on the configured database."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def unapplied_migrations() -> list:
    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_migrations_roll_back_to_zero_and_apply_again() -> None:
    assert unapplied_migrations() == []

    for app in ("reminders", "django_celery_beat", "django_celery_results", "blog"):
        call_command("migrate", app, "zero", verbosity=0)
    rolled_back = unapplied_migrations()
    tables = connection.introspection.table_names()

    call_command("migrate", verbosity=0)

    assert any(m.app_label == "blog" for m, _ in rolled_back)
    assert "blog_user" not in tables
    assert "django_celery_results_taskresult" not in tables
    assert unapplied_migrations() == []
    assert "blog_user" in connection.introspection.table_names()
