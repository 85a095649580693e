"""schemathesis (the OpenAPI fuzzer) against the whole ``/api/openapi.json``, with all its checks, as an
anonymous caller and as each demo role (through an API token holding every scope the role allows).

The demo federation (small counts) is loaded once for the module, inside a transaction rolled back at the
end; each role's run is one test (one savepoint), whose operations schemathesis reports as subtests. The
number of generated examples per operation is bounded (``SCHEMATHESIS_EXAMPLES``, default 4) so that the
suite stays fast; CI may raise it. A failure names the check, the operation and a ``curl`` to reproduce.

Opt-in for now (``KECHUANG_SCHEMATHESIS=1``): on 2026-12-06 the anonymous run passed, the enterprise run still
reported findings (listed in the README's *API* section) and the other roles had not been run to the end;
once they pass, drop the skip so that CI runs it.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings

from kechuang.accounts import services
from kechuang.accounts.models import User
from kechuang.accounts.tokens import allowed_scopes
from kechuang.demo.generator import load_demo
from kechuang.demo.tests.small import SMALL

pytestmark = pytest.mark.skipif(
    not os.environ.get("KECHUANG_SCHEMATHESIS"),
    reason="opt-in until the findings listed in the README's API section are fixed: "
    "KECHUANG_SCHEMATHESIS=1",
)

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "3"))
# anonymous, then the demo's log-ins: superuser, operator, enterprise and institution members, expert,
# voucher provider and auditor
ROLES = [
    "anonymous",
    "admin",
    "ruian",
    "enterprise",
    "institution",
    "expert",
    "provider",
    "auditor",
]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo(counts=SMALL)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def wsgi_app():
    """Django's WSGI application, called in this thread on the test's connection: like the test client,
    it must not close the connection at the end of each request (it would end the test's transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(demo, db) -> dict[str, dict]:
    """The headers each role calls with: a bearer token holding every scope the role allows."""
    headers = {"anonymous": {}}
    for user in User.objects.filter(username__in=ROLES):
        _token, secret = services.create_api_token(
            user, name="schemathesis", scopes=allowed_scopes(user)
        )
        headers[user.username] = {"Authorization": f"Bearer {secret}"}
    assert set(headers) == set(ROLES)
    return headers


@pytest.fixture
def api_schema(request, demo, db, wsgi_app):
    # schemathesis 4.32's pytest integration names each operation's subtest through the node's private
    # ``_nodeid``, which pytest 9 no longer has; give it the public id.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    schema.config.generation.update(max_examples=EXAMPLES, deterministic=True)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


def as_role(role: str):
    @schema.parametrize()
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def test(case, tokens):
        case.call_and_validate(headers=tokens[role])

    test.__name__ = f"test_schemathesis_as_{role}"
    return test


for _role in ROLES:
    globals()[f"test_schemathesis_as_{_role}"] = as_role(_role)
