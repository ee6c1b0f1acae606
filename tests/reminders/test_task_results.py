"""The task results admin, re-registered readable (reminders/task_results.py)."""

import json
import uuid

import pytest
from django.urls import reverse
from django_celery_results.models import TaskResult

from reminders.task_results import outcome_text, reminder_ids

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:django_celery_results_taskresult_changelist")


def result(task: str, args: str, value, status: str = "SUCCESS", **fields) -> TaskResult:
    return TaskResult.objects.create(
        task_id=str(uuid.uuid4()),
        task_name=f"reminders.tasks.{task}",
        task_args=args,
        status=status,
        result=json.dumps(value),
        worker="worker-abc123@a-rather-long-host-name.example.com",
        **fields,
    )


def test_ids_parsed_from_the_stored_arguments() -> None:
    one, two = str(uuid.uuid4()), str(uuid.uuid4())
    assert reminder_ids(json.dumps(f"('{one}',)")) == [one]
    assert reminder_ids(json.dumps(f"(['{one}', '{two}', '{one}'],)")) == [one, two]
    assert reminder_ids("()") == [] and reminder_ids(None) == []


@pytest.mark.parametrize(
    ("value", "status", "text"),
    [
        ({"reminder": "x", "status": "sent"}, "SUCCESS", "sent"),
        (
            {"reminder": "x", "status": "failed", "error": "SMTP 550 no"},
            "SUCCESS",
            "failed SMTP 550 no",
        ),
        (
            {
                "given": 3,
                "claimed": 3,
                "skipped": 0,
                "sent": 1,
                "failed": ["a"],
                "retry": ["b"],
                "released": 0,
                "connections": 2,
            },
            "SUCCESS",
            "sent 1 of 3, failed 1, retry 1",
        ),
        (
            {"reclaimed": 0, "given_up": 0, "enqueued": 4, "batches": 1, "more": 0},
            "SUCCESS",
            "enqueued 4, batches 1",
        ),
        (
            {"exc_type": "TemporaryFailure", "exc_message": ["451 later"]},
            "RETRY",
            "TemporaryFailure: ['451 later']",
        ),
    ],
)
def test_outcome_in_words(value, status: str, text: str) -> None:
    assert outcome_text(result("remind", "()", value, status=status)) == text


def test_the_list_names_task_reminder_and_outcome_in_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries
) -> None:
    single = str(uuid.uuid4())
    batch = [str(uuid.uuid4()) for _ in range(5)]
    result("remind", json.dumps(f"('{single}',)"), {"reminder": single, "status": "sent"})
    result(
        "remind_batch",
        json.dumps(f"({batch!r},)"),
        {
            "given": 5,
            "claimed": 5,
            "skipped": 0,
            "sent": 5,
            "failed": [],
            "retry": [],
            "released": 0,
            "connections": 2,
        },
    )
    for _ in range(10):
        result("remind", json.dumps(f"('{uuid.uuid4()}',)"), {"reminder": "x", "status": "sent"})

    # Session, user, the counts (filtered and total), the page, the date hierarchy (2),
    # the status and task-name filters' choices (2): none per row.
    with django_assert_num_queries(9):
        response = admin_client.get(CHANGELIST)

    content = response.content.decode()
    assert response.status_code == 200
    assert ">remind<" in content and ">remind_batch<" in content
    assert reverse("admin:reminders_reminder_change", args=[single]) in content
    assert f"reminder {single[:8]}" in content
    assert "5 reminders" in content and "id__in=" in content
    assert "sent 5 of 5" in content
    assert "worker-abc123@a-rather-…" in content
