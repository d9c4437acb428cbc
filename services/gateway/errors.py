"""The gateway's own errors, beside those of shared.errors; problems.py answers them (a
`Retry-After`, a `WWW-Authenticate`)."""

from shared.errors import SamenError


class TooManyAttempts(SamenError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


class NotSignedIn(SamenError):
    code = "unauthorized"
    http_status = 401
