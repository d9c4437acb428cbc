"""Documents generated from the code: AsyncAPI per service and docs/events.md."""

import importlib
import json
import secrets
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from shared.areas import AreaRef
from shared.events import EVENT_TYPES, PUBLISHED_BY, EventData, envelope, typed_envelope
from shared.settings import Settings
from shared.subjects import event_subject

SERVICES = ("registry", "matching", "notify")
# The services are built only to read their AsyncAPI: nothing is signed with this key.
DOCS_SETTINGS = Settings(
    nats_url="nats://nats:4222",
    database_url="sqlite+aiosqlite://",
    secret_key=secrets.token_urlsafe(48),
)


def asyncapi_documents() -> dict[str, dict[str, Any]]:
    """One AsyncAPI document per service, plus `samen` combining them."""
    documents: dict[str, dict[str, Any]] = {}
    for service in SERVICES:
        bootstrap = importlib.import_module(f"services.{service}.bootstrap")
        runtime = bootstrap.build(DOCS_SETTINGS)
        spec = runtime.app.schema.to_specification().to_jsonable()
        _describe_verbs(spec, service)
        documents[service] = spec
    combined: dict[str, Any] = {
        "asyncapi": documents[SERVICES[0]]["asyncapi"],
        "info": {
            "title": "Samen",
            "version": documents[SERVICES[0]]["info"]["version"],
            "description": "The public event contract and request/reply verbs of all services.",
        },
        "defaultContentType": "application/json",
        "servers": documents[SERVICES[0]].get("servers", {}),
        "channels": {},
        "operations": {},
        "components": {"messages": {}, "schemas": {}},
    }
    for spec in documents.values():
        combined["channels"].update(spec.get("channels", {}))
        combined["operations"].update(spec.get("operations", {}))
        for part in ("messages", "schemas"):
            combined["components"][part].update(spec.get("components", {}).get(part, {}))
    documents["samen"] = combined
    return documents


def _schema(spec: dict[str, Any], service: str, model: Any) -> dict[str, Any]:
    """A reference to `model`'s JSON schema in the document's components (its parts too),
    named `<service>.<Model>`: two services' contracts may both have a `MemberExport`."""
    template = f"#/components/schemas/{service}.{{model}}"
    schema = TypeAdapter(model).json_schema(ref_template=template)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.update({f"{service}.{name}": part for name, part in schema.pop("$defs", {}).items()})
    if schema.get("type") != "object" or "properties" not in schema:
        return schema  # a plain value (a number, a mapping): written in place
    name = f"{service}.{schema.get('title') or getattr(model, '__name__', 'Result')}"
    schemas[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def _describe_verbs(spec: dict[str, Any], service: str) -> None:
    """What FastStream cannot see in a verb's raw handler: the request it takes and the
    reply it gives (`{"ok": true, "result": ...}` or `{"ok": false, "error": ...}`), from
    the verb's declaration in shared/contracts."""
    from shared.nats_accounts import verbs_of  # the contracts, loaded only for the docs

    messages = spec.setdefault("components", {}).setdefault("messages", {})
    for verb in verbs_of(service):
        request = messages.get(f"{verb.subject}:SubscribeMessage")
        operation = spec.get("operations", {}).get(verb.subject)
        if request is None or operation is None:
            continue
        request["payload"] = _schema(spec, service, verb.request)
        reply_name = f"{verb.subject}:Reply"
        messages[reply_name] = {
            "title": reply_name,
            "payload": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["ok", "result"],
                        "properties": {
                            "ok": {"const": True},
                            "result": _schema(spec, service, verb.result),
                        },
                    },
                    {"$ref": "#/components/schemas/RpcError"},
                ]
            },
        }
        spec["channels"][verb.subject]["messages"]["Reply"] = {
            "$ref": f"#/components/messages/{reply_name}"
        }
        operation["reply"] = {
            "address": {
                "description": "the caller's own inbox: the NATS reply subject of the request",
                "location": "$message.header#/reply_to",
            },
            "channel": {"$ref": f"#/channels/{verb.subject}"},
            "messages": [{"$ref": f"#/channels/{verb.subject}/messages/Reply"}],
        }
    spec["components"].setdefault("schemas", {})["RpcError"] = RPC_ERROR


RPC_ERROR: dict[str, Any] = {
    "title": "RpcError",
    "type": "object",
    "required": ["ok", "error"],
    "properties": {
        "ok": {"const": False},
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "invalid, not_found, forbidden, conflict, unavailable, "
                    "internal (shared/errors.py)",
                },
                "message": {"type": "string"},
                "details": {"description": "e.g. `errors` per field for invalid"},
            },
        },
    },
}


