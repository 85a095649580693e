"""schemathesis (the OpenAPI fuzzer) against the whole ``/api/openapi.json``, with all its checks, as an
anonymous caller and as each demo role (through an API token holding every scope the role allows).

The small demo region (``kechuang/demo/tests/small.py``) is loaded once for the module, inside a transaction
rolled back at the end; each role's run is one test (one savepoint), whose operations schemathesis reports
as subtests. A failure names the check, the operation and a ``curl`` to reproduce.

Every role runs every check (``not_a_server_error``, ``status_code_conformance``,
``content_type_conformance``, ``response_headers_conformance``, ``response_schema_conformance``,
``negative_data_rejection``, ``positive_data_acceptance``, ``missing_required_header``,
``unsupported_method``, ``use_after_free``, ``ensure_resource_availability``, ``ignored_auth``…: the
default, ``checks=all``) on every operation. What differs is how many requests each role sends, so that the
module fits in a few minutes on two cores:

- ``anonymous`` and the operator ``ruian`` run schemathesis's **coverage** phase whole — every boundary
  value and every violation of every constraint (missing and extra fields, wrong types, strings too long,
  numbers out of range, unexpected methods), positive and negative — and the **fuzzing** phase (random
  requests, both modes). Request validation does not depend on who calls, so two callers — one stopped at
  authentication, one that reaches every service of a region — see all of it;
- the other roles run the **positive** cases of both phases (every boundary of valid input — empty and
  longest strings, smallest and largest numbers, each enum value — and random valid requests): what each
  role may do, and what the services refuse it, for every operation. Their negative cases would repeat
  the request validation the two callers above already cover.

All eight callers run in the normal suite, on SQLite and PostgreSQL alike (CI runs both): about four and
a half minutes of CPU per database, one process. ``SCHEMATHESIS_EXAMPLES`` (default 2) bounds the fuzzing
examples per operation; ``SCHEMATHESIS_FULL=1`` runs every role like the first two. The stateful phase
has nothing to run: the document declares no links between operations (django-ninja writes none).
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from kechuang.accounts import services
from kechuang.accounts.models import User
from kechuang.accounts.tokens import allowed_scopes
from kechuang.demo.generator import load_demo
from kechuang.demo.tests.small import SMALL

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "2"))
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
# A check left out for one operation, and why. A vocabulary entry's text is well formed by rules that depend
# on its kind (a synonym group needs two distinct terms, a term none), on Unicode folding (繁→简,
# full-width) and on the segmenter and the active entries (a stop word the segmenter would cut is
# refused): no JSON Schema says that, so a schema-valid text may answer 422 with the reason.
UNDESCRIBABLE = {"POST /api/vocabulary/": [positive_data_acceptance]}
# the callers that run the coverage phase whole (see the module's docstring)
FULL = set(ROLES) if os.environ.get("SCHEMATHESIS_FULL") else {"anonymous", "ruian"}


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
    schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
    if request.node.name.removeprefix("test_schemathesis_as_") not in FULL:
        schema.config.generation.update(modes=["positive"])
        schema.config.phases.coverage.unexpected_methods = set()
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
        excluded = UNDESCRIBABLE.get(case.operation.label, [])
        case.call_and_validate(headers=tokens[role], excluded_checks=excluded)

    test.__name__ = f"test_schemathesis_as_{role}"
    return test


for _role in ROLES:
    globals()[f"test_schemathesis_as_{_role}"] = as_role(_role)
