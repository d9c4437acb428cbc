"""Which database errors mean "a concurrent change won: run the use case again"."""

from sqlalchemy.exc import DBAPIError, OperationalError

from services.matching.adapters.repository import StaleRequest

# PostgreSQL's serialization failure and deadlock.
RETRYABLE_SQLSTATES = ("40001", "40P01")


def is_retryable(exc: BaseException) -> bool:
    """True for a lost race the use case may win on a second try: the request changed since it
    was read, SQLite was locked, or PostgreSQL chose this transaction to fail."""
    if isinstance(exc, StaleRequest):
        return True
    if isinstance(exc, OperationalError):
        return "locked" in str(exc).lower() or "busy" in str(exc).lower()
    if isinstance(exc, DBAPIError):
        orig = getattr(exc, "orig", None)
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        return code in RETRYABLE_SQLSTATES
    return False
