"""The no-silent-skips plugin (:mod:`kechuang.no_silent_skips`), run on a small example session."""

import pytest

EXAMPLE = """
import pytest


@pytest.mark.postgres_race
def test_race():
    pytest.skip("races need real concurrent connections (PostgreSQL)")


@pytest.mark.postgres
@pytest.mark.skipif(True, reason="needs PostgreSQL")
def test_postgres_only():
    pass


@pytest.mark.ranking_guard
@pytest.mark.skipif(True, reason="the CSL sets live in ../shared/data/csl")
def test_guard():
    pass


@pytest.mark.browser
def test_journey():
    pytest.skip("Chromium not found")


def test_optional():
    pytest.skip("an ordinary skip")


@pytest.mark.postgres_race
@pytest.mark.xfail(reason="known")
def test_expected_failure():
    assert False


@pytest.mark.postgres_race
def test_race_that_runs():
    pass
"""


@pytest.fixture
def session(pytester, monkeypatch):
    monkeypatch.delenv("KECHUANG_REQUIRE_POSTGRES", raising=False)
    monkeypatch.delenv("KECHUANG_REQUIRE_BROWSER", raising=False)
    monkeypatch.setenv(
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1"
    )  # only the plugin under test: a fast run
    pytester.makepyfile(test_example=EXAMPLE)

    def run(**environ):
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        return pytester.runpytest_subprocess("-p", "kechuang.no_silent_skips")

    return run


def test_on_a_developer_machine_only_the_ranking_guard_may_not_skip(session):
    result = session()
    # A skip decided at set-up (skipif) fails as an error, one decided in the test as a failure.
    result.assert_outcomes(passed=1, skipped=4, errors=1, xfailed=1)
    text = result.stdout.str()
    assert "ERROR at setup of test_guard" in text
    assert (
        "a ranking_guard test may not skip (ranking guards always run); it skipped: "
        "the CSL sets live in ../shared/data/csl"
    ) in text
    assert result.ret != 0


def test_on_the_postgresql_pass_a_skipped_race_or_postgres_test_fails(session):
    result = session(KECHUANG_REQUIRE_POSTGRES="1")
    result.assert_outcomes(passed=1, skipped=2, failed=1, errors=2, xfailed=1)
    text = result.stdout.str()
    assert (
        "a postgres_race test may not skip (KECHUANG_REQUIRE_POSTGRES is set); it skipped: "
        "races need real concurrent connections (PostgreSQL)"
    ) in text
    assert "ERROR at setup of test_postgres_only" in text


def test_with_the_browser_required_a_skipped_journey_fails(session):
    result = session(KECHUANG_REQUIRE_POSTGRES="1", KECHUANG_REQUIRE_BROWSER="1")
    result.assert_outcomes(passed=1, skipped=1, failed=2, errors=2, xfailed=1)
    text = result.stdout.str()
    assert "a browser test may not skip (KECHUANG_REQUIRE_BROWSER is set)" in text
    assert "test_optional" not in text  # an ordinary skip stays a skip
