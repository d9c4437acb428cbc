"""Which failures `retrying` runs a use case again for: a lost race, never a real fault."""

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from services.matching.adapters.errors import is_retryable
from services.matching.adapters.repository import StaleRequest
from shared.errors import Conflict


class DriverError(Exception):
    """What a PostgreSQL driver raises: the failure's SQLSTATE with it."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


def dbapi_error(kind: type[DBAPIError], sqlstate: str) -> DBAPIError:
    return kind("UPDATE requests", {}, DriverError(sqlstate))


@pytest.mark.parametrize(
    "exc",
    [
        StaleRequest("request r-1 changed meanwhile"),
        OperationalError("UPDATE requests", {}, Exception("database is locked")),
        dbapi_error(DBAPIError, "40001"),  # PostgreSQL: serialization failure
        dbapi_error(DBAPIError, "40P01"),  # PostgreSQL: deadlock detected
    ],
)
def test_a_lost_race_is_tried_again(exc: BaseException) -> None:
    assert is_retryable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        Conflict("this proposal was accepted already"),
        dbapi_error(IntegrityError, "23505"),
        OperationalError("SELECT 1", {}, Exception("connection refused")),
        ValueError("not a database error"),
    ],
)
def test_anything_else_is_not(exc: BaseException) -> None:
    assert not is_retryable(exc)
