"""Matching's answers to `request.get`, kept in the gateway until the request changes.

`RequestCachingRpc` wraps the gateway's RPC client: it answers `request.get` from the kept
views while they are fresh, passes every other verb on, and drops a request's views after a
command about it.

A request is read far more often than it changes, and every change is an event the gateway
already follows (live.py). So the gateway keeps each view matching gave, per request, per
reader and per coordinator area list (matching shows a volunteer less than the requester), and
drops all views of a request:

- when an event about it arrives (`request.*` and `match.*` events carry `request_id`);
- when this gateway sends matching a command about it (cancel, complete, feedback, a
  coordinator's match, reassignment, cancellation or closing, and a volunteer's answer to a
  proposal once it succeeds; feedback sends no event, so with more gateways another may show
  the form a moment longer, and matching refuses the second feedback). The view a command
  returns is what the writer may see, not what every reader may, so it is dropped rather than
  kept; the next read asks matching;
- after `SAMEN_REQUEST_CACHE_SECONDS` whatever happens (erasing a member changes finished
  requests without a request event), and beyond `SAMEN_REQUEST_CACHE_SIZE` the least recently
  read go first.

While the event subscription is not connected nothing is served from the cache, and after a
reconnection everything kept before is forgotten: events may have been missed meanwhile.

Authorisation stays with the caller: `usecases.visible_request` checks involvement and a
coordinator's areas, and writes the audit log, on every read, cached or not.
"""

import time
from collections.abc import Callable
from typing import TypeVar, cast

from faststream.exceptions import IncorrectState
from faststream.nats import NatsBroker
from pydantic import BaseModel

from services.gateway.caching import ExpiringCache
from shared.contracts import matching as mc
from shared.contracts.verbs import AnyVerb, Verb
from shared.events import Envelope, MemberErased
from shared.rpc import Rpc

Req = TypeVar("Req", bound=BaseModel)
Res = TypeVar("Res")

ViewKey = tuple[str, str, tuple[str, ...]]  # request id, reader, the coordinator's areas


def connection_epoch(broker: NatsBroker) -> Callable[[], int | None]:
    """The number of reconnections of the broker's connection, or None while it is down."""

    def epoch() -> int | None:
        try:
            client = broker.connection
        except IncorrectState:  # not connected yet, or stopped
            return None
        if not client.is_connected:
            return None
        return int(client.stats["reconnects"])

    return epoch


class RequestViewCache:
    def __init__(
        self,
        *,
        ttl: float,
        max_entries: int,
        connection: Callable[[], int | None],
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._views: ExpiringCache[ViewKey, mc.RequestView] = ExpiringCache(
            ttl=ttl, max_entries=max_entries, now=now
        )
        self._connection = connection
        self._epoch: int | None = None

    @staticmethod
    def key(request_id: str, actor_id: str, area_codes: list[str] | None) -> ViewKey:
        return request_id, actor_id, tuple(sorted(area_codes or ()))

    def get(self, key: ViewKey) -> mc.RequestView | None:
        if not self._views.enabled or not self._events_followed():
            return None
        return self._views.get(key)

    def ticket(self) -> int:
        self._events_followed()  # a reconnection noticed now clears before the fetch, not after
        return self._views.ticket()

    def put(self, key: ViewKey, view: mc.RequestView, *, ticket: int) -> None:
        if self._events_followed():
            self._views.put(key, view, group=view.request_id, ticket=ticket)

    def changed(self, request_id: str) -> None:
        self._views.drop(request_id)

    def follow(self, event: Envelope) -> None:
        """Drop what an event makes out of date."""
        request_id = event.data.get("request_id")
        if request_id:
            self.changed(str(request_id))
        elif event.type == MemberErased.TYPE or event.type.startswith(("request.", "match.")):
            self._views.clear()  # cannot tell which requests changed

    def _events_followed(self) -> bool:
        epoch = self._connection()
        if epoch is None:
            return False
        if epoch != self._epoch:
            self._views.clear()  # reconnected: events may have been missed
            self._epoch = epoch
        return True


# Matching's commands whose request names the request they change.
COMMANDS_ON_A_REQUEST: frozenset[AnyVerb] = frozenset(
    {
        mc.REQUEST_CANCEL,
        mc.REQUEST_COMPLETE,
        mc.REQUEST_FEEDBACK,  # sends no event (it changes no state): only this drop tells us
        mc.COORDINATOR_MATCH,
        mc.COORDINATOR_REASSIGN,
        mc.COORDINATOR_CANCEL,
        mc.COORDINATOR_CLOSE,
    }
)
# A volunteer's answer names the proposal; the proposal it returns names the request.
ANSWERS: frozenset[AnyVerb] = frozenset({mc.PROPOSAL_ACCEPT, mc.PROPOSAL_DECLINE})


class RequestCachingRpc:
    """An RPC client whose `request.get` is answered from the kept views while they are fresh,
    and whose commands about a request drop that request's views; it passes everything else
    on to the client it wraps."""

    def __init__(self, rpc: Rpc, views: RequestViewCache) -> None:
        self._rpc = rpc
        self.views = views

    async def call(
        self, verb: Verb[Req, Res], request: Req | None = None, *, timeout: float | None = None
    ) -> Res:
        if verb == mc.REQUEST_GET and isinstance(request, mc.RequestQuery):
            return cast(Res, await self._read(request, timeout))
        if verb in COMMANDS_ON_A_REQUEST:
            try:
                return await self._rpc.call(verb, request, timeout=timeout)
            finally:  # even on a timeout: matching may have done it
                if request_id := getattr(request, "request_id", None):
                    self.views.changed(request_id)
        result = await self._rpc.call(verb, request, timeout=timeout)
        # Which request a failed answer was about is not known here; its event drops it.
        if verb in ANSWERS and isinstance(result, mc.ProposalView):
            self.views.changed(result.request_id)
        return result

    async def _read(self, query: mc.RequestQuery, timeout: float | None) -> mc.RequestView:
        key = self.views.key(query.request_id, query.actor_id, query.area_codes)
        if (view := self.views.get(key)) is not None:
            return view
        ticket = self.views.ticket()
        view = await self._rpc.call(mc.REQUEST_GET, query, timeout=timeout)
        self.views.put(key, view, ticket=ticket)
        return view
