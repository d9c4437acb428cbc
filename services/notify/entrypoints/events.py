"""Event handlers of the notify consumer: each translates one event into a use case."""

from services.notify.service_layer.recording import Recorder
from shared import events as e
from shared.consumer import EventHandler


def handlers(recorder: Recorder) -> dict[str, EventHandler]:
    """The handler per event type."""
    return {
        e.MemberRegistered.TYPE: recorder.member_registered,
        e.MemberErased.TYPE: recorder.member_erased,
        e.VolunteerCertificateExpiring.TYPE: recorder.certificate_expiring,
        e.RequestCreated.TYPE: recorder.request_created,
        e.MatchProposed.TYPE: recorder.match_proposed,
        e.MatchAccepted.TYPE: recorder.match_answered,
        e.MatchDeclined.TYPE: recorder.match_answered,
        e.MatchExpired.TYPE: recorder.match_answered,
        e.MatchWithdrawn.TYPE: recorder.match_withdrawn,
        e.RequestMatched.TYPE: recorder.request_matched,
        e.RequestEscalated.TYPE: recorder.request_escalated,
        e.RequestCompleted.TYPE: recorder.request_completed,
        e.RequestCancelled.TYPE: recorder.request_closed,
        e.RequestExpired.TYPE: recorder.request_closed,
    }
