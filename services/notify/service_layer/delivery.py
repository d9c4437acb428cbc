"""The delivery worker: sends due notifications, one channel at a time, and records each try.

For one notification:
1. gather, outside any transaction: preferences, the recipient's contact (registry, at send
   time, not kept), the other party's first name and, when both agreed, phone; render.
2. write the in-app inbox item (always, once: unique per notification);
3. hold it when the recipient's quiet hours are on (only urgent proposals break them), or,
   for a coordinator who chose a daily digest, until the digest goes out;
4. claim it ("sending", with the channel) in its own transaction, send, and record the outcome
   with a delivery-log row and a `notification.sent` / `notification.failed` event (outbox).

A transient failure is retried with exponential backoff up to `attempts_per_channel`; then
`notification.failed` names the channel and the next channel in the member's preference is
tried. A notification found still "sending" after `sending_lease_seconds` was interrupted
between sending and recording: it is marked "uncertain" and NOT sent again (at most once on
external channels; the inbox item is already there). See docs/notify.md.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import RowMapping

from services.notify.adapters import repository as repo
from services.notify.adapters.channels import (
    AppriseChannel,
    DeliveryError,
    Email,
    EmailChannel,
)
from services.notify.adapters.registry import Registry
from services.notify.adapters.rendering import Rendered, Renderer
from services.notify.domain.links import LinkClaim, LinkSigner
from services.notify.domain.messages import Facts, Person, message_context
from services.notify.domain.model import (
    OPEN_STATUSES,
    QuietHours,
    RecipientKind,
    Status,
    Template,
    channel_plan,
    idempotency_key,
    message_id,
    next_local_time,
    parse_hhmm,
    redact,
    release_time,
    retry_delay,
)
from shared.areas import AreaRef
from shared.clock import Clock
from shared.contracts.notify import Preferences
from shared.errors import Unavailable
from shared.events import NotificationFailed, NotificationSent
from shared.ids import new_id
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)

INBOX = "inbox"
OTHER_PARTY_TEMPLATES = {
    Template.request_matched,
    Template.match_confirmed,
    Template.reminder,
    Template.thanks_requester,
}


@dataclass(frozen=True)
class DeliveryConfig:
    attempts_per_channel: int = 3
    retry_base_seconds: float = 30.0
    retry_cap_seconds: float = 3600.0
    registry_retry_seconds: float = 30.0
    sending_lease_seconds: float = 300.0
    poll_seconds: float = 1.0
    batch: int = 50
    concurrency: int = 8  # notifications in flight at once in one process
    digest_time: str = "08:00"


@dataclass
class Recipient:
    """Who a message goes to, as far as this one delivery needs to know."""

    first_name: str
    name: str
    language: str
    email: str | None
    preferences: Preferences
    apprise_urls: list[str]
    # Set when the member has no address of their own and their coordinator passes messages on.
    on_behalf_of: str | None = None


@dataclass(frozen=True)
class Composed:
    recipient: Recipient
    rendered: Rendered
    link: str | None


class Skip(Exception):
    """This notification cannot be composed now; the reason is already recorded."""


class DeliveryWorker:
    def __init__(
        self,
        *,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        registry: Registry,
        renderer: Renderer,
        email: EmailChannel,
        apprise: AppriseChannel,
        signer: LinkSigner,
        public_url: str,
        mail_domain: str,
        config: DeliveryConfig | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._registry = registry
        self._renderer = renderer
        self._email = email
        self._apprise = apprise
        self._signer = signer
        self._public_url = public_url
        self._mail_domain = mail_domain
        self.config = config or DeliveryConfig()
        self._wake = asyncio.Event()
        self._one_at_a_time = asyncio.Lock()

    # -- loop -------------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery round failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.poll_seconds):  # wait_for can swallow
                    await self._wake.wait()  # a cancel on Python 3.11
            self._wake.clear()

    async def run_once(self) -> int:
        """Recover interrupted sends, then handle every due notification; returns how many."""
        await self.recover_interrupted()
        async with self._uow() as uow:
            due = await repo.due_notifications(uow.session, self._clock.now(), self.config.batch)
        gate = asyncio.Semaphore(self.config.concurrency)

        async def one(notification_id: str) -> None:
            async with gate:
                try:
                    await self.process(notification_id)
                except Exception:
                    log.exception("delivery failed unexpectedly", notification_id=notification_id)

        # Each notification is its own: they may go out side by side. Digests and fan-outs,
        # which gather several rows, are taken one at a time by `_one_at_a_time`.
        await asyncio.gather(*(one(notification_id) for notification_id in due))
        return len(due)

    async def recover_interrupted(self) -> int:
        now = self._clock.now()
        before = now - timedelta(seconds=self.config.sending_lease_seconds)
        async with self._uow() as uow:
            stale = await repo.stale_sending(uow.session, before)
            for row in stale:
                claimed = await repo.change_notification(
                    uow.session,
                    row["id"],
                    expect={"status": Status.sending.value, "attempts": row["attempts"]},
                    status=Status.uncertain.value,
                    updated_at=now,
                    snapshot=None,
                )
                if claimed:
                    await repo.log_attempt(
                        uow.session,
                        row,
                        channel=row["sending_channel"] or "unknown",
                        status="unknown",
                        at=now,
                        error="interrupted while sending; not sent again",
                    )
                    log.warning("delivery outcome unknown", notification_id=row["id"])
            await uow.commit()
        return len(stale)

    # -- one notification -------------------------------------------------------------

    async def process(self, notification_id: str) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            row = await repo.notification(uow.session, notification_id)
        if row is None or row["status"] not in {s.value for s in OPEN_STATUSES}:
            return
        if repo.aware(row["due_at"]) > now:  # type: ignore[operator]
            return
        if row["digest"]:
            async with self._one_at_a_time:
                await self._send_digest(row)
            return
        if row["recipient_kind"] == RecipientKind.coordinators.value:
            async with self._one_at_a_time:
                try:
                    await self._fan_out(row)
                except Unavailable:
                    await self._postpone(row, self.config.registry_retry_seconds)
            return
        try:
            composed = await self._compose(row)
        except Skip:
            return
        except Unavailable:
            await self._postpone(row, self.config.registry_retry_seconds)
            return
        if not row["inbox_done"]:
            await self._write_inbox(row, composed)
        recipient = composed.recipient
        plan = self._plan(row, recipient)
        if not plan:
            await self._finish_in_inbox(row)
            return
        prefs = recipient.preferences
        quiet = QuietHours.of(prefs.quiet_start, prefs.quiet_end, prefs.timezone)
        urgent = bool(row["urgent"]) and row["template"] == Template.proposal.value
        release = release_time(now, quiet, urgent=urgent)
        if release is not None:
            await self._hold(row, until=release, channel=plan[0], digest=False)
            return
        if (
            row["template"] == Template.escalation.value
            and row["recipient_kind"] == RecipientKind.member.value
            and prefs.daily_digest
        ):
            at = next_local_time(now, parse_hhmm(self.config.digest_time), prefs.timezone)
            await self._hold(row, until=at, channel=plan[0], digest=True)
            return
        index = row["channel_index"]
        if index >= len(plan):
            await self._give_up(row)
            return
        channel = plan[index]
        async with self._uow() as uow:
            claimed = await repo.change_notification(
                uow.session,
                row["id"],
                expect={
                    "status": row["status"],
                    "attempts": row["attempts"],
                    "channel_index": index,
                },
                status=Status.sending.value,
                sending_since=now,
                sending_channel=channel,
                updated_at=now,
            )
            await uow.commit()
        if not claimed:
            return  # another worker has it
        try:
            await self._deliver(channel, row, composed)
        except DeliveryError as exc:
            await self._failed(row, channel, plan, exc)
        else:
            await self._succeeded(row, channel)

    # -- composing --------------------------------------------------------------------

    async def _recipient(self, row: RowMapping) -> Recipient | None:
        if row["recipient_kind"] == RecipientKind.cooperative.value:
            cooperative = await self._registry.cooperative(row["recipient_id"])
            async with self._uow() as uow:
                urls = await repo.get_cooperative_urls(uow.session, row["recipient_id"])
            name = cooperative.name if cooperative else ""
            return Recipient(
                first_name=name,
                name=name,
                language="nl",
                email=None,
                preferences=Preferences(member_id=row["recipient_id"], channels=["apprise"]),
                apprise_urls=urls,
            )
        if row["snapshot"]:
            snap = row["snapshot"]
            return Recipient(
                first_name=snap["first_name"],
                name=snap["name"],
                language=snap["language"],
                email=snap.get("email"),
                preferences=Preferences(member_id=row["recipient_id"], channels=["email"]),
                apprise_urls=[],
            )
        async with self._uow() as uow:
            prefs = await repo.get_preferences(uow.session, row["recipient_id"])
        contact = await self._registry.contact(row["recipient_id"])
        if contact is None:
            return None
        recipient = Recipient(
            first_name=contact.first_name,
            name=contact.name,
            language=prefs.language or contact.language,
            email=contact.email,
            preferences=prefs,
            apprise_urls=list(prefs.apprise_urls),
        )
        if not contact.email and not prefs.apprise_urls and contact.via_coordinator_id:
            # Registered at an information point without e-mail (scenario 4): the coordinator
            # gets the e-mail and passes it on, by phone or in person.
            coordinator = await self._registry.contact(contact.via_coordinator_id)
            if coordinator is not None and coordinator.email:
                recipient.email = coordinator.email
                recipient.name = coordinator.name
                recipient.preferences = prefs.model_copy(update={"channels": ["email"]})
                recipient.on_behalf_of = contact.name
        return recipient

    async def _compose(self, row: RowMapping) -> Composed:
        recipient = await self._recipient(row)
        if recipient is None:
            await self._recipient_gone(row)
            raise Skip
        template = Template(row["template"])
        context: dict[str, Any] = dict(row["context"])
        others: dict[str, Person] = {}
        if template in OTHER_PARTY_TEMPLATES:
            for key in ("requester_id", "volunteer_id"):
                other_id = context.get(key)
                if other_id and other_id != row["recipient_id"] and other_id not in others:
                    contact = await self._registry.contact(other_id)
                    if contact is not None:
                        phone = contact.phone if contact.share_phone_with_match else None
                        others[other_id] = Person(contact.first_name, phone)
        links: dict[str, str] = {}
        if template is Template.proposal:
            links = await self._links(row, context)
        if template is Template.digest:
            for item in context["items"]:
                item["area_name"] = await self._registry.area_name(item.get("area_code"))
        facts = Facts(
            template=template,
            lang=recipient.language,
            recipient_first_name=recipient.first_name,
            context=context,
            public_url=self._public_url,
            timezone=recipient.preferences.timezone,
            others=others,
            area_name=await self._registry.area_name(row["neighbourhood"] or row["district"]),
            links=links,
        )
        variables = message_context(facts)
        rendered = self._renderer.render(template.value, recipient.language, variables)
        return Composed(recipient=recipient, rendered=rendered, link=variables.get("link"))

    async def _links(self, row: RowMapping, context: dict[str, Any]) -> dict[str, str]:
        async with self._uow() as uow:
            link = await repo.link_by_proposal(uow.session, context["proposal_id"])
        if link is None or link["state"] != "open":
            await self._cancel(row, "proposal already answered or withdrawn")
            raise Skip
        expires_at = repo.aware(link["expires_at"])
        assert expires_at is not None
        if expires_at <= self._clock.now():
            await self._cancel(row, "proposal expired before it could go out")
            raise Skip
        urls = {}
        for action in ("accept", "decline"):
            claim = LinkClaim(
                link_id=link["link_id"],
                proposal_id=link["proposal_id"],
                request_id=link["request_id"],
                volunteer_id=link["volunteer_id"],
                action=action,
                expires_at=expires_at,
            )
            urls[f"{action}_url"] = self._signer.url(claim)
        return urls

    def _plan(self, row: RowMapping, recipient: Recipient) -> list[str]:
        return channel_plan(
            list(recipient.preferences.channels),
            has_email=bool(recipient.email),
            apprise_urls=recipient.apprise_urls,
        )

    # -- sending ----------------------------------------------------------------------

    async def _deliver(self, channel: str, row: RowMapping, composed: Composed) -> None:
        recipient, rendered = composed.recipient, composed.rendered
        if channel == "email":
            assert recipient.email
            subject = rendered.subject
            if recipient.on_behalf_of:
                word = "Voor" if recipient.language == "nl" else "For"
                subject = f"{word} {recipient.on_behalf_of}: {subject}"
            await self._email.send(
                Email(
                    to=recipient.email,
                    to_name=recipient.name,
                    subject=subject,
                    text=rendered.text,
                    html=rendered.html,
                    message_id=message_id(row["idempotency_key"], self._mail_domain),
                )
            )
        elif channel == "apprise":
            await self._apprise.send(
                recipient.apprise_urls, title=rendered.subject, body=rendered.text
            )
        else:  # pragma: no cover - channel_plan only yields known channels
            raise DeliveryError(f"unknown channel {channel}", transient=False)

    # -- recording outcomes -----------------------------------------------------------

    @staticmethod
    def _area(row: RowMapping) -> AreaRef:
        return AreaRef(
            municipality=row["municipality"],
            district=row["district"],
            neighbourhood=row["neighbourhood"],
        )

    def _sent_event(self, uow: UnitOfWork, row: RowMapping, channel: str) -> None:
        uow.emit(
            NotificationSent(
                notification_id=row["id"],
                recipient_id=row["recipient_id"],
                template=row["template"],
                channel=channel,
            ),
            self._area(row),
        )

    def _failed_event(self, uow: UnitOfWork, row: RowMapping, channel: str, reason: str) -> None:
        uow.emit(
            NotificationFailed(
                notification_id=row["id"],
                recipient_id=row["recipient_id"],
                template=row["template"],
                channel=channel,
                reason=reason,
            ),
            self._area(row),
        )

    async def _write_inbox(self, row: RowMapping, composed: Composed) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            await repo.add_inbox_item(
                uow.session,
                {
                    "id": new_id(),
                    "member_id": row["recipient_id"],
                    "notification_id": row["id"],
                    "template": row["template"],
                    "subject": composed.rendered.subject[:300],
                    "body": composed.rendered.text,
                    "link": composed.link,
                    "created_at": now,
                },
            )
            await repo.change_notification(uow.session, row["id"], inbox_done=True, updated_at=now)
            await repo.log_attempt(uow.session, row, channel=INBOX, status="sent", at=now)
            await uow.commit()

    async def _finish_in_inbox(self, row: RowMapping) -> None:
        """No external channel: the inbox item is the message."""
        now = self._clock.now()
        async with self._uow() as uow:
            if row["recipient_kind"] == RecipientKind.cooperative.value:
                await repo.change_notification(
                    uow.session, row["id"], status=Status.cancelled.value, updated_at=now
                )
            else:
                await repo.change_notification(
                    uow.session,
                    row["id"],
                    status=Status.sent.value,
                    sent_at=now,
                    sent_channel=INBOX,
                    snapshot=None,
                    updated_at=now,
                )
                self._sent_event(uow, row, INBOX)
            await uow.commit()

    async def _hold(self, row: RowMapping, *, until: datetime, channel: str, digest: bool) -> None:
        now = self._clock.now()
        why = "daily digest" if digest else "quiet hours"
        async with self._uow() as uow:
            changed = await repo.change_notification(
                uow.session,
                row["id"],
                expect={"status": row["status"], "attempts": row["attempts"]},
                status=Status.held.value,
                due_at=until,
                digest=digest,
                updated_at=now,
            )
            if changed:
                await repo.log_attempt(
                    uow.session,
                    row,
                    channel=channel,
                    status="held",
                    at=now,
                    error=f"{why} until {until.isoformat(timespec='minutes')}",
                )
            await uow.commit()

    async def _postpone(self, row: RowMapping, seconds: float) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            await repo.change_notification(
                uow.session,
                row["id"],
                expect={"status": row["status"], "attempts": row["attempts"]},
                due_at=now + timedelta(seconds=seconds),
                updated_at=now,
            )
            await uow.commit()
        log.warning("registry unavailable; delivery postponed", notification_id=row["id"])

    async def _cancel(self, row: RowMapping, reason: str) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            await repo.change_notification(
                uow.session, row["id"], status=Status.cancelled.value, updated_at=now
            )
            await uow.commit()
        log.info("notification cancelled", notification_id=row["id"], reason=reason)

    async def _recipient_gone(self, row: RowMapping) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            await repo.change_notification(
                uow.session, row["id"], status=Status.failed.value, updated_at=now
            )
            await repo.log_attempt(
                uow.session, row, channel="none", status="failed", at=now, error="recipient unknown"
            )
            self._failed_event(uow, row, "none", "recipient_unknown")
            await uow.commit()

    async def _succeeded(self, row: RowMapping, channel: str) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            await repo.change_notification(
                uow.session,
                row["id"],
                status=Status.sent.value,
                sent_at=now,
                sent_channel=channel,
                sending_since=None,
                attempts=row["attempts"] + 1,
                snapshot=None,
                updated_at=now,
            )
            await repo.log_attempt(uow.session, row, channel=channel, status="sent", at=now)
            self._sent_event(uow, row, channel)
            if row["snapshot"]:
                await repo.anonymise(uow.session, row["id"])
            await uow.commit()

    async def _failed(
        self, row: RowMapping, channel: str, plan: list[str], exc: DeliveryError
    ) -> None:
        now = self._clock.now()
        attempts = row["attempts"] + 1
        error = redact(str(exc))
        async with self._uow() as uow:
            await repo.log_attempt(
                uow.session, row, channel=channel, status="failed", at=now, error=error
            )
            if exc.transient and attempts < self.config.attempts_per_channel:
                delay = retry_delay(
                    attempts,
                    base_seconds=self.config.retry_base_seconds,
                    cap_seconds=self.config.retry_cap_seconds,
                )
                await repo.change_notification(
                    uow.session,
                    row["id"],
                    status=Status.retrying.value,
                    attempts=attempts,
                    due_at=now + delay,
                    sending_since=None,
                    updated_at=now,
                )
                log.info(
                    "delivery failed, will retry",
                    notification_id=row["id"],
                    channel=channel,
                    attempt=attempts,
                    retry_in=delay.total_seconds(),
                )
            else:
                self._failed_event(uow, row, channel, error)
                next_index = row["channel_index"] + 1
                if next_index < len(plan):
                    await repo.change_notification(
                        uow.session,
                        row["id"],
                        status=Status.pending.value,
                        channel_index=next_index,
                        attempts=0,
                        due_at=now,
                        sending_since=None,
                        updated_at=now,
                    )
                    log.warning(
                        "channel given up, falling back",
                        notification_id=row["id"],
                        channel=channel,
                        next_channel=plan[next_index],
                    )
                else:
                    await repo.change_notification(
                        uow.session,
                        row["id"],
                        status=Status.failed.value,
                        attempts=attempts,
                        sending_since=None,
                        snapshot=None,
                        updated_at=now,
                    )
                    if row["snapshot"]:
                        await repo.anonymise(uow.session, row["id"])
                    log.warning("every channel failed", notification_id=row["id"])
            await uow.commit()
        self.wake()

    async def _give_up(self, row: RowMapping) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            await repo.change_notification(
                uow.session, row["id"], status=Status.failed.value, snapshot=None, updated_at=now
            )
            await uow.commit()

    # -- daily digest -----------------------------------------------------------------

    async def _send_digest(self, row: RowMapping) -> None:
        """Fold every due digest item of one coordinator into one `digest` notification."""
        now = self._clock.now()
        recipient_id = row["recipient_id"]
        async with self._uow() as uow:
            # Claim each item (held -> sent) before folding it in: another replica making the
            # same digest at the same moment gets none of them.
            items = [
                item
                for item in await repo.open_digest_items(uow.session, recipient_id, now)
                if await repo.change_notification(
                    uow.session,
                    item["id"],
                    expect={"status": Status.held.value},
                    status=Status.sent.value,
                    sent_at=now,
                    sent_channel="digest",
                    updated_at=now,
                )
            ]
            if not items:
                return
            day = now.date().isoformat()
            await repo.add_notification(
                uow.session,
                {
                    "id": new_id(),
                    "idempotency_key": idempotency_key(
                        f"digest-{day}-{items[0]['id']}", recipient_id, Template.digest.value
                    ),
                    "event_id": items[0]["event_id"],
                    "recipient_id": recipient_id,
                    "recipient_kind": RecipientKind.member.value,
                    "template": Template.digest.value,
                    "request_id": None,
                    "urgent": False,
                    "digest": False,
                    "context": {
                        "items": [
                            {
                                "category": item["context"].get("category", "information"),
                                "reason": item["context"].get("reason", "manual"),
                                "rounds": item["context"].get("rounds", 0),
                                "area_code": item["neighbourhood"] or item["district"],
                            }
                            for item in items
                        ]
                    },
                    "municipality": row["municipality"],
                    "district": None,
                    "neighbourhood": None,
                    "status": Status.pending.value,
                    "due_at": now,
                    "channel_index": 0,
                    "attempts": 0,
                    "inbox_done": True,  # each escalation is in the inbox already
                    "snapshot": None,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            for item in items:
                self._sent_event(uow, item, "digest")
            await uow.commit()
        self.wake()

    # -- a cooperative's coordinators -------------------------------------------------

    async def _fan_out(self, row: RowMapping) -> None:
        """One message per coordinator, as they are now in the registry."""
        now = self._clock.now()
        cooperative = await self._registry.cooperative(row["recipient_id"])
        coordinator_ids = cooperative.coordinator_ids if cooperative else []
        async with self._uow() as uow:
            for coordinator_id in coordinator_ids:
                await repo.add_notification(
                    uow.session,
                    {
                        **{k: row[k] for k in COPIED},
                        "id": new_id(),
                        "idempotency_key": idempotency_key(
                            row["event_id"], coordinator_id, row["template"]
                        ),
                        "recipient_id": coordinator_id,
                        "recipient_kind": RecipientKind.member.value,
                        "status": Status.pending.value,
                        "due_at": now,
                        "channel_index": 0,
                        "attempts": 0,
                        "inbox_done": False,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
            await repo.change_notification(
                uow.session,
                row["id"],
                status=Status.sent.value if coordinator_ids else Status.cancelled.value,
                sent_at=now,
                sent_channel="coordinators",
                updated_at=now,
            )
            await uow.commit()
        if not coordinator_ids:
            log.warning("escalation to a cooperative without coordinators")
        self.wake()


COPIED = (
    "event_id",
    "template",
    "request_id",
    "urgent",
    "digest",
    "context",
    "municipality",
    "district",
    "neighbourhood",
    "snapshot",
)
