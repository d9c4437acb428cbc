"""Live updates: the gateway follows `samen.evt.>` and pushes what concerns a member over SSE.

The gateway listens with a plain core-NATS subscription (not a durable consumer): a page that
is open gets what happens from now on, and a page opened later reads the current state over
request/reply anyway. Events carry ids, areas and categories only, so what reaches the browser
is the same: an event type, ids and the new state; the page then fetches what it shows.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg

from shared.areas import AreaRef
from shared.events import Envelope
from shared.logging import get_logger
from shared.subjects import ALL_EVENTS

log = get_logger(__name__)

# What each event means for a help request's state.
REQUEST_STATE = {
    "request.created": "open",
    "match.proposed": "proposed",
    "request.matched": "matched",
    "request.escalated": "escalated",
    "request.completed": "done",
    "request.cancelled": "cancelled",
    "request.expired": "expired",
}
_MEMBER_FIELDS = ("requester_id", "volunteer_id", "recipient_id", "member_id")
QUEUE_SIZE = 100


@dataclass(frozen=True)
class LiveMessage:
    event: str  # SSE event name
    data: dict[str, Any]

    def encode(self) -> str:
        return json.dumps(self.data)


@dataclass(eq=False)
class Listener:
    """One open event stream of one member."""

    member_id: str
    request_ids: set[str] = field(default_factory=set)
    areas: tuple[str, ...] = ()  # a coordinator's area codes
    queue: asyncio.Queue[LiveMessage] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE)
    )

    def wants(self, event: Envelope) -> list[LiveMessage]:
        data = event.data
        mine = any(data.get(f) == self.member_id for f in _MEMBER_FIELDS)
        request_id = data.get("request_id")
        if event.type == "request.created" and data.get("requester_id") == self.member_id:
            self.request_ids.add(str(request_id))
        messages: list[LiveMessage] = []
        base = {"type": event.type, "event_id": event.event_id}
        for key in ("request_id", "proposal_id"):
            if data.get(key):
                base[key] = data[key]
        if request_id in self.request_ids and event.type in REQUEST_STATE:
            messages.append(LiveMessage("request", {**base, "state": REQUEST_STATE[event.type]}))
        if event.type.startswith("match.") and data.get("volunteer_id") == self.member_id:
            messages.append(LiveMessage("proposal", base))
        if event.type == "notification.sent" and data.get("recipient_id") == self.member_id:
            messages.append(LiveMessage("inbox", base))
        if self.areas and event.type in REQUEST_STATE and self._in_my_areas(event.area):
            messages.append(
                LiveMessage(
                    "board",
                    {
                        **base,
                        "state": REQUEST_STATE[event.type],
                        "area": event.area.most_specific(),
                    },
                )
            )
        if not messages and mine and event.type in REQUEST_STATE:
            messages.append(LiveMessage("request", {**base, "state": REQUEST_STATE[event.type]}))
        return messages

    def _in_my_areas(self, area: AreaRef) -> bool:
        code = area.most_specific()
        if code is None:
            return False
        return any(AreaRef.from_code(mine).contains(code) for mine in self.areas)


class LiveHub:
    def __init__(self, *, on_event: Callable[[Envelope], None] | None = None) -> None:
        self._on_event = on_event  # before the listeners: a page told of a change reads anew
        self._listeners: set[Listener] = set()
        self._closed = asyncio.Event()
        self.received = 0

    async def subscribe(self, connection: Client) -> None:
        """Follow every event on the broker's connection (once it is up). A plain nats-py
        callback, not a FastStream subscriber: the gateway sees every event of the system, and
        FastStream's per-message layers (middlewares, dependency resolution) cost more than the
        fan-out itself. nats-py subscribes again by itself after a reconnect."""

        async def on_event(msg: Msg) -> None:
            try:
                event = Envelope.model_validate_json(msg.data)
            except ValueError:
                return
            self.publish(event)

        # Events published to JetStream carry the PubAck inbox as their reply subject: the
        # callback never answers, so the publisher is not confused.
        await connection.subscribe(ALL_EVENTS, cb=on_event)

    def publish(self, event: Envelope) -> None:
        self.received += 1
        if self._on_event is not None:
            self._on_event(event)
        for listener in list(self._listeners):
            for message in listener.wants(event):
                with contextlib.suppress(asyncio.QueueFull):  # a stuck page misses updates
                    listener.queue.put_nowait(message)

    def listen(self, listener: Listener) -> None:
        self._listeners.add(listener)

    def forget(self, listener: Listener) -> None:
        self._listeners.discard(listener)

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def close(self) -> None:
        self._closed.set()

    async def stream(self, listener: Listener) -> AsyncIterator[LiveMessage]:
        """Messages for one listener until the hub closes or the client goes away."""
        self.listen(listener)
        closed = asyncio.ensure_future(self._closed.wait())
        getter: asyncio.Future[LiveMessage] | None = None
        try:
            while not self._closed.is_set():
                getter = asyncio.ensure_future(listener.queue.get())
                done, _ = await asyncio.wait({getter, closed}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    message = getter.result()
                    getter = None
                    yield message
        finally:
            if getter is not None:
                getter.cancel()
            closed.cancel()
            self.forget(listener)
