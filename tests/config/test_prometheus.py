"""A real Prometheus server scrapes a running Lightblog: gunicorn (two workers) for
``/metrics`` and a prefork Celery worker's own metrics port, both sharing one
``PROMETHEUS_MULTIPROC_DIR``, after emails went through the worker to aiosmtpd. The
test then asks Prometheus' HTTP API what it stored.

Prometheus is Debian's ``prometheus`` package (``/usr/bin/prometheus``); without it
this test skips and says so, and with ``CI`` set it fails.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from reminders.models import Reminder, ReminderStatus
from tests.conftest import IN_CI
from tests.support import processes
from tests.support.polling import wait_until
from tests.support.smtp import free_port

from ..reminders.factories import ReminderFactory

PROMETHEUS = Path("/usr/bin/prometheus")
EMAILS = 3

pytestmark = pytest.mark.worker


def require_prometheus() -> None:
    if PROMETHEUS.exists():
        return
    message = f"{PROMETHEUS} is missing (apt-get install prometheus)"
    if IN_CI:
        pytest.fail(f"{message}; CI is set: the scrape test never skips")
    pytest.skip(f"{message}: embedded run, the Prometheus scrape test skipped")


def prometheus_config(path: Path, web: int, worker: int) -> None:
    # JSON is YAML: no YAML library needed to write it.
    path.write_text(
        json.dumps(
            {
                "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
                "scrape_configs": [
                    {"job_name": "web", "static_configs": [{"targets": [f"127.0.0.1:{web}"]}]},
                    {
                        "job_name": "worker",
                        "static_configs": [{"targets": [f"127.0.0.1:{worker}"]}],
                    },
                ],
            }
        )
    )


def query(base: str, expr: str) -> list[dict]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=10) as response:
        answer = json.load(response)
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def value(base: str, expr: str) -> float | None:
    result = query(base, expr)
    return float(result[0]["value"][1]) if result else None


def test_prometheus_scrapes_the_families_with_plausible_values(
    subprocess_env, smtp_server, tmp_path, request
) -> None:
    require_prometheus()
    from config.celery import app as celery_app

    celery_app.control.purge()
    web_port, worker_port, prometheus_port = free_port(), free_port(), free_port()
    # Made (empty) before the processes start, as prometheus_client requires.
    multiproc = tmp_path / "metrics"
    multiproc.mkdir()
    env = subprocess_env(
        EMAIL_URL=smtp_server.url,
        PROMETHEUS_MULTIPROC_DIR=str(multiproc),
        METRICS_ALLOWED_IPS="127.0.0.1",
        METRICS_WORKER_PORT=str(worker_port),
    )
    log_dir = Path(settings.VAR_DIR) / "monitoring-logs" / request.node.name
    worker = processes.celery_worker(env=env, log_dir=log_dir)
    web = processes.gunicorn(env=env, log_dir=log_dir, port=web_port, workers=2)
    config = tmp_path / "prometheus.yml"
    prometheus_config(config, web_port, worker_port)
    prometheus = processes.ManagedProcess(
        "prometheus",
        [
            str(PROMETHEUS),
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
        ],
        env={"PATH": "/usr/bin:/bin"},
        log_dir=log_dir,
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{prometheus_port}"
    with processes.running(worker), processes.running(web), processes.running(prometheus):
        worker.wait_for_log(processes.WORKER_READY, timeout=120)
        processes.wait_for_http(f"http://127.0.0.1:{web_port}", process=web)
        for n in range(EMAILS):
            ReminderFactory(email=f"scraped{n}@example.com")
        smtp_server.recorder.wait_for(EMAILS, timeout=60)
        wait_until(
            lambda: Reminder.objects.filter(status=ReminderStatus.SENT).count() == EMAILS,
            timeout=60,
            message="every reminder marked sent",
        )

        def scraped_all() -> bool:
            sent = 'sum(lightblog_emails_total{job="%s",kind="reminder",status="sent"})'
            outbox = value(base, 'lightblog_reminders_outbox{job="web"}')
            return (
                all((value(base, sent % job) or 0) >= EMAILS for job in ("web", "worker"))
                and outbox == 0
            )

        def answers() -> bool:
            try:
                return scraped_all()
            except OSError:
                if not prometheus.alive():
                    raise RuntimeError(f"prometheus exited:\n{prometheus.tail()}") from None
                return False

        try:
            wait_until(answers, timeout=90, step=0.5, message="Prometheus stored the scrapes")
        except TimeoutError:
            for process in (web, worker, prometheus):
                print(f"----- {process.name} -----\n{process.tail(30)}")
            raise

        assert value(base, 'up{job="web"}') == 1
        assert value(base, 'up{job="worker"}') == 1
        # Counters: the prefork pool's children, added up across processes.
        sent = value(base, 'sum(lightblog_emails_total{job="web",status="sent"})')
        assert sent == EMAILS
        assert value(base, 'sum(lightblog_smtp_replies_total{job="web",reply="2xx"})') == EMAILS
        assert value(base, 'sum(lightblog_emails_total{job="web",status=~"retry|failed"})') in (
            None,
            0,
        )
        # State, read from the database at the scrape.
        assert value(base, 'lightblog_reminders{job="web",status="sent"}') == EMAILS
        assert value(base, 'lightblog_reminders{job="web",status="pending"}') == 0
        assert value(base, 'lightblog_reminders_oldest_due_seconds{job="web"}') == 0
        assert value(base, 'lightblog_reminders_collector_up{job="web"}') == 1
        # The database gauges are the web's alone: a worker does not compute them.
        assert query(base, 'lightblog_reminders_outbox{job="worker"}') == []
        # The alert expressions evaluate on real data: nothing to alert about.
        assert value(base, "max(lightblog_reminders_oldest_due_seconds) > 900") is None
