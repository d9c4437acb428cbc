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

from services.notify.domain.model import (
    RecipientKind,
    Status,
    Template,
    cancel_reason,
    idempotency_key,
    recipient_key,
    stale_templates,
)
from services.notify.domain.notification import Notification
from services.notify.domain.records import KnownRequest, LinkRecord, OpenMessages
from services.notify.service_layer.uow import NotifyUnitOfWork
from shared import events as e
from shared.events import Envelope
from shared.ids import new_id
from shared.logging import get_logger

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


def new_notification(
    uow: NotifyUnitOfWork,
    event: Envelope,
    recipient: Recipient,
    template: Template,
    context: dict[str, Any],
    **options: Unpack[MessageOptions],
) -> Notification:
    """One message to one recipient; its idempotency key makes a second insert of the same
    message (a redelivered event) do nothing."""
    now = uow.clock.now()
    event_id = options.get("key_event_id") or event.event_id
    inbox = options.get("inbox", True)
    return Notification(
        id=new_id(),
        idempotency_key=idempotency_key(
            event_id, recipient_key(recipient.kind, recipient.id), template.value
        ),
        event_id=event_id,
        recipient_id=recipient.id,
        recipient_kind=recipient.kind,
        template=template.value,
        status=Status.pending,
        due_at=options.get("due_at") or now,
        context=context,
        request_id=options.get("request_id"),
        urgent=options.get("urgent", False),
        municipality=event.area.municipality,
        district=event.area.district,
        neighbourhood=event.area.neighbourhood,
        # Only members have an inbox.
        inbox_done=not inbox or recipient.kind is not RecipientKind.member,
        snapshot=options.get("snapshot"),
        created_at=now,
        updated_at=now,
        correlation_id=event.correlation_id,
    )


def record(
    uow: NotifyUnitOfWork,
    event: Envelope,
    recipient: Recipient,
    template: Template,
    context: dict[str, Any],
    **options: Unpack[MessageOptions],
) -> None:
    """Record one message to one recipient, written with the transaction's other rows."""
    uow.notifications.add_later(
        new_notification(uow, event, recipient, template, context, **options)
    )


async def _about_request(
    uow: NotifyUnitOfWork, request_id: str, **context: Any
) -> tuple[KnownRequest | None, dict[str, Any]]:
    """The request as notify knows it, and a message's context about it: what the event
    says (`context`) over what is known of the request (a category in any case)."""
    request = await uow.links.get_request(request_id)
    known: dict[str, Any] = {"category": "information"}
    if request is not None:
        known = {
            "request_id": request.request_id,
            "requester_id": request.requester_id,
            "category": request.category,
            "needed_from": _iso(request.needed_from),
            "needed_until": _iso(request.needed_until),
        }
    return request, {**known, "request_id": request_id, **context}


async def _cancel_stale(uow: NotifyUnitOfWork, request_id: str, outcome: str) -> int:
    """Cancel, with a line in the delivery log, every open message about the request that
    its outcome makes stale (held for quiet hours, for the digest, or not yet sent)."""
    cancelled = await uow.notifications.cancel_open(
        OpenMessages(request_id, tuple(template.value for template in stale_templates(outcome))),
        now=uow.clock.now(),
        reason=cancel_reason(outcome),
    )
    if cancelled:
        log.info("held messages cancelled", outcome=outcome, notifications=cancelled)
    return cancelled


async def _unsent_proposal_cancelled(
    uow: NotifyUnitOfWork,
    data: e.MatchAccepted | e.MatchDeclined | e.MatchExpired | e.MatchWithdrawn,
    reason: str,
) -> int:
    """An answered or withdrawn proposal still held (quiet hours) need not go out any more."""
    return await uow.notifications.cancel_open(
        OpenMessages(
            data.request_id,
            (Template.proposal.value,),
            recipient_id=data.volunteer_id,
            proposal_id=data.proposal_id,
        ),
        now=uow.clock.now(),
        reason=reason,
    )


