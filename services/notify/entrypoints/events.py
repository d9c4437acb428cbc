"""Event handlers of the notify consumer: each translates one event into a use case."""

from collections.abc import Callable

from services.notify.service_layer.recording import Recorder
from shared.consumer import EventHandler
from shared.events import (
    Envelope,
    MatchAccepted,
    MatchDeclined,
    MatchProposed,
    MatchWithdrawn,
    MemberErased,
    MemberRegistered,
    RequestCancelled,
    RequestCompleted,
    RequestCreated,
    RequestEscalated,
    RequestExpired,
    RequestMatched,
)
from shared.uow import UnitOfWork


def handlers(recorder: Recorder, after_commit: Callable[[], None]) -> dict[str, EventHandler]:
    """The handler per event type; `after_commit` wakes the delivery worker."""

    def waking(use_case: Callable[[Envelope, UnitOfWork], object]) -> EventHandler:
        async def handle(event: Envelope, uow: UnitOfWork) -> None:
            await use_case(event, uow)  # type: ignore[misc]
            after_commit()  # the worker looks only after the consumer's commit

        return handle

    return {
        MemberRegistered.TYPE: waking(recorder.member_registered),
        MemberErased.TYPE: recorder.member_erased,
        RequestCreated.TYPE: recorder.request_created,
        MatchProposed.TYPE: waking(recorder.match_proposed),
        MatchAccepted.TYPE: recorder.match_answered,
        MatchDeclined.TYPE: recorder.match_answered,
        MatchWithdrawn.TYPE: waking(recorder.match_withdrawn),
        RequestMatched.TYPE: waking(recorder.request_matched),
        RequestEscalated.TYPE: waking(recorder.request_escalated),
        RequestCompleted.TYPE: waking(recorder.request_completed),
        RequestCancelled.TYPE: recorder.request_closed,
        RequestExpired.TYPE: recorder.request_closed,
    }
