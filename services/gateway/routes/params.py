"""What a route reads from the path and the headers, bounded as the contracts bound it."""

from typing import Annotated

from fastapi import Header, Path

from services.gateway.schemas import IDEMPOTENCY_KEY_PATTERN
from shared.contracts.matching import IDEMPOTENCY_KEY_MAX

# An id in a path (a request, proposal or inbox item): as long as the contracts' ids, so an
# id the services could never hold is a 422 here rather than a failure further in.
IdPath = Annotated[str, Path(min_length=1, max_length=64)]
# The signed token of an accept/decline link, as the API's `token` query bounds it.
LinkTokenPath = Annotated[str, Path(min_length=1, max_length=2000)]

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="A key of your own for this create (a UUID, say; printable ASCII, at most "
        f"{IDEMPOTENCY_KEY_MAX} characters). Sent again with the same key after a timeout or "
        "a 503, the call answers with what the first one made instead of making a second.",
    ),
]
