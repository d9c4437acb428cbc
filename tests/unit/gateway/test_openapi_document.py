"""The published OpenAPI document, built from the app without starting anything: a valid
OpenAPI 3.1 document whose errors are problems under application/problem+json, which names
both ways of signing in and which operations need them, with an example on every operation."""

from typing import Any

import pytest

from services.gateway.main import create_app
from services.gateway.problems import PROBLEM_JSON
from services.gateway.security import SESSION_COOKIE

# A dev dependency (pyproject.toml); an environment installed before it was added lacks it.
validate = pytest.importorskip("openapi_spec_validator").validate
SIGNED_IN: list[dict[str, list[str]]] = [{"bearer": []}, {"cookie": []}]
# Open to anyone: signing up and in, public look-ups, the aggregated reports, health.
PUBLIC = {
    "/api/v1/auth/register",
    "/api/v1/auth/login",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/password-reset/confirm",
    "/api/v1/auth/email-change/confirm",
    "/api/v1/areas/lookup",
    "/api/v1/cooperatives",
    "/api/v1/directory",
    "/api/v1/directory/hsds",
    "/api/v1/reports",
    "/api/v1/reports.csv",
    "/api/v1/reports/quarter",
    "/healthz",
    "/readyz",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_error_is_a_problem(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
        assert "401" in errors or path in {"/healthz", "/readyz"}, (method, path)
        for status, response in errors.items():
            assert response["content"] == {
                PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
            }, (method, path, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_both_ways_of_signing_in_are_named_and_required_where_needed(
    document: dict[str, Any],
) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["cookie"]["type"] == "apiKey"
    assert (schemes["cookie"]["in"], schemes["cookie"]["name"]) == ("cookie", SESSION_COOKIE)
    for method, path, operation in operations(document):
        if path in PUBLIC:
            assert operation["security"] == [], (method, path)
        elif path.startswith("/api/v1/proposals/"):  # a link from an e-mail works signed out
            assert operation["security"] == [{}, *SIGNED_IN], (method, path)
        else:
            assert operation["security"] == SIGNED_IN, (method, path)


def has_example(operation: dict[str, Any]) -> bool:
    contents = [*operation.get("requestBody", {}).get("content", {}).values()]
    for status, response in operation["responses"].items():
        if status.startswith("2"):
            contents += response.get("content", {}).values()
    return any("example" in c or "examples" in c for c in contents) or any(
        "example" in p for p in operation.get("parameters", [])
    )


def test_every_operation_has_an_example(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        nothing_to_show = not operation.get("parameters") and not operation.get("requestBody")
        if nothing_to_show and all(
            not r.get("content") for s, r in operation["responses"].items() if s.startswith("2")
        ):
            continue  # e.g. logging out: no input, 204
        assert has_example(operation), (method, path)
    body = document["paths"]["/api/v1/auth/login"]["post"]["requestBody"]
    assert body["content"]["application/json"]["example"]["email"]


def test_every_example_fits_its_schema(document: dict[str, Any]) -> None:
    schema_validator = pytest.importorskip("openapi_schema_validator")
    components = {"components": document["components"]}  # so that each $ref resolves
    for method, path, operation in operations(document):
        examples = [(p["name"], p["example"], p["schema"]) for p in operation.get("parameters", [])]
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += [(s, r) for s, r in operation["responses"].items() if s.startswith("2")]
        for where, body in bodies:
            for media_type, content in body.get("content", {}).items():
                if "example" in content and media_type.endswith("json"):
                    examples.append((where, content["example"], content["schema"]))
        for where, example, schema in examples:
            try:
                schema_validator.validate(
                    example, {**schema, **components}, cls=schema_validator.OAS31Validator
                )
            except Exception as error:
                raise AssertionError((method, path, where, str(error)[:300])) from None
