"""The assembled API declares its one error body for every operation."""

import re

ERRORS = {"400", "401", "403", "404", "409", "422"}


def test_every_operation_declares_the_error_answers(client, db):
    spec = client.get("/api/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    ]
    prefixes = {path.split("/")[2] for path, _method, _operation in operations}
    assert prefixes == {
        "directory",
        "demands",
        "challenges",
        "vocabulary",
        "contracts",
        "auctions",
        "booking",
        "vouchers",
        "indicators",
    }
    for path, method, operation in operations:
        responses = operation["responses"]
        assert set(responses) >= ERRORS, (method, path)
        for status in ERRORS:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)
    error = spec["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["code", "detail"]
    assert set(error["properties"]) == {"code", "detail", "errors"}


def test_paths_naming_no_operation_answer_the_error_body(client, db):
    """A non-numeric id does not match the operation's path converter: still JSON, not the HTML page."""
    for method in ("get", "post"):
        response = getattr(client, method)("/api/demands/abc/submit")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "Not Found", "errors": []}


def test_a_body_that_is_not_json_is_a_400_with_the_error_body(client, db):
    from kechuang.accounts.factories import UserFactory

    client.force_login(UserFactory())
    response = client.post("/api/demands/", b"\xff\xfe{", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_amounts_given_as_strings_carry_a_pattern(client, db):
    spec = client.get("/api/openapi.json").json()
    amount = spec["components"]["schemas"]["BidIn"]["properties"]["amount"]
    string = next(branch for branch in amount["anyOf"] if branch["type"] == "string")
    assert re.match(string["pattern"], "1200.50") and not re.match(string["pattern"], "")
