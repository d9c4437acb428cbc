"""The published OpenAPI document, completed in one place rather than route by route: errors are
RFC 9457 problems under `application/problem+json`, the two ways of signing in are security
schemes (and each operation that needs a member says so), and every operation carries an
example made from its models' examples."""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from services.gateway.deps import api_principal, optional_principal
from services.gateway.problems import PROBLEM_JSON
from services.gateway.security import SESSION_COOKIE

PROBLEM_REF = "#/components/schemas/Problem"
SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "The `access_token` of `POST /api/v1/auth/login`.",
    },
    "cookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The browser's session; changes also need the `X-CSRF-Token` header.",
    },
}
SIGNED_IN: list[dict[str, list[str]]] = [{"bearer": []}, {"cookie": []}]
# FastAPI's own 422 body, replaced by the problem the gateway really sends.
FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")
# What a string of a format looks like, for examples made from a schema without one.
FORMAT_EXAMPLES = {
    "date-time": "2026-03-02T09:00:00Z",
    "date": "2026-03-02",
    "time": "09:00:00",
    "email": "anna@example.nl",
    "uuid": "5f0c6e2a-8d1b-4c3e-9a7f-2b4d6e8f0a1c",
    "uri": "https://example.nl/",
    "binary": "",
}


def depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return dependant.call is call or any(depends_on(d, call) for d in dependant.dependencies)


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every route in the document, with the prefixes of the routers it was included by (as
    FastAPI's own document generator walks them)."""
    for route in routing.iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.include_in_schema:
            yield route


def example_of(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """An instance of `schema`: its own example where it has one, else one built from its parts."""
    if "$ref" in schema:
        return example_of(components[schema["$ref"].rsplit("/", 1)[1]], components, depth)
    if schema.get("examples"):
        return schema["examples"][0]
    if "example" in schema:
        return schema["example"]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [s for s in schema.get(key, []) if s.get("type") != "null"]
        if options:
            return example_of(options[0], components, depth)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 4:  # a tree of models: the example stops at a sensible depth
            return {}
        properties = schema.get("properties", {})
        return {
            name: example_of(part, components, depth + 1)
            for name, part in properties.items()
            if name in schema.get("required", []) or depth < 2
        }
    if kind == "array":
        return [example_of(schema.get("items", {}), components, depth + 1)]
    if kind == "string":
        if "format" in schema:
            return FORMAT_EXAMPLES.get(schema["format"], "text")
        return "x" * max(1, schema.get("minLength", 0)) if schema.get("minLength") else "text"
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return schema.get("minimum", 1.0)
    if kind == "boolean":
        return True
    return None


# Answers that are not JSON: what one looks like (binary files have none to show).
TEXT_EXAMPLES = {
    "text/csv": "area,figure,value\nGM0344,requests,12\n",
    "text/event-stream": "event: request.matched\ndata: {}\n\n",
}


def add_examples(operation: dict[str, Any], components: dict[str, Any]) -> None:
    """An example for each parameter, the request body and each answer with a body, unless
    one is given."""
    for parameter in operation.get("parameters", []):
        if "example" not in parameter and "examples" not in parameter:
            parameter["example"] = example_of(parameter.get("schema", {}), components)
    bodies = [operation.get("requestBody", {})]
    bodies += [r for status, r in operation["responses"].items() if status.startswith("2")]
    for body in bodies:
        for media_type, content in body.get("content", {}).items():
            if "example" in content or "examples" in content:
                continue
            schema = content.get("schema")
            if schema and media_type.endswith("json"):
                content["example"] = example_of(schema, components)
            elif media_type.split(";")[0] in TEXT_EXAMPLES:
                content["example"] = TEXT_EXAMPLES[media_type.split(";")[0]]


def problems_as_problem_json(operation: dict[str, Any]) -> None:
    for status, response in operation["responses"].items():
        if status[0] in "45":
            response["content"] = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}


def samen_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is not None:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    for route in api_routes(app):
        for method in route.methods:
            operation = document["paths"][route.path_format].get(method.lower())
            if operation is None:
                continue
            problems_as_problem_json(operation)
            if "security" in operation:  # said by the route (it resolves who asks itself)
                pass
            elif depends_on(route.dependant, api_principal):
                operation["security"] = SIGNED_IN
            elif depends_on(route.dependant, optional_principal):
                operation["security"] = [{}, *SIGNED_IN]  # works signed in or not
            else:
                operation["security"] = []
            add_examples(operation, schemas)
    for name in FASTAPI_VALIDATION:
        schemas.pop(name, None)
    app.openapi_schema = document
    return document


def install(app: FastAPI) -> None:
    app.openapi = lambda: samen_openapi(app)  # type: ignore[method-assign]
