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
