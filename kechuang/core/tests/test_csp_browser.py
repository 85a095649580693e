"""The Content-Security-Policy holds on the main pages in Chromium: no script, style or other resource is
refused (the templates carry no inline script or style; charts, htmx and the menu run from static files)."""

import pytest

from kechuang.accounts.tests.scenario import PASSWORD, build_world, person
from kechuang.demands.factories import DemandFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' +
                              (e.sourceFile || '') + ':' + e.lineNumber);
});
"""

ANONYMOUS = [
    "/",
    "/organizations/",
    "/experts/",
    "/search/?q=电机",
    "/demands/",
    "/challenges/",
    "/accounts/login/",
    "/accounts/password-reset/",
]
OPERATOR = [
    "/manage/",
    "/manage/review/",
    "/demands/console/",
    "/manage/vocabulary/",
    "/manage/search-index/",
    "/demands/engagements/",
    "/admin/",
]


def violations_on(page, base, paths) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        console = []
        page.on(
            "console",
            lambda m, sink=console: (
                sink.append(m.text) if "Content Security Policy" in m.text else None
            ),
        )
        response = page.goto(f"{base}{path}")
        assert response.status < 400, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("networkidle")
        recorded = page.evaluate("window.__cspViolations || []")
        if recorded or console:
            found[path] = recorded + console
    return found


def test_main_pages_raise_no_csp_violation(page, live_server):
    world = build_world()
    DemandFactory(organization=world.org_a, region=world.ruian)
    root = person("root", is_superuser=True, is_staff=True)
    page.add_init_script(RECORD_VIOLATIONS)
    base = live_server.url
    assert violations_on(page, base, ANONYMOUS) == {}
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", root.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()
    assert violations_on(page, base, OPERATOR) == {}
