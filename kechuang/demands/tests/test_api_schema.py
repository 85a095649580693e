"""API tests generated from the OpenAPI schema (schemathesis is not installed; this walks
``/api/openapi.json`` itself): every operation under ``/api/demands/`` is called as each role with inputs
built from its schema — valid ones and malformed ones — and must never answer 5xx."""

import itertools
import json

import pytest

from kechuang.demands import services

PREFIX = "/api/demands/"


def resolve(schema: dict, spec: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def example(schema: dict, spec: dict, ids: dict) -> object:
    """A valid value for ``schema`` (first choices, real ids for *_id fields)."""
    schema = resolve(schema, spec)
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if resolve(s, spec).get("type") != "null"]
            return example(options[0], spec, ids)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: ids.get(name, example(sub, spec, ids))
            for name, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [example(schema.get("items", {}), spec, ids)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return "1000.00" if schema.get("format") != "float" else 1.0
    if kind == "boolean":
        return True
    if schema.get("format") == "date-time":
        return "2026-12-01T10:00:00+08:00"
    if schema.get("format") == "date":
        return "2026-12-31"
    return "永磁同步电机无传感器控制"


def malformed(valid: object) -> list[object]:
    """Broken variants of a valid body: wrong types, missing fields, NUL bytes, huge and negative numbers."""
    variants: list[object] = [None, [], "not an object", {}]
    if isinstance(valid, dict):
        for name, value in valid.items():
            for bad in ("x", -1, 10**30, "\x00", "字" * 5000, None, {"a": 1}, [1, 2]):
                if bad != value:
                    variants.append({**valid, name: bad})
    return variants


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(spec: dict):
    for path, methods in spec["paths"].items():
        if path.startswith(PREFIX):
            for method, operation in methods.items():
                yield path, method, operation


def test_schema_lists_the_demand_endpoints(spec):
    paths = {p for p, _m, _o in operations(spec)}
    assert "/api/demands/" in paths
    assert "/api/demands/{demand_id}/matches" in paths
    assert "/api/demands/engagements/{engagement_id}/accept" in paths
    assert len(list(operations(spec))) >= 18


def call(client, method: str, url: str, body: object | None, raw: str | None = None):
    kwargs = {}
    if body is not None or raw is not None:
        kwargs = {
            "data": raw if raw is not None else json.dumps(body),
            "content_type": "application/json",
        }
    return getattr(client, method)(url, **kwargs)


def test_no_operation_answers_5xx(world, published_demand, spec, client):
    draft = services.save_demand(
        world.owner, world.enterprise, services.DemandInput(title="草稿需求", description="描述")
    )
    engagement = services.request_engagement(
        world.owner, published_demand, "expert", world.expert.pk
    )
    ids = {"organization_id": world.enterprise.pk, "match_id": world.expert.pk}
    path_values = {
        "demand_id": [published_demand.pk, draft.pk, 0, 2**63 - 1],
        "engagement_id": [engagement.pk, 0, 2**63 - 1],
    }
    users = [None, world.owner, world.expert_user, world.operator, world.outsider]
    calls = 0
    failures = []
    for user, (path, method, operation) in itertools.product(users, operations(spec)):
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        query_params = [p for p in operation.get("parameters", []) if p["in"] == "query"]
        body_schema = (
            operation.get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema")
        )
        valid = example(body_schema, spec, ids) if body_schema else None
        bodies = [valid, *malformed(valid)] if body_schema else [None, None]
        # every path value with the valid body; every malformed body with the real ids only
        combos = [
            (values, [valid]) for values in itertools.product(*(path_values[n] for n in names))
        ]
        combos.append((tuple(path_values[n][0] for n in names), bodies[1:]))
        for values, chosen in combos:
            url = path
            for name, value in zip(names, values, strict=True):
                url = url.replace("{" + name + "}", str(value))
            queries = [""] + [
                f"?{p['name']}={bad}"
                for p in query_params
                for bad in ("x", "-5", "99999999999", "own")
            ]
            for query in queries:
                for body in chosen if method != "get" else [None]:
                    response = call(client, method, url + query, body)
                    calls += 1
                    if response.status_code >= 500:
                        failures.append(
                            (
                                user and user.username,
                                method,
                                url + query,
                                body,
                                response.status_code,
                            )
                        )
            if method != "get":
                response = call(client, method, url, None, raw="{not json")
                calls += 1
                if response.status_code >= 500:
                    failures.append((user and user.username, method, url, "{not json", 500))
    print("API calls:", calls)
    assert calls > 500
    assert failures == []
