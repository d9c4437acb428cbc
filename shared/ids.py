"""Identifiers: UUIDv7, so ids sort by creation time and index well."""

import re

import uuid_utils

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
# Crockford's base32 (no I, L, O, U); the first character at most 7, or 128 bits overflow.
_ULID = re.compile(r"[0-7][0-9a-hjkmnp-tv-z]{25}", re.IGNORECASE)


def new_id() -> str:
    return str(uuid_utils.uuid7())


def is_id(value: str | None) -> bool:
    """Whether `value` is a UUID (8-4-4-4-12 hex) or a ULID: an id, never free text."""
    if not value:
        return False
    return bool(_UUID.fullmatch(value) or _ULID.fullmatch(value))


# A cooperative id is one NATS subject token and part of NATS names (the plug-in user
# `plugin-<id>`, its account, its password variable, its reply inbox): a plain slug only, and
# never the name of a service or of something the system itself uses, whose inbox, account or
# permissions it would otherwise take over.
COOPERATIVE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
RESERVED_COOPERATIVE_IDS = frozenset(
    {
        # the services and what they run as
        "registry", "matching", "notify", "gateway", "admin", "samen", "plugin", "plugins",
        # NATS and the system's own names
        "sys", "system", "events", "nats", "js", "jetstream", "inbox", "global", "default",
        "all", "root", "operator",
    }
)  # fmt: skip


def cooperative_id_problem(value: str) -> str | None:
    """Why `value` cannot be a cooperative id, or None when it can."""
    if not re.fullmatch(COOPERATIVE_ID_PATTERN, value):
        return "a cooperative id is 2-63 lower-case letters, digits and -, not starting with -"
    if value in RESERVED_COOPERATIVE_IDS:
        return f"{value!r} is reserved for the system; choose another cooperative id"
    return None


def check_cooperative_id(value: str) -> str:
    """`value` when it can be a cooperative id, else ValueError (pydantic reports it per field)."""
    problem = cooperative_id_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value
