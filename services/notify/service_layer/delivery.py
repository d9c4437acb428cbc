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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from services.notify.adapters import preferences_store, proposal_links, tasks_store
from services.notify.adapters import repository as repo
from services.notify.adapters.channels import (
    AppriseChannel,
    DeliveryError,
    Email,
    EmailChannel,
)
from services.notify.adapters.registry import Registry
from services.notify.adapters.rendering import LANGUAGES, Renderer
from services.notify.domain.delivery_rules import (
    AfterFailure,
    Cancel,
    Composed,
    FallBack,
    Final,
    FinishInInbox,
    GiveUp,
    Hold,
    PassOn,
    Postpone,
    Recipient,
    RecipientGone,
    Retry,
    RetryPolicy,
    Row,
    Send,
    Step,
    after_failure,
    composed_of,
    decide,
    goes_in_digest,
    is_final,
    member_recipient,
    needs_passing_on,
)
from services.notify.domain.links import LinkClaim, LinkSigner
from services.notify.domain.messages import Facts, Person, message_context
from services.notify.domain.model import (
    EMAIL_ONLY_TEMPLATES,
    RecipientKind,
    Status,
    Template,
    idempotency_key,
    message_id,
    redact,
)
from services.notify.domain.notification import INBOX, Notification
from services.notify.domain.passing_on import PASSED_ON, task_holders
from shared.areas import AreaRef, area_of
from shared.clock import Clock
from shared.contracts.notify import Preferences
from shared.contracts.registry import MemberContact
from shared.errors import Unavailable
from shared.events import NotificationFailed, NotificationSent
from shared.ids import new_id
from shared.logging import get_logger
from shared.polling import AT_ONCE, Poller
from shared.uow import UnitOfWork

log = get_logger(__name__)

