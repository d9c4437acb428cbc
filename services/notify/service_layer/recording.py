"""Use cases that react to events: record what must be sent, nothing more.

Each runs inside the consumer's unit of work, so the notification rows commit in the same
transaction as the inbox record of the event: a redelivered event finds both and does nothing,
and the idempotency key (event id + recipient + template) guards every row on its own too.
Contact details are not looked up here; the delivery worker fetches them at send time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict, Unpack

from services.notify.adapters import preferences_store, proposal_links
from services.notify.adapters import repository as repo
from services.notify.domain.model import (
    RecipientKind,
    Status,
    Template,
    cancel_reason,
    idempotency_key,
    recipient_key,
    stale_templates,
)
from shared.events import (
    Envelope,
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
from shared.ids import new_id
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)

REMINDER_LEAD = timedelta(hours=24)
REMINDER_MIN_NOTICE = timedelta(hours=12)  # matched later than this: no reminder needed


@dataclass(frozen=True)
class Recipient:
    id: str
    kind: RecipientKind = RecipientKind.member


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class MessageOptions(TypedDict, total=False):
    urgent: bool  # default False
    request_id: str | None
    due_at: datetime | None  # default now
    inbox: bool  # default True: the message also goes to the member's in-app inbox
    key_event_id: str | None  # the event the idempotency key names, if not this one
    snapshot: dict[str, Any] | None  # contact details kept for a member about to be erased


def notification_row(
    uow: UnitOfWork,
    event: Envelope,
    recipient: Recipient,
    template: Template,
    context: dict[str, Any],
    **options: Unpack[MessageOptions],
) -> dict[str, Any]:
    """The row of one message to one recipient; its idempotency key makes a second insert of
    the same message (a redelivered event) do nothing."""
    now = uow.clock.now()
    key_event_id = options.get("key_event_id")
    inbox = options.get("inbox", True)
    return {
        "id": new_id(),
        "idempotency_key": idempotency_key(
            key_event_id or event.event_id,
            recipient_key(recipient.kind, recipient.id),
            template.value,
        ),
        "event_id": key_event_id or event.event_id,
        "recipient_id": recipient.id,
        "recipient_kind": recipient.kind.value,
        "template": template.value,
        "request_id": options.get("request_id"),
        "urgent": options.get("urgent", False),
        "digest": False,
        "context": context,
        "municipality": event.area.municipality,
        "district": event.area.district,
        "neighbourhood": event.area.neighbourhood,
        "status": Status.pending.value,
        "due_at": options.get("due_at") or now,
        "channel_index": 0,
        "attempts": 0,
        # Only members have an inbox.
        "inbox_done": not inbox or recipient.kind is not RecipientKind.member,
        "snapshot": options.get("snapshot"),
        "created_at": now,
        "updated_at": now,
    }


def record(
    uow: UnitOfWork,
    event: Envelope,
    recipient: Recipient,
    template: Template,
    context: dict[str, Any],
    **options: Unpack[MessageOptions],
) -> None:
    """Record one message to one recipient, sent to the database with the transaction's
    other rows (see `shared.write_behind`)."""
    repo.add_notification_later(
        uow.session, notification_row(uow, event, recipient, template, context, **options)
    )


def _request_context(row: Any) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "request_id": row["request_id"],
        "requester_id": row["requester_id"],
        "category": row["category"],
        "needed_from": _iso(repo.aware(row["needed_from"])),
        "needed_until": _iso(repo.aware(row["needed_until"])),
    }


async def _cancel_stale(uow: UnitOfWork, request_id: str, outcome: str) -> int:
    """Cancel, with a line in the delivery log, every open message about the request that
    its outcome makes stale (held for quiet hours, for the digest, or not yet sent)."""
    cancelled = await repo.cancel_open(
        uow.session,
        request_id=request_id,
        templates=[template.value for template in stale_templates(outcome)],
        now=uow.clock.now(),
        reason=cancel_reason(outcome),
    )
    if cancelled:
        log.info("held messages cancelled", outcome=outcome, notifications=cancelled)
    return cancelled


class Recorder:
    """The event handlers' use cases: database only, no calls to other services."""

    async def member_registered(self, event: Envelope, uow: UnitOfWork) -> None:
        data = event.payload(MemberRegistered)
        record(
            uow,
            event,
            Recipient(data.member_id),
            Template.welcome,
            {
                "member_id": data.member_id,
                "roles": list(data.roles),
                "registered_by": data.registered_by,
            },
        )

    async def certificate_expiring(self, event: Envelope, uow: UnitOfWork) -> None:
        """The volunteer hears their certificate of conduct runs out (or ran out), and so do
        the coordinators of their area, who record the new one."""
        data = event.payload(VolunteerCertificateExpiring)
        dates = {"expires_on": data.expires_on.isoformat(), "expired": data.expired}
        record(
            uow,
            event,
            Recipient(data.member_id),
            Template.certificate_expiring,
            {**dates, "member_id": data.member_id, "role": "volunteer"},
        )
        if data.cooperative_id is None:
            return
        record(
            uow,
            event,
            Recipient(data.cooperative_id, RecipientKind.coordinators),
            Template.certificate_expiring,
            {**dates, "volunteer_id": data.member_id, "role": "coordinator"},
        )

    async def member_erased(self, event: Envelope, uow: UnitOfWork) -> None:
        data = event.payload(MemberErased)
        deleted = await repo.erase_member(uow.session, data.member_id)
        log.info("member data erased", rows=deleted)

    async def request_created(self, event: Envelope, uow: UnitOfWork) -> None:
        data = event.payload(RequestCreated)
        proposal_links.upsert_request_later(
            uow.session,
            {
                "request_id": data.request_id,
                "requester_id": data.requester_id,
                "category": data.category.value,
                "urgent": data.urgent,
                "needed_from": data.needed_from,
                "needed_until": data.needed_until,
            },
        )

    async def match_proposed(self, event: Envelope, uow: UnitOfWork) -> None:
        data = event.payload(MatchProposed)
        proposal_links.upsert_request_later(
            uow.session,
            {
                "request_id": data.request_id,
                "requester_id": "",  # known from request.created, which came first
                "category": data.category.value,
                "urgent": data.urgent,
                "needed_from": data.needed_from,
                "needed_until": data.needed_until,
            },
            keep=("requester_id",),
        )
        proposal_links.add_link_later(
            uow.session,
            {
                "link_id": new_id(),
                "proposal_id": data.proposal_id,
                "request_id": data.request_id,
                "volunteer_id": data.volunteer_id,
                "expires_at": data.expires_at,
                "state": "open",
            },
        )
        record(
            uow,
            event,
            Recipient(data.volunteer_id),
            Template.proposal,
            {
                "proposal_id": data.proposal_id,
                "request_id": data.request_id,
                "volunteer_id": data.volunteer_id,
                "category": data.category.value,
                "round": data.round,
                "urgent": data.urgent,
                "expires_at": data.expires_at.isoformat(),
                "needed_from": _iso(data.needed_from),
                "needed_until": _iso(data.needed_until),
                "distance_km": data.distance_km,
            },
            urgent=data.urgent,
            request_id=data.request_id,
        )

    async def match_answered(self, event: Envelope, uow: UnitOfWork) -> None:
        """Accepted, declined (in the app: the e-mail's links are spent too) or expired."""
        data: MatchAccepted | MatchDeclined | MatchExpired
        if event.type == MatchAccepted.TYPE:
            data = event.payload(MatchAccepted)
        elif event.type == MatchDeclined.TYPE:
            data = event.payload(MatchDeclined)
        else:
            data = event.payload(MatchExpired)
        state = "expired" if isinstance(data, MatchExpired) else "answered"
        action = {MatchAccepted.TYPE: "accept", MatchDeclined.TYPE: "decline"}.get(event.type)
        await proposal_links.close_proposal_link(
            uow.session, data.proposal_id, state, action=action
        )
        # An answered proposal that is still held (quiet hours) need not go out any more.
        await repo.cancel_open(
            uow.session,
            request_id=data.request_id,
            templates=[Template.proposal.value],
            now=uow.clock.now(),
            reason=f"proposal {state} before it went out",
            recipient_id=data.volunteer_id,
            proposal_id=data.proposal_id,
        )

    async def match_withdrawn(self, event: Envelope, uow: UnitOfWork) -> None:
        data = event.payload(MatchWithdrawn)
        await proposal_links.close_proposal_link(uow.session, data.proposal_id, "withdrawn")
        cancelled = await repo.cancel_open(
            uow.session,
            request_id=data.request_id,
            templates=[Template.proposal.value],
            now=uow.clock.now(),
            reason="proposal withdrawn before it went out",
            recipient_id=data.volunteer_id,
            proposal_id=data.proposal_id,
        )
        if cancelled or not await repo.proposal_went_out(
            uow.session,
            request_id=data.request_id,
            volunteer_id=data.volunteer_id,
            proposal_id=data.proposal_id,
        ):
            # The proposal never left the inbox (cancelled now, or earlier when the request
            # was matched): no "already taken" message needed.
            return
        request = await proposal_links.get_request(uow.session, data.request_id)
        record(
            uow,
            event,
            Recipient(data.volunteer_id),
            Template.proposal_withdrawn,
            {
                **_request_context(request),
                "request_id": data.request_id,
                "proposal_id": data.proposal_id,
                "category": request["category"] if request else "information",
            },
            request_id=data.request_id,
        )

    async def request_matched(self, event: Envelope, uow: UnitOfWork) -> None:
        data = event.payload(RequestMatched)
        # Matched (by a volunteer's yes or by a coordinator's hand): an escalation or a
        # proposal still held about it would ask for help that is no longer needed.
        await _cancel_stale(uow, data.request_id, "matched")
        request = await proposal_links.get_request(uow.session, data.request_id)
        context = {
            **_request_context(request),
            "request_id": data.request_id,
            "requester_id": data.requester_id,
            "volunteer_id": data.volunteer_id,
            "matched_by": data.matched_by,
        }
        context.setdefault("category", "information")
        record(
            uow,
            event,
            Recipient(data.requester_id),
            Template.request_matched,
            context,
            request_id=data.request_id,
        )
        record(
            uow,
            event,
            Recipient(data.volunteer_id),
            Template.match_confirmed,
            context,
            request_id=data.request_id,
        )
        needed_from = repo.aware(request["needed_from"]) if request else None
        now = uow.clock.now()
        if needed_from is None or needed_from - now < REMINDER_MIN_NOTICE:
            return
        due = max(now, needed_from - REMINDER_LEAD)
        for member_id, role in ((data.volunteer_id, "volunteer"), (data.requester_id, "requester")):
            record(
                uow,
                event,
                Recipient(member_id),
                Template.reminder,
                {**context, "role": role},
                request_id=data.request_id,
                due_at=due,
            )

    async def request_escalated(self, event: Envelope, uow: UnitOfWork) -> None:
        data = event.payload(RequestEscalated)
        if data.cooperative_id is None:
            log.warning("escalation without a cooperative: nobody to tell")
            return
        request = await proposal_links.get_request(uow.session, data.request_id)
        context = {
            **_request_context(request),
            "request_id": data.request_id,
            "cooperative_id": data.cooperative_id,
            "reason": data.reason,
            "rounds": data.rounds,
            "urgent": bool(request["urgent"]) if request else False,
        }
        context.setdefault("category", "information")
        # Who the coordinators are is asked of the registry at send time (the delivery worker
        # retries while the registry is away), so this handler never waits on another service.
        record(
            uow,
            event,
            Recipient(data.cooperative_id, RecipientKind.coordinators),
            Template.escalation,
            context,
            request_id=data.request_id,
        )
        if await preferences_store.get_cooperative_urls(uow.session, data.cooperative_id):
            record(
                uow,
                event,
                Recipient(data.cooperative_id, RecipientKind.cooperative),
                Template.escalation,
                context,
                request_id=data.request_id,
            )

    async def request_completed(self, event: Envelope, uow: UnitOfWork) -> None:
        data = event.payload(RequestCompleted)
        await _cancel_stale(uow, data.request_id, "completed")
        request = await proposal_links.get_request(uow.session, data.request_id)
        context = {
            **_request_context(request),
            "request_id": data.request_id,
            "requester_id": data.requester_id,
            "volunteer_id": data.volunteer_id,
            "hours": data.hours,
        }
        context.setdefault("category", "information")
        record(
            uow,
            event,
            Recipient(data.requester_id),
            Template.thanks_requester,
            context,
            request_id=data.request_id,
        )
        if data.volunteer_id:
            record(
                uow,
                event,
                Recipient(data.volunteer_id),
                Template.thanks_volunteer,
                context,
                request_id=data.request_id,
            )

    async def request_closed(self, event: Envelope, uow: UnitOfWork) -> None:
        """Cancelled or expired: escalations, proposals, reminders and match messages still
        held are no longer news."""
        data: RequestCancelled | RequestExpired
        if event.type == RequestCancelled.TYPE:
            data = event.payload(RequestCancelled)
            await _cancel_stale(uow, data.request_id, "cancelled")
        else:
            data = event.payload(RequestExpired)
            await _cancel_stale(uow, data.request_id, "expired")
