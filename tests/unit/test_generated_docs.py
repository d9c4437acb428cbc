"""The event contract documents are generated from the code and must not drift from it."""

import json
from pathlib import Path

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
