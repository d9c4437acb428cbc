"""JSON as the services write it: JSON columns (shared.db) and request/reply bodies
(shared.rpc), both with orjson."""

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from shared.db import json_text
from shared.errors import Invalid
from shared.rpc import _adapter, error_reply, ok_reply


class Answer(BaseModel):
    at: datetime
    names: list[str]


def test_a_json_column_reads_back_what_was_written() -> None:
    value = {"weekday": 1, "slots": [{"start": "09:00"}], "naïve": None, 3: True}

    text = json_text(value)

    assert json.loads(text) == {
        "weekday": 1,
        "slots": [{"start": "09:00"}],
        "naïve": None,
        "3": True,
    }


def test_replies_are_plain_json() -> None:
    at = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    assert json.loads(ok_reply(Answer(at=at, names=["Ans"]))) == {
        "ok": True,
        "result": {"at": "2026-11-27T12:00:00Z", "names": ["Ans"]},
    }
    assert json.loads(ok_reply([{"n": 1}, Answer(at=at, names=[])]))["result"][0] == {"n": 1}
    # A key that is not a string (a caller's slip) must not break the reply either.
    odd_details: dict[Any, object] = {1: at}
    error = json.loads(error_reply(Invalid("bad postcode", details=odd_details)))
    assert error == {
        "ok": False,
        "error": {
            "code": "invalid",
            "message": "bad postcode",
            "details": {"1": "2026-11-27T12:00:00+00:00"},
        },
    }


def test_a_result_type_is_prepared_once() -> None:
    assert _adapter(list[Answer]) is _adapter(list[Answer])
    assert _adapter(list[Answer]).validate_python([{"at": "2026-11-27T12:00:00Z", "names": []}])
