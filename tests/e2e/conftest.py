"""Browser fixtures: headless Debian Chromium driven by Playwright, against the real app.

The app under test is pytest-django's live server on 127.0.0.1 (a free port), with the
``celery_worker`` and ``smtp_server`` fixtures of ``tests/conftest.py`` when a path sends
mail. Chromium is ``/usr/bin/chromium`` from Debian (``apt-get install chromium``);
``playwright install`` is never used, it downloads a browser.

Without Chromium the browser tests skip and say so; with ``CI`` set they fail instead.

Playwright's sync API keeps an asyncio loop marked as running in the main thread between
its calls, for as long as Playwright is started. So:

* Playwright is started per test module here (not per session, as pytest-playwright's own
  ``playwright`` fixture does) and stopped at the module's end, which clears the mark:
  the rest of the suite, run after these tests in the same process, never sees it.
* Inside a browser test, Django would refuse ORM calls made in the main thread (the
  test's own look-ups, and the database flush after it) with SynchronousOnlyOperation,
  although nothing runs on that loop but Playwright's driver. DJANGO_ALLOW_ASYNC_UNSAFE
  lifts the check while Playwright runs, that is during the browser tests only.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.db import connections
from django.db.models import Q
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Response,
    expect,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

from blog.permissions import ROLE_PERMISSIONS
from config.celery import app as celery_app
from tests.conftest import IN_CI

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
# The rest keeps a test run quiet and offline: no GPU, no update, sync or
# background requests to Google.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Long enough for a cold page on a loaded CI machine; a hung page still fails fast.
TIMEOUT_MS = 15_000

_SCREENSHOTS_KEY = pytest.StashKey[Path]()


def require_chromium() -> None:
    """Skip when Chromium is missing in a local run; fail when it is missing in CI."""
    if CHROMIUM.exists():
        return
    message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"{message}; CI is set: browser tests never skip")
    pytest.skip(f"{message}: browser tests skipped")


# THE APP
# ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """pytest-django's live server, bound to 127.0.0.1 on a free port (not ``localhost``)."""
    server = LiveServer("127.0.0.1:0")
    yield server
    server.stop()


# THE BROWSER
# ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser(browser_type_launch_args: dict[str, Any]) -> Iterator[Browser]:
    """Headless Debian Chromium, one per test module.

    ``launch()`` gives Chromium a fresh temporary profile (user-data dir) each time and
    deletes it on close, so no cookie or cache survives from one module to the next.
    pytest-playwright's ``--headed`` and ``--slowmo`` options still apply.
    """
    require_chromium()
    # Set for exactly as long as Playwright runs, so it also covers the database flush
    # after each test (see the module docstring): the loop Playwright leaves marked as
    # running in the main thread is idle, it never runs Django code.
    with pytest.MonkeyPatch.context() as env, sync_playwright() as playwright:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            **browser_type_launch_args,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()
        # The database connections the browser tests used belong to Playwright's
        # async context (see _rows_of_data_migrations); close them while it exists.
        connections.close_all()


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh browser session (no cookies) on the live server, desktop-sized."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


# SCREENSHOTS AND PAGE CHECKS
# ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig: pytest.Config) -> Path:
    """``<LIGHTBLOG_VAR_DIR>/screenshots``, emptied once per session; printed at the end."""
    folder = Path(settings.VAR_DIR) / "screenshots"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    pytestconfig.stash[_SCREENSHOTS_KEY] = folder
    return folder


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    folder = config.stash.get(_SCREENSHOTS_KEY, None)
    if folder is not None:
        count = len(list(folder.rglob("*.png")))
        terminalreporter.write_line(f"lightblog e2e: {count} screenshots in {folder}")


