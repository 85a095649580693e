"""Shared pytest fixtures.

Browser tests use ``page`` (a fresh Playwright page in Debian's Chromium) with pytest-django's
``live_server``. Where ``/usr/bin/chromium`` is absent they are skipped — unless ``KECHUANG_REQUIRE_BROWSER``
is set (CI sets it), in which case they fail (and :mod:`kechuang.no_silent_skips` fails any other skip of a
``browser``, ``postgres_race`` or ``ranking_guard`` test that CI requires).
"""

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# kechuang.no_silent_skips: race tests, ranking guards and browser journeys fail instead of skipping
# where CI requires them; pytester runs small pytest sessions (the plugin's own test).
pytest_plugins = ["kechuang.no_silent_skips", "pytester"]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"

# Hypothesis checks properties, not speed: its per-example deadline and "too slow" health check are
# timings, and on a shared 2-core machine they failed sound tests at random (speed lives in benchmarks).
settings.register_profile("kechuang", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("kechuang")


@pytest.fixture(autouse=True)
def _interface_language():
    """Each test starts in the platform's default language: a test-client request in English leaves
    English active in the thread (LocaleMiddleware does not reset it), which changed later tests' text."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("KECHUANG_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still
    # synchronous, so Django's async-safety guard would refuse them without this.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A page in a fresh browser context (no cookies), Chinese first, 8 s timeouts."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(8000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def artifacts_dir() -> Path:
    """Where browser tests keep screenshots (``test-artifacts/``, ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