OTHER_PARTY_TEMPLATES = {
    Template.request_matched,
    Template.match_confirmed,
    Template.reminder,
    Template.thanks_requester,
    Template.certificate_expiring,  # the coordinators hear whose certificate it is
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
    # Woken by new work, a round waits this long for more to join it: a request's proposals
    # and the next requests' then share the round's transactions and registry call.
    gather_seconds: float = 0.02
    # Rounds whose claimed messages are still being sent while the next round is read and
    # claimed: new work need not wait for the last round's sends and outcome transaction.
    rounds_in_flight: int = 2
    stop_wait_seconds: float = 10.0  # for sends under way when the service stops
    digest_time: str = "08:00"


@dataclass
class Lookup:
    """What one delivery round knows before it decides, fetched once for all its rows
    (preferences, proposal links, contacts); anything not fetched ahead is asked for alone."""

    preferences: dict[str, Preferences] = field(default_factory=dict)
    links: Mapping[str, Row] = field(default_factory=dict)
    contacts: dict[str, MemberContact] = field(default_factory=dict)
    asked: set[str] = field(default_factory=set)  # asked for; missing from `contacts`: unknown
    coordinators: dict[str, list[str]] = field(default_factory=dict)  # area -> its cooperative's
    # cooperative -> the digest time it chose for its coordinators (None: not set)
    digest_times: dict[str, str | None] = field(default_factory=dict)
    registry_down: bool = False


class Skip(Exception):
    """This notification cannot be composed; `step` says what to record instead."""

    def __init__(self, step: Step) -> None:
        super().__init__(type(step).__name__)
        self.step = step


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
        self._poller = Poller(
            "delivery round",
            every=self.config.poll_seconds,
            settle_after_wake=self.config.gather_seconds,
        )
        self._one_at_a_time = asyncio.Lock()
        self._recovered_at: datetime | None = None
        self._sending: set[asyncio.Task[None]] = set()  # rounds claimed, still being sent
        self._sending_ids: set[str] = set()  # their notifications: alive, not interrupted

    # -- loop -------------------------------------------------------------------------

    def wake(self) -> None:
        self._poller.wake()

    async def finish_sending(self) -> None:
        """On stop, after `run` is cancelled: let the rounds already claimed finish sending and
        record their outcomes, for up to `stop_wait_seconds`. Sends cut off after that leave
        their rows "sending", like a crash (see the sending lease)."""
        if not self._sending:
            return
        _, late = await asyncio.wait(self._sending, timeout=self.config.stop_wait_seconds)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def run(self) -> None:
        await self._poller.run(self._round)

    async def _round(self) -> float | None:
        handled, claimed = await self._claim_round()
        if claimed:
            await self._send_in_background(claimed)
        return AT_ONCE if handled >= self.config.batch else None  # full: more are waiting

    async def run_once(self) -> int:
        """Recover interrupted sends, then handle one round of due notifications (up to
        `batch`) to the end; returns how many were due."""
        handled, claimed = await self._claim_round()
        if claimed:
            await self._send_and_record(claimed)
        return handled

    async def _send_in_background(self, claimed: list[Send]) -> None:
        while len(self._sending) >= self.config.rounds_in_flight:
            await asyncio.wait(self._sending, return_when=asyncio.FIRST_COMPLETED)
        task = asyncio.create_task(self._send_and_record(claimed), name="notify-sends")
        self._sending.add(task)
        task.add_done_callback(self._sent_round)

    def _sent_round(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            # Its claimed rows stay "sending"; after the lease they are marked uncertain and
            # not sent again (at most once, docs/notify.md). The inbox has them already.
            log.error("sending a delivery round failed", error=f"{type(error).__name__}: {error}")

    async def _claim_round(self) -> tuple[int, list[Send]]:
        """Recover interrupted sends, read one round of due notifications (up to `batch`),
        decide for each and claim what is to be sent. Returns how many were due and the
        claimed sends."""
        now = self._clock.now()
        if self._recovered_at is None or (now - self._recovered_at).total_seconds() >= (
            self.config.poll_seconds
        ):  # once per poll, not once per round: rounds come many a second under load
            self._recovered_at = now
            await self.recover_interrupted()
        # Read without a transaction: the claim below checks each row's state again.
        async with self._uow().read_only() as uow:
            due = await repo.due_notifications(uow.session, now, self.config.batch)
            regular = [row for row in due if not self._gathers_rows(row)]
            prefs = await preferences_store.preferences_of(
                uow.session,
                sorted({r["recipient_id"] for r in regular if _member(r) and not r["snapshot"]}),
            )
            lookup = Lookup(
                preferences=prefs,
                digest_times=await preferences_store.cooperative_digest_times(
                    uow.session,
                    sorted(
                        {
                            cooperative_id
                            for row in regular
                            if (cooperative_id := _digest_cooperative(row, prefs))
                        }
                    ),
                ),
                links=await proposal_links.links_by_proposals(
                    uow.session,
                    sorted(
                        {
                            row["context"]["proposal_id"]
                            for row in regular
                            if row["template"] == Template.proposal.value
                        }
                    ),
                ),
            )
        for row in due:
            if self._gathers_rows(row):
                await self._gather_rows(row)
        claimed: list[Send] = []
        if regular:
            await self._fetch_contacts(lookup, regular)
            claimed = await self._claim(regular, lookup, now)
        return len(due), claimed

    @staticmethod
    def _gathers_rows(row: Row) -> bool:
        """Digests and a cooperative's fan-out read and write several rows: one at a time."""
        return bool(row["digest"]) or row["recipient_kind"] == RecipientKind.coordinators.value

    async def _gather_rows(self, row: Row) -> None:
        async with self._one_at_a_time:
            if row["digest"]:
                await self._send_digest(row)
                return
            try:
                await self._fan_out(row)
            except Unavailable:
                async with self._uow() as uow:
                    await self._postpone(uow, row)
                    await uow.commit()

    async def recover_interrupted(self) -> int:
        now = self._clock.now()
        before = now - timedelta(seconds=self.config.sending_lease_seconds)
        async with self._uow() as uow:
            stale = [
                row
                for row in await repo.stale_sending(uow.session, before)
                if row["id"] not in self._sending_ids  # still being sent by this process
            ]
            for row in stale:
                notification = repo.notification_from_row(row)
                notification.uncertain(now)
                if await repo.save(uow.session, notification):
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

    # -- one round --------------------------------------------------------------------

    async def _claim(self, rows: Sequence[Row], lookup: Lookup, now: datetime) -> list[Send]:
        """Decide for every row and record the decisions and claims in one transaction."""
        steps = [await self._decide(row, lookup, now) for row in rows]
        async with self._uow() as uow:
            claimed = await self._apply(uow, steps, now)
            await uow.commit()
        # From the claim on, until `_send_and_record` is done with them: never "interrupted".
        self._sending_ids |= {step.row["id"] for step in claimed}
        if lookup.registry_down:
            log.warning("registry unavailable; delivery postponed", notifications=len(rows))
        return claimed

    async def _send_and_record(self, claimed: list[Send]) -> None:
        """`_send_claimed`, after which the round's notifications are no longer under way."""
        try:
            await self._send_claimed(claimed)
        finally:
            self._sending_ids -= {step.row["id"] for step in claimed}

    async def _send_claimed(self, claimed: list[Send]) -> None:
        """Send what a round claimed side by side, and record the outcomes in one more
        transaction."""
        gate = asyncio.Semaphore(self.config.concurrency)

        async def send(step: Send) -> tuple[Send, DeliveryError | None]:
            async with gate:
                try:
                    await self._deliver(step.channel, step.row, step.composed)
                except DeliveryError as exc:
                    return step, exc
                return step, None

        outcomes = await asyncio.gather(*(send(step) for step in claimed))
        if not outcomes:
            return
        finished = self._clock.now()
        async with self._uow() as uow:
            lines: list[dict[str, Any]] = []
            sent: dict[tuple[str, int], list[str]] = {}
            for step, error in outcomes:
                if error is None:
                    sent.setdefault((step.channel, step.row["attempts"] + 1), []).append(
                        step.row["id"]
                    )
                    lines.append(
                        repo.attempt(step.row, channel=step.channel, status="sent", at=finished)
                    )
                    self._sent_event(uow, step.row, step.channel)
                else:
                    await self._failed(uow, step, error, lines)
            for (channel, attempts), ids in sent.items():
                await repo.mark_sent(
                    uow.session, ids, channel=channel, attempts=attempts, now=finished
                )
            await repo.log_attempts(uow.session, lines)
            for step, error in outcomes:
                # An erased member's last message: once it is done, forget whose it was
                # (after the log lines above, which are anonymised with it).
                if step.row["snapshot"] and (error is None or self._final(step, error)):
                    await repo.anonymise(uow.session, step.row["id"])
                # A link that opens an account is not kept once its message is out.
                if Template(step.row["template"]) in EMAIL_ONLY_TEMPLATES and (
                    error is None or self._final(step, error)
                ):
                    await repo.forget_link(uow.session, step.row["id"], step.row["recipient_id"])
            await uow.commit()
        if any(error is not None for _, error in outcomes):
            self.wake()  # a retry or the next channel may be due at once

    async def _fetch_contacts(self, lookup: Lookup, rows: Sequence[Row]) -> None:
        wanted: set[str] = set()
        for row in rows:
            if _member(row) and not row["snapshot"]:
                wanted.add(row["recipient_id"])
            if Template(row["template"]) in OTHER_PARTY_TEMPLATES:
                context = row["context"]
                wanted.update(
                    context[key]
                    for key in ("requester_id", "volunteer_id")
                    if context.get(key) and context[key] != row["recipient_id"]
                )
        if not wanted:
            return
        try:
            lookup.contacts = await self._registry.contacts(sorted(wanted))
        except Unavailable:
            lookup.registry_down = True
            return
        lookup.asked = wanted

    async def _decide(self, row: Row, lookup: Lookup, now: datetime) -> Step:
        try:
            composed = await self._compose(row, lookup)
        except Skip as skip:
            return skip.step
        except Unavailable:
            return Postpone(row)
        prefs = composed.recipient.preferences
        cooperative_time = None
        if goes_in_digest(row, prefs) and not prefs.digest_time:
            cooperative_time = await self._cooperative_digest_time(
                lookup, row["context"].get("cooperative_id")
            )
        return decide(
            row,
            composed,
            now,
            cooperative_digest_time=cooperative_time,
            default_digest_time=self.config.digest_time,
        )

    async def _apply(self, uow: UnitOfWork, steps: list[Step], now: datetime) -> list[Send]:
        """Record every decision of a round; returns the sends this worker claimed."""
        items: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []
        for step in steps:
            composed = composed_of(step)
            if composed is not None and not step.row["inbox_done"]:
                items.append(self._inbox_item(step.row, composed, now))
                lines.append(repo.attempt(step.row, channel=INBOX, status="sent", at=now))
        # The inbox items first, in the rows' order, so that two workers on the same rows
        # wait for each other instead of deadlocking.
        await repo.add_inbox_items(uow.session, items)
        sends: dict[str, list[Send]] = {}
        for step in steps:
            row = step.row
            notification = repo.notification_from_row(row)
            if composed_of(step):
                notification.inbox_written()
            match step:
                case Send():
                    sends.setdefault(step.channel, []).append(step)
                case Hold():
                    why = "daily digest" if step.digest else "quiet hours"
                    notification.held_until(step.until, now, digest=step.digest)
                    if await repo.save(uow.session, notification):
                        until = step.until.isoformat(timespec="minutes")
                        lines.append(
                            repo.attempt(
                                row,
                                channel=step.channel,
                                status="held",
                                at=now,
                                error=f"{why} until {until}",
                            )
                        )
                case PassOn():
                    await self._pass_on(uow, notification, composed=step.composed, now=now)
                case FinishInInbox():
                    # No external channel: the inbox item is the message.
                    if row["recipient_kind"] == RecipientKind.cooperative.value:
                        notification = repo.notification_from_row(row)  # no inbox
                        notification.cancelled(now)
                        await repo.save(uow.session, notification, guard=())
                    else:
                        # Guarded: a message cancelled since it was read stays cancelled.
                        notification.finished_in_inbox(now)
                        if await repo.save(uow.session, notification):
                            self._sent_event(uow, row, INBOX)
                case GiveUp():
                    notification.given_up(now)
                    await repo.save(uow.session, notification, guard=())
                case Cancel():
                    notification.cancelled(now)
                    if await repo.save(uow.session, notification):
                        lines.append(
                            repo.attempt(
                                row,
                                channel=repo.CANCELLED_CHANNEL,
                                status=Status.cancelled.value,
                                at=now,
                                error=step.reason,
                            )
                        )
                        log.info(
                            "notification cancelled", notification_id=row["id"], reason=step.reason
                        )
                case RecipientGone():
                    notification.given_up(now, forget=False)
                    await repo.save(uow.session, notification, guard=())
                    lines.append(
                        repo.attempt(
                            row, channel="none", status="failed", at=now, error="recipient unknown"
                        )
                    )
                    self._failed_event(uow, row, "none", "recipient_unknown")
                case Postpone():
                    await self._postpone(uow, row)
        await repo.log_attempts(uow.session, lines)
        claimed: list[Send] = []
        for channel, group in sends.items():
            got = await repo.claim_for_sending(
                uow.session, [step.notification for step in group], channel=channel, now=now
            )
            claimed.extend(step for step in group if step.row["id"] in got)  # others: taken
        return claimed

    def _inbox_item(self, row: Row, composed: Composed, now: datetime) -> dict[str, Any]:
        return {
            "id": new_id(),
            "member_id": row["recipient_id"],
            "notification_id": row["id"],
            "template": row["template"],
            "subject": composed.rendered.subject[:300],
            "body": composed.rendered.text,
            "texts": {
                language: {"subject": message.subject[:300], "body": message.text}
                for language, message in composed.translations.items()
            }
            or None,
            "link": composed.link,
            "created_at": now,
        }

    # -- composing --------------------------------------------------------------------

    async def _contact(self, lookup: Lookup, member_id: str) -> MemberContact | None:
        if member_id in lookup.asked:
            return lookup.contacts.get(member_id)
        if lookup.registry_down:
            raise Unavailable("registry did not answer")
        return await self._registry.contact(member_id)

    async def _preferences(self, lookup: Lookup, member_id: str) -> Preferences:
        if member_id not in lookup.preferences:
            async with self._uow() as uow:
                lookup.preferences[member_id] = await preferences_store.get_preferences(
                    uow.session, member_id
                )
        return lookup.preferences[member_id]

    async def _cooperative_digest_time(
        self, lookup: Lookup, cooperative_id: str | None
    ) -> str | None:
        """The digest time a cooperative chose for its coordinators, if it did (fetched
        ahead for the round; asked for alone otherwise)."""
        if cooperative_id is None:
            return None
        if cooperative_id not in lookup.digest_times:
            async with self._uow() as uow:
                lookup.digest_times |= await preferences_store.cooperative_digest_times(
                    uow.session, [cooperative_id]
                )
        return lookup.digest_times[cooperative_id]

    async def _recipient(self, row: Row, lookup: Lookup) -> Recipient | None:
        if row["recipient_kind"] == RecipientKind.cooperative.value:
            cooperative = await self._registry.cooperative(row["recipient_id"])
            async with self._uow() as uow:
                urls = await preferences_store.get_cooperative_urls(
                    uow.session, row["recipient_id"]
                )
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
        prefs = await self._preferences(lookup, row["recipient_id"])
        contact = await self._contact(lookup, row["recipient_id"])
        if contact is None:
            return None
        template = Template(row["template"])
        recipient = member_recipient(template, row["context"], contact, prefs)
        if needs_passing_on(template, contact, prefs):
            recipient.passed_on_by = task_holders(
                contact.via_coordinator_id, await self._coordinators(lookup, contact.neighbourhood)
            )
        return recipient

    async def _coordinators(self, lookup: Lookup, area_code: str | None) -> list[str]:
        """The coordinators of the cooperative of an area, asked once per round and area."""
        key = area_code or ""
        if key not in lookup.coordinators:
            cooperative = await self._registry.cooperative_of(area_code)
            lookup.coordinators[key] = list(cooperative.coordinator_ids) if cooperative else []
        return lookup.coordinators[key]

    async def _pass_on(
        self, uow: UnitOfWork, notification: Notification, *, composed: Composed, now: datetime
    ) -> None:
        """The task for the member's coordinators (ids, category and times only: the names
        and numbers are looked up when it is read) and the message recorded as passed on."""
        notification.passed_on(now)
        if not await repo.save(uow.session, notification):
            return  # cancelled or taken since it was read
        await tasks_store.add_task(
            uow.session,
            {
                "task_id": new_id(),
                "notification_id": notification.id,
                "member_id": notification.recipient_id,
                "template": notification.template,
                "request_id": notification.request_id,
                "context": dict(notification.context),
                "neighbourhood": notification.neighbourhood,
                "created_at": now,
            },
            composed.recipient.passed_on_by,
        )
        self._sent_event(uow, notification, PASSED_ON)

    async def _compose(self, row: Row, lookup: Lookup) -> Composed:
        recipient = await self._recipient(row, lookup)
        if recipient is None:
            raise Skip(RecipientGone(row))
        template = Template(row["template"])
        context: dict[str, Any] = dict(row["context"])
        others: dict[str, Person] = {}
        if template in OTHER_PARTY_TEMPLATES:
            for key in ("requester_id", "volunteer_id"):
                other_id = context.get(key)
                if other_id and other_id != row["recipient_id"] and other_id not in others:
                    contact = await self._contact(lookup, other_id)
                    if contact is not None:
                        others[other_id] = await self._other_party(lookup, contact)
        links: dict[str, str] = {}
        if template is Template.proposal:
            links = await self._links(row, context, lookup)
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
        translations = {}
        if row["recipient_kind"] == RecipientKind.member.value:  # only members have an inbox
            for language in LANGUAGES:
                if language != recipient.language:
                    other = replace(facts, lang=language)
                    translations[language] = self._renderer.render(
                        template.value, language, message_context(other)
                    )
        return Composed(
            recipient=recipient,
            rendered=rendered,
            link=variables.get("link"),
            translations=translations,
        )

    async def _other_party(self, lookup: Lookup, contact: MemberContact) -> Person:
        """What a message may say of the other side: first name, phone when they agreed to
        share it, and, for someone without e-mail, the coordinator who passes messages on."""
        phone = contact.phone if contact.share_phone_with_match else None
        if phone or contact.email or not contact.via_coordinator_id:
            return Person(contact.first_name, phone)
        coordinator = await self._contact(lookup, contact.via_coordinator_id)
        if coordinator is None:
            return Person(contact.first_name)
        return Person(
            contact.first_name,
            via_name=coordinator.name,
            via_contact=coordinator.phone or coordinator.email,
        )

    async def _links(self, row: Row, context: dict[str, Any], lookup: Lookup) -> dict[str, str]:
        proposal_id = context["proposal_id"]
        if proposal_id in lookup.links:
            link: Row | None = lookup.links[proposal_id]
        else:
            async with self._uow() as uow:
                link = await proposal_links.link_by_proposal(uow.session, proposal_id)
        if link is None or link["state"] != "open":
            raise Skip(Cancel(row, "proposal already answered or withdrawn"))
        expires_at = repo.aware(link["expires_at"])
        assert expires_at is not None
        if expires_at <= self._clock.now():
            raise Skip(Cancel(row, "proposal expired before it could go out"))
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

    # -- sending ----------------------------------------------------------------------

    async def _deliver(self, channel: str, row: Row, composed: Composed) -> None:
        recipient, rendered = composed.recipient, composed.rendered
        if channel == "email":
            assert recipient.email
            await self._email.send(
                Email(
                    to=recipient.email,
                    to_name=recipient.name,
                    subject=rendered.subject,
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
    def _entity(row: Row | Notification) -> Notification:
        return row if isinstance(row, Notification) else repo.notification_from_row(row)

    @staticmethod
    def _area(notification: Notification) -> AreaRef:
        return area_of(notification.municipality, notification.district, notification.neighbourhood)

    def _sent_event(self, uow: UnitOfWork, row: Row | Notification, channel: str) -> None:
        notification = self._entity(row)
        uow.emit(
            NotificationSent(
                notification_id=notification.id,
                recipient_id=notification.recipient_id,
                template=notification.template,
                channel=channel,
            ),
            self._area(notification),
        )

    def _failed_event(
        self, uow: UnitOfWork, row: Row | Notification, channel: str, reason: str
    ) -> None:
        notification = self._entity(row)
        uow.emit(
            NotificationFailed(
                notification_id=notification.id,
                recipient_id=notification.recipient_id,
                template=notification.template,
                channel=channel,
                reason=reason,
            ),
            self._area(notification),
        )

    async def _postpone(self, uow: UnitOfWork, row: Row) -> None:
        now = self._clock.now()
        notification = repo.notification_from_row(row)
        notification.postponed(now + timedelta(seconds=self.config.registry_retry_seconds), now)
        await repo.save(uow.session, notification)

    async def _failed(
        self, uow: UnitOfWork, step: Send, exc: DeliveryError, lines: list[dict[str, Any]]
    ) -> None:
        now = self._clock.now()
        row, channel, notification = step.row, step.channel, step.notification
        attempts = row["attempts"] + 1
        error = redact(str(exc))
        lines.append(repo.attempt(row, channel=channel, status="failed", at=now, error=error))
        match self._after_failure(step, exc, now):
            case Retry(at=at, delay=delay):
                notification.retry_at(at, now)
                await repo.save(uow.session, notification, guard=())
                log.info(
                    "delivery failed, will retry",
                    notification_id=row["id"],
                    channel=channel,
                    attempt=attempts,
                    retry_in=delay.total_seconds(),
                )
                return
            case FallBack(channel=next_channel):
                self._failed_event(uow, row, channel, error)
                notification.next_channel(now)
                await repo.save(uow.session, notification, guard=())
                log.warning(
                    "channel given up, falling back",
                    notification_id=row["id"],
                    channel=channel,
                    next_channel=next_channel,
                )
            case Final():
                self._failed_event(uow, row, channel, error)
                notification.failed(now)
                await repo.save(uow.session, notification, guard=())
                log.warning("every channel failed", notification_id=row["id"])

    @property
    def _retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            attempts_per_channel=self.config.attempts_per_channel,
            base_seconds=self.config.retry_base_seconds,
            cap_seconds=self.config.retry_cap_seconds,
        )

    def _after_failure(self, step: Send, exc: DeliveryError, now: datetime) -> AfterFailure:
        return after_failure(
            attempts=step.row["attempts"],
            channel_index=step.row["channel_index"],
            plan=step.plan,
            transient=exc.transient,
            now=now,
            policy=self._retry_policy,
        )

    def _final(self, step: Send, exc: DeliveryError) -> bool:
        """True when this failure ends the notification: no retry and no channel left."""
        return is_final(
            attempts=step.row["attempts"],
            channel_index=step.row["channel_index"],
            plan=step.plan,
            transient=exc.transient,
            policy=self._retry_policy,
        )

    # -- daily digest -----------------------------------------------------------------

    async def _send_digest(self, row: Row) -> None:
        """Fold every due digest item of one coordinator into one `digest` notification."""
        now = self._clock.now()
        recipient_id = row["recipient_id"]
        async with self._uow() as uow:
            # Claim each item (held -> sent) before folding it in: another replica making the
            # same digest at the same moment gets none of them.
            items = [
                item
                for item in await repo.open_digest_items(uow.session, recipient_id, now)
                if await self._fold_in(uow, item, now)
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

    @staticmethod
    async def _fold_in(uow: UnitOfWork, item: Row, now: datetime) -> bool:
        notification = repo.notification_from_row(item)
        notification.folded_into_digest(now)
        return await repo.save(uow.session, notification, guard=("status",))

    # -- a cooperative's coordinators -------------------------------------------------

    async def _fan_out(self, row: Row) -> None:
        """One message per coordinator, as they are now in the registry."""
        now = self._clock.now()
        cooperative = await self._registry.cooperative(row["recipient_id"])
        coordinator_ids = cooperative.coordinator_ids if cooperative else []
        async with self._uow() as uow:
            # Claimed first, as it was read: an escalation cancelled meanwhile (the request
            # was matched while the registry was asked) is not copied to anyone.
            notification = repo.notification_from_row(row)
            notification.fanned_out(now, to_anyone=bool(coordinator_ids))
            if not await repo.save(uow.session, notification):
                return
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


def _member(row: Row) -> bool:
    return bool(row["recipient_kind"] == RecipientKind.member.value)


def _digest_cooperative(row: Row, preferences: dict[str, Preferences]) -> str | None:
    """The cooperative whose digest time may decide when this row goes out: an escalation
    to a coordinator who chose a daily digest but no time of their own."""
    prefs = preferences.get(row["recipient_id"])
    if (
        row["template"] != Template.escalation.value
        or not _member(row)
        or prefs is None
        or not prefs.daily_digest
        or prefs.digest_time
    ):
        return None
    cooperative_id = (row["context"] or {}).get("cooperative_id")
    return cooperative_id if isinstance(cooperative_id, str) else None
