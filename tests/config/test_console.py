"""A quiet console (issue #15): ``make run``'s three processes, as a developer sees them.

``python -m config.procfile`` (what ``make run`` runs) starts the Procfile's web,
worker and beat under honcho on a fresh embedded site; the test requests two missing
pages, lets the worker print a welcome email with the console backend, then sends
SIGINT as Ctrl-C does. Everything stops, the exit status is 0, and no line says
ERROR; each 404 is one INFO line; the email is not under a WARNING line.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import BASE_DIR
from tests.support.polling import wait_until
from tests.support.processes import wait_for_http
from tests.support.smtp import free_port

# The site's own servers and settings must not leak in: this is the embedded default.
LEVEL = re.compile(r": (DEBUG|INFO|WARNING|ERROR|CRITICAL)/\w+\]")
NOT_INHERITED = ("DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "DJANGO_SETTINGS_MODULE", "CI")


def site_env(var_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(
        LIGHTBLOG_VAR_DIR=str(var_dir),
        WEB_PORT=str(port),
        PYTHONUNBUFFERED="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True, timeout=120
    )


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_make_run_is_quiet_and_ctrl_c_stops_it_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = site_env(tmp_path, port)
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(
        env,
        "shell",
        "-c",
        "from django.utils import timezone; from reminders.services import reminder_create; "
        "reminder_create(email='console@example.com', text='Printed by the console backend.', "
        "date=timezone.now())",
    )
    log_path = tmp_path / "run.log"
    with open(log_path, "wb") as log:
        run = subprocess.Popen(
            [sys.executable, "-m", "config.procfile"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Its own group, as a terminal's foreground job: SIGINT goes to it alone
            # (honcho starts each process in a session of its own).
            start_new_session=True,
        )
        try:
            output = lambda: log_path.read_text(errors="replace")  # noqa: E731
            wait_for_http(f"http://127.0.0.1:{port}", timeout=90)
            wait_until(lambda: " ready." in output(), timeout=90, message="the worker consumes")
            wait_until(lambda: "beat: Starting..." in output(), timeout=90, message="beat")
            wait_until(
                lambda: "Printed by the console backend." in output(),
                timeout=60,
                message="the worker prints the email",
            )
            assert get(f"http://127.0.0.1:{port}/no-such-page/") == 404
            assert get(f"http://127.0.0.1:{port}/post/no-such-post/") == 404
            wait_until(lambda: "Not Found: /post/no-such-post/" in output(), timeout=10)
            os.killpg(run.pid, signal.SIGINT)
            returncode = run.wait(timeout=60)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
    text = log_path.read_text(errors="replace")

    assert returncode == 0
    assert "ERROR" not in text
    assert "Traceback" not in text
    for process in ("web.1", "worker.1", "beat.1"):
        assert f"{process} stopped" in text
    # Each 404 is one INFO line, from django.request; runserver's own line is dropped.
    assert text.count("no-such-page") == 1
    assert "INFO" in next(line for line in text.splitlines() if "Not Found: /no-such-page/" in line)
    # The console email is logged at INFO, not under a WARNING line.
    worker_lines = [line for line in text.splitlines() if "worker.1" in line]
    assert not [line for line in worker_lines if "WARNING" in line]
    subject = next(i for i, line in enumerate(worker_lines) if "Subject: Welcome!" in line)
    levels = [LEVEL.search(line) for line in worker_lines[: subject + 1]]
    assert [level[1] for level in levels if level][-1] == "INFO"


@pytest.mark.django_db
def test_an_expected_403_is_one_info_line_without_a_traceback(admin_client, caplog) -> None:
    from tests.reminders.factories import ReminderFactory

    reminder = ReminderFactory()
    reminder.__class__.objects.filter(pk=reminder.pk).update(status="sent")
    caplog.set_level(logging.INFO, logger="django.request")

    response = admin_client.post(f"/admin/reminders/reminder/{reminder.pk}/change/", {})

    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert (record.levelno, record.exc_info, record.getMessage()) == (
        logging.INFO,
        None,
        f"Forbidden (Permission denied): /admin/reminders/reminder/{reminder.pk}/change/",
    )


def test_a_server_error_still_logs_its_traceback(caplog) -> None:
    logger = logging.getLogger("django.request")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.error("Internal Server Error: /x/", exc_info=True, extra={"status_code": 500})
    logger.warning("Bad Request: /y/", extra={"status_code": 400})

    [error, bad] = [r for r in caplog.records if r.name == "django.request"]
    assert (error.levelno, error.exc_info[0]) == (logging.ERROR, RuntimeError)
    assert bad.levelno == logging.WARNING


def test_ctrl_c_in_a_terminal_reaches_the_processes_and_make_exits_0(tmp_path: Path) -> None:
    """Ctrl-C typed into a real terminal (a pseudo-terminal whose line discipline turns
    ^C into SIGINT for the foreground process group): GNU make would answer a SIGINT of
    its own with "Interrupt" and status 130, so config.procfile takes the terminal's
    foreground for itself and make exits 0 after it."""
    import fcntl
    import pty
    import select
    import termios

    (tmp_path / "Procfile").write_text(
        f"sleeper: {sys.executable} -c 'import time; time.sleep(60)'\n"
    )
    (tmp_path / "Makefile").write_text(f"run:\n\t{sys.executable} -m config.procfile\n")
    env = {**os.environ, "PYTHONPATH": str(BASE_DIR), "PYTHONUNBUFFERED": "1"}
    master, slave = pty.openpty()

    def controlling_terminal() -> None:  # in the child: a new session owning the pty
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    make = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=tmp_path,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=controlling_terminal,
    )
    os.close(slave)
    output = b""

    def started() -> bool:
        nonlocal output
        if select.select([master], [], [], 0.5)[0]:
            output += os.read(master, 65536)
        return b"sleeper.1 " in output and b"started" in output

    try:
        wait_until(started, timeout=60, message="honcho started the sleeper")
        os.write(master, b"\x03")  # ^C, as typed
        assert make.wait(timeout=30) == 0, output.decode(errors="replace")
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
        os.close(master)
