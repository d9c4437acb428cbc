"""Typed errors that cross service boundaries over request/reply.

A domain raises one of these; the RPC layer carries its code and message to the caller, where
the same class is raised again; the gateway maps each to an HTTP problem response.
"""

from typing import ClassVar


class SamenError(Exception):
    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(SamenError):
    code = "not_found"
    http_status = 404


class Invalid(SamenError):
    code = "invalid"
    http_status = 422


class Forbidden(SamenError):
    code = "forbidden"
    http_status = 403


class Conflict(SamenError):
    code = "conflict"
    http_status = 409


class AlreadyStored(Conflict):
    """The database refused a commit: a row with the same unique key is there already (a
    second registration of one address, a replica that seeded the same thing a moment ago).
    Raised by the unit of work, so use cases need not know the database's own errors."""


class Unavailable(SamenError):
    code = "unavailable"
    http_status = 503


ERRORS_BY_CODE: dict[str, type[SamenError]] = {
    cls.code: cls for cls in (NotFound, Invalid, Forbidden, Conflict, Unavailable)
}


def error_from_code(
    code: str, message: str, details: dict[str, object] | None = None
) -> SamenError:
    return ERRORS_BY_CODE.get(code, SamenError)(message, details=details)
