"""Handler parameters for FastStream subscribers that cost no thread.

FastStream's own `NatsMessage` annotation resolves the message through `Context("message")`,
whose `use` is a plain function; fast_depends runs plain functions in a worker thread, so every
message a handler took that way went through the thread pool and back (measured: about 40% of
the cost of a bare request/reply). The same lookup as a coroutine stays on the event loop.
"""

from typing import Annotated, Any

from faststream._internal.context.context_type import Context as _Context
from faststream.nats.message import NatsMessage


class LoopContext(_Context):
    """`faststream.Context`, resolved on the event loop."""

    async def use(self, /, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        return super().use(**kwargs)


Message = Annotated[NatsMessage, LoopContext("message")]
"""The NATS message a subscriber handles."""