class Recorder:
    """The event handlers' use cases: database only, no calls to other services."""

    async def member_registered(self, event: Envelope, uow: NotifyUnitOfWork) -> None:
        data = event.payload(e.MemberRegistered)
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

    async def certificate_expiring(self, event: Envelope, uow: NotifyUnitOfWork) -> None:
        """The volunteer hears their certificate of conduct runs out (or ran out), and so do
        the coordinators of their area, who record the new one."""
        data = event.payload(e.VolunteerCertificateExpiring)
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

    async def member_erased(self, event: Envelope, uow: NotifyUnitOfWork) -> None:
        data = event.payload(e.MemberErased)
        deleted = await uow.notifications.erase_member(data.member_id)
        log.info("member data erased", rows=deleted)

    async def request_created(self, event: Envelope, uow: NotifyUnitOfWork) -> None:
        data = event.payload(e.RequestCreated)
        uow.links.upsert_request_later(
            KnownRequest(
                request_id=data.request_id,
                requester_id=data.requester_id,
                category=data.category.value,
                urgent=data.urgent,
                needed_from=data.needed_from,
                needed_until=data.needed_until,
            )
        )

    async def match_proposed(self, event: Envelope, uow: NotifyUnitOfWork) -> None:
        data = event.payload(e.MatchProposed)
        uow.links.upsert_request_later(
            KnownRequest(
                request_id=data.request_id,
                requester_id="",  # known from request.created, which came first
                category=data.category.value,
                urgent=data.urgent,
                needed_from=data.needed_from,
                needed_until=data.needed_until,
            ),
            keep_requester=True,
        )
        uow.links.add_link_later(
            LinkRecord(
                link_id=new_id(),
                proposal_id=data.proposal_id,
                request_id=data.request_id,
                volunteer_id=data.volunteer_id,
                expires_at=data.expires_at,
            )
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

    async def match_answered(self, event: Envelope, uow: NotifyUnitOfWork) -> None:
        """Accepted, declined (in the app: the e-mail's links are spent too) or expired."""
        data: e.MatchAccepted | e.MatchDeclined | e.MatchExpired
        if event.type == e.MatchAccepted.TYPE:
            data = event.payload(e.MatchAccepted)
        elif event.type == e.MatchDeclined.TYPE:
            data = event.payload(e.MatchDeclined)
        else:
            data = event.payload(e.MatchExpired)
        state = "expired" if isinstance(data, e.MatchExpired) else "answered"
        action = {e.MatchAccepted.TYPE: "accept", e.MatchDeclined.TYPE: "decline"}.get(event.type)
        await uow.links.close_proposal_link(data.proposal_id, state, action=action)
        await _unsent_proposal_cancelled(uow, data, f"proposal {state} before it went out")

    async def match_withdrawn(self, event: Envelope, uow: NotifyUnitOfWork) -> None:
        data = event.payload(e.MatchWithdrawn)
        await uow.links.close_proposal_link(data.proposal_id, "withdrawn")
        cancelled = await _unsent_proposal_cancelled(
            uow, data, "proposal withdrawn before it went out"
        )
        if cancelled or not await uow.notifications.proposal_went_out(
            request_id=data.request_id,
            volunteer_id=data.volunteer_id,
            proposal_id=data.proposal_id,
        ):
            # The proposal never left the inbox (cancelled now, or earlier when the request
            # was matched): no "already taken" message needed.
            return
        _, context = await _about_request(uow, data.request_id, proposal_id=data.proposal_id)
        record(
            uow,
            event,
            Recipient(data.volunteer_id),
            Template.proposal_withdrawn,
            context,
            request_id=data.request_id,
        )

    async def request_matched(self, event: Envelope, uow: NotifyUnitOfWork) -> None:
        data = event.payload(e.RequestMatched)
        # Matched (by a volunteer's yes or by a coordinator's hand): an escalation or a
        # proposal still held about it would ask for help that is no longer needed.
        request, context = await self._tell_both(
            uow,
            event,
            data,
            "matched",
            (Template.request_matched, Template.match_confirmed),
            matched_by=data.matched_by,
        )
        needed_from = request.needed_from if request else None
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

    async def request_escalated(self, event: Envelope, uow: NotifyUnitOfWork) -> None:
        data = event.payload(e.RequestEscalated)
        if data.cooperative_id is None:
            log.warning("escalation without a cooperative: nobody to tell")
            return
        request, context = await _about_request(
            uow,
            data.request_id,
            cooperative_id=data.cooperative_id,
            reason=data.reason,
            rounds=data.rounds,
        )
        context["urgent"] = request.urgent if request else False
        # Who the coordinators are is asked of the registry at send time (the delivery worker
        # retries while the registry is away), so this handler never waits on another service.
        kinds = [RecipientKind.coordinators]
        if await uow.preferences.get_cooperative_urls(data.cooperative_id):
            kinds.append(RecipientKind.cooperative)
        for kind in kinds:
            record(
                uow,
                event,
                Recipient(data.cooperative_id, kind),
                Template.escalation,
                context,
                request_id=data.request_id,
            )

    async def request_completed(self, event: Envelope, uow: NotifyUnitOfWork) -> None:
        data = event.payload(e.RequestCompleted)
        await self._tell_both(
            uow,
            event,
            data,
            "completed",
            (Template.thanks_requester, Template.thanks_volunteer),
            hours=data.hours,
        )

    @staticmethod
    async def _tell_both(
        uow: NotifyUnitOfWork,
        event: Envelope,
        data: e.RequestMatched | e.RequestCompleted,
        outcome: str,
        templates: tuple[Template, Template],
        **extra: Any,
    ) -> tuple[KnownRequest | None, dict[str, Any]]:
        """A request's outcome: what it makes stale is cancelled, and the requester and the
        volunteer (when there is one) each get their message (`templates`, in that order).
        Returns the request as known and the messages' context."""
        await _cancel_stale(uow, data.request_id, outcome)
        request, context = await _about_request(
            uow,
            data.request_id,
            requester_id=data.requester_id,
            volunteer_id=data.volunteer_id,
            **extra,
        )
        for member_id, template in zip(
            (data.requester_id, data.volunteer_id), templates, strict=True
        ):
            if member_id:
                record(
                    uow,
                    event,
                    Recipient(member_id),
                    template,
                    context,
                    request_id=data.request_id,
                )
        return request, context

    async def request_closed(self, event: Envelope, uow: NotifyUnitOfWork) -> None:
        """Cancelled or expired: escalations, proposals, reminders and match messages still
        held are no longer news."""
        data: e.RequestCancelled | e.RequestExpired
        if event.type == e.RequestCancelled.TYPE:
            data = event.payload(e.RequestCancelled)
            await _cancel_stale(uow, data.request_id, "cancelled")
        else:
            data = event.payload(e.RequestExpired)
            await _cancel_stale(uow, data.request_id, "expired")
