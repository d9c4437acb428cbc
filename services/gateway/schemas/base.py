"""What every body of the REST API shares: refused control characters, the idempotency key,
the strict base of request bodies."""

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from shared.contracts.matching import (
    IDEMPOTENCY_KEY_MAX,
)

Language = Literal["nl", "en"]
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"


# NUL and other control characters (but tab and newlines), DEL, and lone surrogates.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def has_control_characters(text: str) -> bool:
    """NUL and other control characters (but tab and newlines), and lone surrogates: no
    database stores them, and no person types them."""
    return _CONTROL_CHARACTERS.search(text) is not None


def _check_text(value: Any) -> None:
    if isinstance(value, str) and has_control_characters(value):
        raise ValueError("text must not contain control characters")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    if isinstance(value, list):
        for item in value:
            _check_text(item)


IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]+$"


def valid_idempotency_key(value: str | None) -> str | None:
    """A key from a web form: used when it is well-formed, else none (the form still goes)."""
    if not value or len(value) > IDEMPOTENCY_KEY_MAX:
        return None
    return value if re.fullmatch(IDEMPOTENCY_KEY_PATTERN, value) else None


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        _check_text(data)
        return data
