"""A pytest plugin (loaded by the repository's ``conftest.py``): the tests CI relies on may not skip
silently.

A test that skips although it must run is reported as failed, with the skip's reason:

- ``ranking_guard`` tests (the ranking-quality floors) always: their data ships with the tests, so a
  skip can only mean something broke;
- ``postgres_race`` and ``postgres`` tests when ``KECHUANG_REQUIRE_POSTGRES`` is set (``.ci/run`` sets it
  for its PostgreSQL pass): on that pass a race test that skips did not race anything;
- ``browser`` tests when ``KECHUANG_REQUIRE_BROWSER`` is set (``.ci/run`` sets it): a journey that
  skips was not driven.

Expected failures (``xfail``) and tests deselected with ``-m`` are left alone.
"""

import os

import pytest

MARKERS = {
    "ranking_guard": "a ranking-quality floor on the shipped evaluation slice (never skipped)",
    "postgres": "needs PostgreSQL (skipped on SQLite; fails if skipped under KECHUANG_REQUIRE_POSTGRES)",
    "postgres_race": "races real PostgreSQL connections (skipped on SQLite; fails if skipped under "
    "KECHUANG_REQUIRE_POSTGRES)",
    "browser": "drives Debian's Chromium through Playwright (fails if skipped under "
    "KECHUANG_REQUIRE_BROWSER)",
}


def required_markers(environ=os.environ) -> dict[str, str]:
    """The markers whose tests may not skip in this run, each with why."""
    required = {"ranking_guard": "ranking guards always run"}
    if environ.get("KECHUANG_REQUIRE_POSTGRES"):
        why = "KECHUANG_REQUIRE_POSTGRES is set"
        required.update(postgres=why, postgres_race=why)
    if environ.get("KECHUANG_REQUIRE_BROWSER"):
        required["browser"] = "KECHUANG_REQUIRE_BROWSER is set"
    return required


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    required = required_markers()
    marker = next((m.name for m in item.iter_markers() if m.name in required), None)
    if marker is None:
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    report.outcome = "failed"
    report.longrepr = f"a {marker} test may not skip ({required[marker]}); it skipped: {reason}"
