"""Real processes for the fault tests and the benchmarks: Celery worker, beat, gunicorn.

Each runs in its own process group (a prefork worker's children included), writes
its output to a log file, and is stopped with SIGTERM, then SIGKILL after a grace
period, always from a ``finally`` or a fixture's teardown. On Linux each also gets
``PR_SET_PDEATHSIG``: if the test process itself is killed, the kernel kills the
child, so no worker outlives a crashed test run.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

from tests.support.polling import wait_until

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    os.setsid()  # own process group: signals reach prefork children too
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class ManagedProcess:
    """A subprocess in its own process group, its output in ``log_path``."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: dict[str, str],
        log_dir: Path,
        cwd: Path = BASE_DIR,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.cwd = cwd
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}-{uuid.uuid4().hex[:8]}.log"
        self.popen: subprocess.Popen | None = None
        self._log_file = None

    def start(self) -> ManagedProcess:
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115  (closed in stop())
        self.popen = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_for_log(self, text: str, timeout: float = 60) -> None:
        def seen() -> bool:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.tail()}")
            return text in self.log()

        try:
            wait_until(seen, timeout=timeout, message=f"{self.name}: {text!r} in its log")
        except TimeoutError as error:
            raise TimeoutError(f"{error}\n{self.tail()}") from None

    def signal_group(self, signum: int) -> None:
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)

    def kill(self) -> None:
        """SIGKILL the whole group at once: the worker and its pool die mid-task."""
        self.signal_group(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait(timeout=30)

    def stop(self, grace: float = 20) -> int | None:
        """SIGTERM (warm shutdown), then SIGKILL whatever is left after ``grace`` seconds."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace)
        # The group may outlive its leader (pool children): kill what is left.
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return self.popen.returncode


@contextlib.contextmanager
def running(process: ManagedProcess) -> Iterator[ManagedProcess]:
    """Start ``process`` and stop it on the way out, whatever happened."""
    try:
        yield process.start()
    finally:
        process.stop()


# The three processes of the site
# ------------------------------------------------------------------------------
def celery_worker(
    *,
    env: dict[str, str],
    log_dir: Path,
    concurrency: int = 2,
    queues: str | None = None,
    name: str = "worker",
) -> ManagedProcess:
    """``celery -A config worker --pool prefork --concurrency 2``, as operators run it."""
    node = f"{name}-{uuid.uuid4().hex[:6]}@%h"
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "INFO",
        "--hostname",
        node,
    ]
    if queues:
        argv += ["--queues", queues]
    return ManagedProcess(name, argv, env=env, log_dir=log_dir)


def celery_beat(*, env: dict[str, str], log_dir: Path, name: str = "beat") -> ManagedProcess:
    """``celery -A config beat`` on the database scheduler, checking its schedule every second."""
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "beat",
        "--loglevel",
        "INFO",
        "--max-interval",
        "1",
        "--pidfile=",
    ]
    return ManagedProcess(name, argv, env=env, log_dir=log_dir)


def gunicorn(
    *,
    env: dict[str, str],
    log_dir: Path,
    port: int,
    workers: int = 2,
    threads: int = 1,
    timeout: int = 120,
) -> ManagedProcess:
    """``gunicorn config.wsgi`` on ``127.0.0.1:port``, as in production; a worker
    silent for ``timeout`` seconds is killed (gunicorn's own default is 30)."""
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        str(timeout),
        "--backlog",
        "2048",
        # One control socket path per user by default: parallel test servers would
        # take it from each other.
        "--no-control-socket",
    ]
    return ManagedProcess("gunicorn", argv, env=env, log_dir=log_dir)


def runserver(*, env: dict[str, str], log_dir: Path, port: int) -> ManagedProcess:
    """``manage.py runserver 127.0.0.1:port``, as ``make run`` serves the site.

    Its WSGI layer (``wsgiref``) is stricter than gunicorn's and the test client: a
    header value that is not exactly a ``str`` is a 500 there only.
    """
    argv = [
        sys.executable,
        str(BASE_DIR / "manage.py"),
        "runserver",
        f"127.0.0.1:{port}",
        "--noreload",
    ]
    return ManagedProcess("runserver", argv, env=env, log_dir=log_dir)


WORKER_READY = " ready."
BEAT_READY = "beat: Starting..."


def wait_for_http(
    base_url: str, timeout: float = 60, process: ManagedProcess | None = None
) -> None:
    """Wait until the server answers any HTTP response at all (a 404 counts)."""

    def answers() -> bool:
        if process is not None and not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        try:
            with urllib.request.urlopen(base_url + "/", timeout=5):
                return True
        except urllib.error.HTTPError:
            return True
        except (TimeoutError, urllib.error.URLError, ConnectionError):
            return False

    wait_until(answers, timeout=timeout, message=f"HTTP answers on {base_url}")