# Elements reaching past the right edge of the viewport, to name the culprit of a
# horizontal scroll in the failure message.
_OVERFLOWING_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1) {
      const cls = typeof el.className === 'string' && el.className
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      found.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls}`
                 + ` (right edge ${Math.round(box.right)}px)`);
    }
  }
  return found.slice(0, 8);
}
"""


# Every Content-Security-Policy violation a page reports, logged as a console error
# (Chromium also logs its own "Refused to ..." line; either is caught).
CSP_VIOLATION = "CSP violation:"
_CSP_LISTENER_JS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked `
                + `${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`);
});
"""


# axe-core (npm, vendored in tests/e2e/vendor/axe-core/: no download at run time) checks
# each page for accessibility; serious and critical violations fail the path.
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
AXE_FAILING_IMPACTS = ("serious", "critical")
_AXE_RUN_JS = """
async (impacts) => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => impacts.includes(v.impact))
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.slice(0, 4)
      .map((n) => n.target.join(" ")).join(", ")}`);
}
"""


def axe_violations(page: Page) -> list[str]:
    """The serious and critical axe-core violations of the page as it is now.

    Loaded and run through the DevTools protocol, which the page's
    Content-Security-Policy does not govern. Some of axe's checks add a <style> of
    their own, which the policy refuses: ``PageChecker`` does not count those."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    violations = page.evaluate(_AXE_RUN_JS, list(AXE_FAILING_IMPACTS))
    # The page reports a refused style a moment later: let those reports arrive.
    page.wait_for_timeout(100)
    page.evaluate("() => 0")
    return violations


@dataclass
class PageChecker:
    """Checks that a page looks right and saves what it looks like.

    ``check_page(page, "home")`` asserts: a non-empty title, exactly one ``h1``, a
    viewport meta tag (without it phones render a shrunken desktop page), no static
    file (CSS, script, image, font) that failed to load, no script error, no
    Content-Security-Policy violation (a blocked script, style, image, frame or form
    target), no serious or critical accessibility violation (axe-core), and no
    horizontal scroll at a 390-pixel phone width. It saves full-page
    screenshots,
    ``NN-home-desktop.png`` (1280 wide) and ``NN-home-phone.png`` (390 wide), in this
    test's folder under the session's screenshot folder.
    """

    folder: Path
    broken: list[str] = field(default_factory=list)
    count: int = 0
    checking_accessibility: bool = False

    def watch(self, page: Page) -> None:
        """Record failed static files and script errors of ``page`` from now on."""

        def on_response(response: Response) -> None:
            if response.status >= 400 and response.request.resource_type in {
                "stylesheet",
                "script",
                "image",
                "font",
            }:
                self.broken.append(f"{response.status} {response.url}")

        def on_console(message: ConsoleMessage) -> None:
            if self.checking_accessibility:
                return  # axe-core's own styles, refused by the policy
            if message.type == "error" and (
                CSP_VIOLATION in message.text or "Content Security Policy" in message.text
            ):
                self.broken.append(message.text)

        page.on("response", on_response)
        page.on("pageerror", lambda error: self.broken.append(f"script error: {error}"))
        page.on("console", on_console)
        page.add_init_script(_CSP_LISTENER_JS)

    def __call__(self, page: Page, name: str, *, h1_count: int = 1) -> None:
        page.wait_for_load_state("load")
        where = f"{name} ({page.url})"
        title = page.title()
        assert title.strip(), f"{where}: empty <title>"
        found_h1 = page.locator("h1").count()
        assert found_h1 == h1_count, f"{where}: {found_h1} <h1> elements, expected {h1_count}"
        viewport_meta = page.locator('meta[name="viewport"]')
        assert viewport_meta.count() == 1, f"{where}: no <meta name=viewport>"
        assert "width=device-width" in (viewport_meta.get_attribute("content") or ""), (
            f"{where}: the viewport meta tag lacks width=device-width"
        )
        assert not self.broken, f"{where}: {self.broken}"
        self.checking_accessibility = True
        try:
            violations = axe_violations(page)
        finally:
            self.checking_accessibility = False
        assert not violations, f"{where}: accessibility (axe-core): {violations}"

        self.count += 1
        stem = f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}"
        self.folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=self.folder / f"{stem}-desktop.png", full_page=True)
        try:
            page.set_viewport_size(PHONE)
            scroll_width, inner_width = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
            page.screenshot(path=self.folder / f"{stem}-phone.png", full_page=True)
            assert scroll_width <= inner_width, (
                f"{where}: horizontal scroll at {PHONE['width']}px "
                f"(scrollWidth {scroll_width} > innerWidth {inner_width}); "
                f"overflowing: {page.evaluate(_OVERFLOWING_JS)}"
            )
        finally:
            page.set_viewport_size(DESKTOP)


@pytest.fixture
def check_page(page: Page, screenshot_dir: Path, request: pytest.FixtureRequest) -> PageChecker:
    module = Path(request.node.path).stem
    checker = PageChecker(folder=screenshot_dir / f"{module}.{request.node.originalname}")
    checker.watch(page)
    return checker


# WHAT EVERY PATH DOES
# ------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _rows_of_data_migrations(transactional_db: None) -> None:
    """Each browser test starts with what the data migrations made: roles and site name.

    The live server and the worker need a transactional database, and its flush after
    each test deletes those rows too. Django's serialized rollback cannot bring them
    back here: with Playwright's loop marked as running, Django hands the test a
    connection of its own (asgiref keeps database connections per async context), not
    the one that serialized the database.
    """
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [name.split(".", 1) for name in names]
        permissions = Permission.objects.filter(
            reduce(or_, (Q(content_type__app_label=app, codename=code) for app, code in wanted))
        )
        assert len(permissions) == len(wanted), (role, names)
        group.permissions.set(permissions)
    Site.objects.filter(pk=settings.SITE_ID).update(name="Lightblog")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """allauth counts logins per address in the cache, and every browser is 127.0.0.1."""
    cache.clear()
    yield
    cache.clear()


def log_in(page: Page, login: str, password: str) -> None:
    """Sign in through allauth's login form, as a person would, and wait to be in."""
    page.goto("/accounts/login/")
    page.get_by_label("Login:").fill(login)
    page.get_by_label("Password:").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(log_out_button(page)).to_be_visible()


def log_out_button(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Site").get_by_role("button", name="Log out")


def worker_is_quiet(worker: Any) -> bool:
    """No message left in the reminders queue and none held by ``worker`` (the
    ``celery_worker`` fixture).

    Lets a test say "exactly once" only after everything that could send a second
    email has run: a message in the broker, reserved by the worker or waiting for its
    ETA would be counted here.
    """
    with celery_app.connection_for_read() as connection:
        try:
            waiting = connection.default_channel.queue_declare(
                queue=settings.REMINDERS_QUEUE, passive=True
            ).message_count
        except connection.channel_errors:
            # On Redis an empty queue does not exist: nothing is waiting.
            waiting = 0
    # Addressed to the one worker, so each question returns as soon as it answers.
    inspect = celery_app.control.inspect(timeout=5, destination=[worker.hostname])
    held = [inspect.active(), inspect.reserved(), inspect.scheduled()]
    if any(reply is None for reply in held):
        return False  # the worker did not answer: not known to be idle
    return waiting == 0 and not any(tasks for reply in held for tasks in reply.values())
