"""Fixtures for the browser and accessibility harness: Debian Chromium driven by Playwright.

No browser is ever downloaded: Playwright launches ``/usr/bin/chromium``. Without it the tests are
skipped locally and fail in CI (``CI`` set), where nothing may be skipped.
"""

import os
import shutil

import pytest
from playwright.sync_api import sync_playwright

from demo.world import load_demo_world

from .harness import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, Report, guard_network, log_in

REPORT = Report()


def pytest_terminal_summary(terminalreporter):
    if REPORT.lines:
        terminalreporter.write_sep("-", "browser and accessibility walk")
        for line in REPORT.lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="package")
def _playwright():
    if not os.path.exists(CHROMIUM):
        message = f"Debian chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; in CI the browser tests must run, not skip.", pytrace=False)
        pytest.skip(message)
    # Playwright's sync API keeps an asyncio loop running in this thread, which trips Django's
    # async-unsafe guard on every ORM call from the test. The standard pytest-django+playwright
    # answer is this variable; it is set only while the browser tests run, then restored.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(_playwright):
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # screenshots always show the latest run
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser, live_server):
    """Factory for isolated browser contexts (own cookies) that can only reach the live server."""
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(15_000)
        guard_network(context, live_server.url)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def demo_world(transactional_db, live_server, settings):
    """The demo as ``make run`` serves it: admins are not made to set up two-factor
    authentication first, so the walk reaches the member pages themselves
    (test_an_admin_without_mfa_is_walked_through_enrolment checks the enforced path)."""
    settings.ADMIN_MFA_REQUIRED = False
    return load_demo_world()


@pytest.fixture
def login():
    """``login(page, email)`` signs in through the real allauth form."""
    return log_in
