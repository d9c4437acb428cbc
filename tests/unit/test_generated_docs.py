"""The event contract documents are generated from the code and must not drift from it."""

import json
from pathlib import Path

import jsonschema

from samen.docs import asyncapi_documents, events_markdown
from shared.events import EVENT_TYPES, PUBLISHED_BY

REPO = Path(__file__).resolve().parents[2]
HOW = "regenerate with `samen docs` and commit the result"


def test_every_event_type_has_a_publisher() -> None:
    published = {model.TYPE for models in PUBLISHED_BY.values() for model in models}
    assert published == set(EVENT_TYPES)


def test_the_committed_asyncapi_documents_match_the_code() -> None:
    for name, document in asyncapi_documents().items():
        path = REPO / "docs" / "asyncapi" / f"{name}.json"
        assert path.exists(), f"{path} is missing: {HOW}"
        committed = json.loads(path.read_text())
        assert committed == json.loads(json.dumps(document)), f"{path} is out of date: {HOW}"


def test_the_committed_event_list_matches_the_code() -> None:
    committed = (REPO / "docs" / "events.md").read_text()
    assert committed == events_markdown(), f"docs/events.md is out of date: {HOW}"


def test_the_asyncapi_documents_describe_every_event_with_its_payload() -> None:
    combined = asyncapi_documents()["samen"]
    addresses = {channel["address"] for channel in combined["channels"].values()}
    for event_type in EVENT_TYPES:
        assert f"samen.evt.{event_type}.*.*.*" in addresses
    schemas = combined["components"]["schemas"]
    assert "RequestCreated" in schemas
    assert "description" not in schemas["RequestCreated"]["properties"]  # no free text in events


def test_the_asyncapi_documents_are_valid_asyncapi_3() -> None:
    """Checked against the official AsyncAPI 3.0.0 JSON schema (tests/data/asyncapi)."""
    schema = json.loads((REPO / "tests" / "data" / "asyncapi" / "3.0.0.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    for name, document in asyncapi_documents().items():
        errors = [
            f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(document)
        ]
        assert not errors, f"{name}: {errors[:5]}"


def test_each_verb_documents_its_request_and_its_reply() -> None:
    """The verbs' payloads are their contract models, not FastStream's empty guess."""
    registry = asyncapi_documents()["registry"]
    request = registry["components"]["messages"]["samen.rpc.registry.member.get:SubscribeMessage"]
    assert request["payload"] == {"$ref": "#/components/schemas/registry.MemberQuery"}
    reply = registry["operations"]["samen.rpc.registry.member.get"]["reply"]
    [message] = reply["messages"]
    assert message["$ref"].endswith("/messages/Reply")
    answer = registry["components"]["messages"]["samen.rpc.registry.member.get:Reply"]
    ok, error = answer["payload"]["oneOf"]
    assert ok["properties"]["result"] == {"$ref": "#/components/schemas/registry.MemberInfo"}
    assert error == {"$ref": "#/components/schemas/RpcError"}
    assert "EmptyPayload" not in json.dumps(registry["components"]["messages"])
