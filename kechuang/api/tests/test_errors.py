"""The assembled API declares its one error body for every operation."""

ERRORS = {"401", "403", "404", "409", "422"}


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
