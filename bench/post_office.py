"""django-post-office 3.12.0, benchmark 6's baseline, in a throwaway virtualenv and
project under ``BENCH_VAR_DIR`` (never in the project's own virtualenv)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

from bench import harness
from bench.sending import CPU, tally

POST_OFFICE = "django-post-office==3.12.0"


POST_OFFICE_SETTINGS = """
SECRET_KEY = "bench-only"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "post_office"]
DATABASES = {{"default": {{
    "ENGINE": "django.db.backends.mysql", "NAME": {name!r}, "USER": {user!r},
    "PASSWORD": {password!r}, "HOST": {host!r}, "PORT": {port!r},
    "OPTIONS": {{"charset": "utf8mb4"}},
}}}}
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(__import__("os").environ["SINK_PORT"])
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = "Lightblog <noreply@localhost>"
LOGGING = {{"version": 1, "root": {{"level": "WARNING"}}}}
# post-office's defaults otherwise: BATCH_SIZE 100, THREADS_PER_PROCESS 5, LOG_LEVEL 2.
"""

QUEUE_SCRIPT = """
import json, sys
import django
django.setup()
from post_office.models import Email, Log, STATUS
Log.objects.all().delete()
Email.objects.all().delete()
spec = json.load(open(sys.argv[1]))
Email.objects.bulk_create(
    [Email(from_email=spec["from"], to=[to], subject=spec["subject"], message=spec["text"],
           html_message=spec["html"], status=STATUS.queued) for to in spec["to"]],
    batch_size=1000,
)
print(Email.objects.filter(status=STATUS.queued).count())
"""

COUNT_SCRIPT = """
import django
django.setup()
from post_office.models import Email, STATUS
print(Email.objects.filter(status=STATUS.sent).count())
"""


class PostOffice:
    """django-post-office in a throwaway virtualenv and project under ``VAR_DIR``."""

    def __init__(self) -> None:
        from importlib.metadata import version

        import django

        self.requirements = [
            POST_OFFICE,
            f"Django=={django.get_version()}",
            f"mysqlclient=={version('mysqlclient')}",
        ]
        tag = POST_OFFICE.split("==")[1]
        self.venv = harness.VAR_DIR / f"post-office-{tag}-venv"
        self.project = harness.VAR_DIR / "post-office-project"
        self.python = self.venv / "bin" / "python"

    def install(self) -> None:
        """Create the virtualenv once per version; the project and its database each time."""
        stamp = self.venv / "requirements.txt"
        wanted = "\n".join(self.requirements) + "\n"
        if not (stamp.exists() and stamp.read_text() == wanted):
            print(f"installing {', '.join(self.requirements)} into {self.venv}", flush=True)
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(self.venv)], check=True)
            subprocess.run(
                [str(self.python), "-m", "pip", "install", "--quiet", *self.requirements],
                check=True,
            )
            stamp.write_text(wanted)
        self.project.mkdir(parents=True, exist_ok=True)
        # Its own database on the same server, named after the benchmark's.
        base, name = harness.DATABASE_URL.rsplit("/", 1)
        url = f"{base}/{name}_post_office"
        harness.create_database(url)
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        (self.project / "po_settings.py").write_text(
            POST_OFFICE_SETTINGS.format(
                name=f"{name}_post_office",
                user=parts.username or "root",
                password=parts.password or "",
                host=parts.hostname or "127.0.0.1",
                port=str(parts.port or 3306),
            )
        )
        (self.project / "po_queue.py").write_text(QUEUE_SCRIPT)
        (self.project / "po_count.py").write_text(COUNT_SCRIPT)
        self.run("-m", "django", "migrate", "--verbosity", "0", sink_port=0)

    def env(self, sink_port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "VIRTUAL_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="po_settings",
            PYTHONPATH=str(self.project),
            SINK_PORT=str(sink_port),
            PYTHONUNBUFFERED="1",
        )
        return env

    def run(self, *args: str, sink_port: int) -> str:
        done = subprocess.run(
            [str(self.python), *args],
            cwd=self.project,
            env=self.env(sink_port),
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"post-office {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def queue(self, emails: list[str], message: dict) -> None:
        spec = self.project / "spec.json"
        spec.write_text(json.dumps({**message, "to": emails}))
        queued = int(
            self.run(str(self.project / "po_queue.py"), str(spec), sink_port=0).split()[-1]
        )
        assert queued == len(emails), f"post-office queued {queued} of {len(emails)}"

    def send(self, sink: harness.Sink, emails: list[str]) -> dict:
        """``send_queued_mail --processes 2``, timed from its start to the last email."""
        sink.handler.clear()
        lockfile = self.project / f"send-{uuid.uuid4().hex[:6]}"
        started = time.monotonic()
        with CPU() as cpu:
            self.run(
                "-m",
                "django",
                "send_queued_mail",
                "--processes",
                "2",
                "--lockfile",
                str(lockfile),
                sink_port=sink.port,
            )
        exited = time.monotonic()
        if not sink.handler.wait_for(len(emails), timeout=60):
            raise TimeoutError(f"post-office: {sink.handler.count()} of {len(emails)} emails")
        result = tally(sink, emails, started)
        result["command_s"] = exited - started
        result["sender_cpu_ms"] = cpu.sender / len(emails) * 1000
        result["database_cpu_ms"] = cpu.database / len(emails) * 1000
        sent = int(self.run(str(self.project / "po_count.py"), sink_port=0).split()[-1])
        result["marked_sent"] = sent
        return result
