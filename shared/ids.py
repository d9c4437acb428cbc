"""Identifiers: UUIDv7, so ids sort by creation time and index well."""

import uuid_utils


def new_id() -> str:
    return str(uuid_utils.uuid7())