def write_asyncapi(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in asyncapi_documents().items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


EXAMPLE_AREA = AreaRef.from_code("BU03440305")


def _example(model: type[EventData]) -> dict[str, Any]:
    schema = model.model_json_schema()
    values: dict[str, Any] = {}
    for name in schema.get("required", []):
        prop = schema["properties"][name]
        kind = prop.get("type") or (prop.get("anyOf") or [{}])[0].get("type")
        if name.endswith("_id"):
            values[name] = f"0196f3a0-{name.replace('_', '')[:4]:0<4}-7000-8000-000000000001"
        elif name == "area_codes":
            values[name] = ["WK034403"]
        elif name == "categories":
            values[name] = ["groceries"]
        elif name == "category":
            values[name] = "groceries"
        elif name == "level":
            values[name] = "district"
        elif name == "roles":
            values[name] = ["resident"]
        elif name == "reason":
            values[name] = "no_candidates" if model.TYPE == "request.escalated" else "refused"
        elif name == "radius_km":
            values[name] = 3.0
        elif name in {"expires_at"}:
            values[name] = "2026-03-03T13:00:00Z"
        elif prop.get("format") == "date":
            values[name] = "2026-03-03"
        elif name == "round":
            values[name] = 1
        elif name in {"template"}:
            values[name] = "proposal"
        elif name == "channel":
            values[name] = "email"
        elif kind == "integer":
            values[name] = 1
        else:
            values[name] = "…"
    return model.model_validate(values).model_dump(mode="json")


def events_markdown() -> str:
    publisher = {m.TYPE: s for s, models in PUBLISHED_BY.items() for m in models}
    lines = [
        "# Events",
        "",
        "Every event travels in the same envelope on stream `SAMEN_EVENTS`, on the subject",
        "`samen.evt.<aggregate>.<event>.<municipality>.<district>.<neighbourhood>` (`_` where a",
        "level does not apply), published with `Nats-Msg-Id` = `event_id`. Events carry ids, area",
        "codes, categories and times only: never names, addresses, phone numbers, e-mail or free",
        "text. This page is generated from `shared/events.py` (`samen docs`); the AsyncAPI",
        "documents are in `docs/asyncapi/`.",
        "",
        "Member ids (`member_id`, `requester_id`, `volunteer_id`, `coordinator_ids`, `actor_id`",
        "and the like) are **pseudonymous personal data**: they name nobody, but the registry can",
        "tell whose they are, and everything kept under one id adds up to what that person did.",
        "Whoever consumes events (a service or a cooperative's plug-in) keeps them only as long as",
        "needed, shows them to nobody who may not see them, and on `member.erased` deletes or",
        "anonymises everything it holds about that member id (keeping only anonymous figures:",
        "category, area, times). `correlation_id` is a UUID or a ULID, never text a client chose.",
        "",
        "| event | published by | subject (example) |",
        "|---|---|---|",
    ]
    for event_type in EVENT_TYPES:
        lines.append(
            f"| [`{event_type}`](#{event_type.replace('.', '')}) | {publisher.get(event_type, '')} "
            f"| `{event_subject(event_type, EXAMPLE_AREA)}` |"
        )
    for event_type, model in EVENT_TYPES.items():
        schema = typed_envelope(model).model_json_schema()["$defs"][model.__name__]
        lines += ["", f"## {event_type}", ""]
        if model.__doc__:
            lines += [" ".join(model.__doc__.split()), ""]
        lines += ["| field | type | required |", "|---|---|---|"]
        for name, prop in schema["properties"].items():
            kind = prop.get("type") or " or ".join(
                p.get("type", p.get("$ref", "").rsplit("/", 1)[-1]) for p in prop.get("anyOf", [])
            )
            if not kind and "$ref" in prop:
                kind = prop["$ref"].rsplit("/", 1)[-1]
            if "enum" in prop:
                kind = " | ".join(f"`{v}`" for v in prop["enum"])
            required = "yes" if name in schema.get("required", []) else ""
            lines.append(f"| `{name}` | {kind} | {required} |")
        example = envelope(model.model_validate(_example(model)), source=publisher[event_type])
        shown = example.model_dump(mode="json")
        shown["event_id"] = "0196f3a0-0000-7000-8000-00000000abcd"
        shown["occurred_at"] = "2026-03-03T09:00:00Z"
        shown["area"] = EXAMPLE_AREA.model_dump()
        lines += ["", "```json", json.dumps(shown, indent=2, ensure_ascii=False), "```"]
    return "\n".join(lines) + "\n"
