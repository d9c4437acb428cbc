"""Event handlers of the notify consumer: each translates one event into a use case."""

from services.notify.service_layer.recording import Recorder
from shared.consumer import EventHandler
from shared.events import (
    MatchAccepted,
    MatchDeclined,
    MatchExpired,
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
    VolunteerCertificateExpiring,
)


def handlers(recorder: Recorder) -> dict[str, EventHandler]:
    """The handler per event type."""
    return {
        MemberRegistered.TYPE: recorder.member_registered,
        MemberErased.TYPE: recorder.member_erased,
        VolunteerCertificateExpiring.TYPE: recorder.certificate_expiring,
        RequestCreated.TYPE: recorder.request_created,
        MatchProposed.TYPE: recorder.match_proposed,
        MatchAccepted.TYPE: recorder.match_answered,
        MatchDeclined.TYPE: recorder.match_answered,
        MatchExpired.TYPE: recorder.match_answered,
        MatchWithdrawn.TYPE: recorder.match_withdrawn,
        RequestMatched.TYPE: recorder.request_matched,
        RequestEscalated.TYPE: recorder.request_escalated,
        RequestCompleted.TYPE: recorder.request_completed,
        RequestCancelled.TYPE: recorder.request_closed,
        RequestExpired.TYPE: recorder.request_closed,
    }
