"""Recording what a round decided and what its sends came to: status, delivery log, events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

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
    RecipientGone,
    Retry,
    RetryPolicy,
    Row,
    Send,
    Step,
    after_failure,
    composed_of,
    is_final,
)
from services.notify.domain.messages import DeliveryError
from services.notify.domain.model import (
    EMAIL_ONLY_TEMPLATES,
    RecipientKind,
    Status,
    Template,
    redact,
)
from services.notify.domain.notification import INBOX, Notification
from services.notify.domain.passing_on import PASSED_ON
from services.notify.domain.records import CANCELLED_CHANNEL, DeliveryLine, InboxEntry, Task
from services.notify.service_layer.delivery.compose import Compose
from services.notify.service_layer.uow import NotifyUnitOfWork
from shared.areas import area_of
from shared.events import NotificationFailed, NotificationSent
from shared.ids import new_id
from shared.logging import correlation, get_logger

log = get_logger(__name__)


class Outcomes(Compose):
    async def _apply(self, uow: NotifyUnitOfWork, steps: list[Step], now: datetime) -> list[Send]:
        """Record every decision of a round; returns the sends this worker claimed."""
        items: list[InboxEntry] = []
        lines: list[DeliveryLine] = []
        for step in steps:
            composed = composed_of(step)
            if composed is not None and not step.row["inbox_done"]:
                items.append(self._inbox_item(step.row, composed, now))
                lines.append(DeliveryLine.about(step.row, channel=INBOX, status="sent", at=now))
        # The inbox items first, in the rows' order, so that two workers on the same rows
        # wait for each other instead of deadlocking.
        await uow.notifications.add_inbox_items(items)
        sends: dict[str, list[Send]] = {}
        for step in steps:
            row = step.row
            notification = Notification.from_row(row)
            if composed_of(step):
                notification.inbox_written()
            match step:
                case Send():
                    sends.setdefault(step.channel, []).append(step)
                case Hold():
                    why = "daily digest" if step.digest else "quiet hours"
                    notification.held_until(step.until, now, digest=step.digest)
                    if await uow.notifications.save(notification):
                        until = step.until.isoformat(timespec="minutes")
                        lines.append(
                            DeliveryLine.about(
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
                        notification = Notification.from_row(row)  # no inbox
                        notification.cancelled(now)
                        await uow.notifications.save(notification, guard=())
                    else:
                        # Guarded: a message cancelled since it was read stays cancelled.
                        notification.finished_in_inbox(now)
                        if await uow.notifications.save(notification):
                            self._sent_event(uow, row, INBOX)
                case GiveUp():
                    notification.given_up(now)
                    await uow.notifications.save(notification, guard=())
                case Cancel():
                    notification.cancelled(now)
                    if await uow.notifications.save(notification):
                        lines.append(
                            DeliveryLine.about(
                                row,
                                channel=CANCELLED_CHANNEL,
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
                    await uow.notifications.save(notification, guard=())
                    lines.append(
                        DeliveryLine.about(
                            row, channel="none", status="failed", at=now, error="recipient unknown"
                        )
                    )
                    self._failed_event(uow, row, "none", "recipient_unknown")
                case Postpone():
                    await self._postpone(uow, row)
        await uow.notifications.log(lines)
        claimed: list[Send] = []
        for channel, group in sends.items():
            got = await uow.notifications.claim_for_sending(
                [step.notification for step in group], channel=channel, now=now
            )
            claimed.extend(step for step in group if step.row["id"] in got)  # others: taken
        return claimed

    async def _pass_on(
        self,
        uow: NotifyUnitOfWork,
        notification: Notification,
        *,
        composed: Composed,
        now: datetime,
    ) -> None:
        """The task for the member's coordinators (ids, category and times only: the names
        and numbers are looked up when it is read) and the message recorded as passed on."""
        notification.passed_on(now)
        if not await uow.notifications.save(notification):
            return  # cancelled or taken since it was read
        await uow.tasks.add_task(
            Task(
                task_id=new_id(),
                notification_id=notification.id,
                member_id=notification.recipient_id,
                template=notification.template,
                request_id=notification.request_id,
                context=dict(notification.context),
                neighbourhood=notification.neighbourhood,
                created_at=now,
            ),
            composed.recipient.passed_on_by,
        )
        self._sent_event(uow, notification, PASSED_ON)

    async def _record_outcomes(self, outcomes: Sequence[tuple[Send, DeliveryError | None]]) -> None:
        """Record what each send of a round came to, in one transaction."""
        finished = self._clock.now()
        async with self._uow() as uow:
            lines: list[DeliveryLine] = []
            sent: dict[tuple[str, int], list[str]] = {}
            for step, error in outcomes:
                if error is None:
                    sent.setdefault((step.channel, step.row["attempts"] + 1), []).append(
                        step.row["id"]
                    )
                    lines.append(
                        DeliveryLine.about(
                            step.row, channel=step.channel, status="sent", at=finished
                        )
                    )
                    self._sent_event(uow, step.row, step.channel)
                else:
                    await self._failed(uow, step, error, lines)
            for (channel, attempts), ids in sent.items():
                await uow.notifications.mark_sent(
                    ids, channel=channel, attempts=attempts, now=finished
                )
            await uow.notifications.log(lines)
            for step, error in outcomes:
                # An erased member's last message: once it is done, forget whose it was
                # (after the log lines above, which are anonymised with it).
                if step.row["snapshot"] and (error is None or self._final(step, error)):
                    await uow.notifications.anonymise(step.row["id"])
                # A link that opens an account is not kept once its message is out.
                if Template(step.row["template"]) in EMAIL_ONLY_TEMPLATES and (
                    error is None or self._final(step, error)
                ):
                    await uow.notifications.forget_link(step.row["id"], step.row["recipient_id"])
            await uow.commit()
        if any(error is not None for _, error in outcomes):
            self.wake()  # a retry or the next channel may be due at once

    def _sent_event(self, uow: NotifyUnitOfWork, row: Row | Notification, channel: str) -> None:
        self._announce(uow, row, NotificationSent, channel=channel)

    def _failed_event(
        self, uow: NotifyUnitOfWork, row: Row | Notification, channel: str, reason: str
    ) -> None:
        self._announce(uow, row, NotificationFailed, channel=channel, reason=reason)

    @staticmethod
    def _announce(
        uow: NotifyUnitOfWork,
        row: Row | Notification,
        kind: type[NotificationSent | NotificationFailed],
        **outcome: str,
    ) -> None:
        """What became of a notification, logged and announced in its area under the
        correlation id of the work that caused it."""
        n = row if isinstance(row, Notification) else Notification.from_row(row)
        with correlation(n.correlation_id):
            log.info(
                "message sent" if kind is NotificationSent else "message failed",
                notification_id=n.id,
                template=n.template,
                **outcome,
            )
            uow.emit(
                kind(
                    notification_id=n.id,
                    recipient_id=n.recipient_id,
                    template=n.template,
                    **outcome,
                ),
                area_of(n.municipality, n.district, n.neighbourhood),
            )

    async def _postpone(self, uow: NotifyUnitOfWork, row: Row) -> None:
        now = self._clock.now()
        notification = Notification.from_row(row)
        notification.postponed(now + timedelta(seconds=self.config.registry_retry_seconds), now)
        await uow.notifications.save(notification)

    async def _failed(
        self, uow: NotifyUnitOfWork, step: Send, exc: DeliveryError, lines: list[DeliveryLine]
    ) -> None:
        now = self._clock.now()
        row, channel, notification = step.row, step.channel, step.notification
        attempts = row["attempts"] + 1
        error = redact(str(exc))
        lines.append(DeliveryLine.about(row, channel=channel, status="failed", at=now, error=error))
        match self._after_failure(step, exc, now):
            case Retry(at=at, delay=delay):
                notification.retry_at(at, now)
                await uow.notifications.save(notification, guard=())
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
                await uow.notifications.save(notification, guard=())
                log.warning(
                    "channel given up, falling back",
                    notification_id=row["id"],
                    channel=channel,
                    next_channel=next_channel,
                )
            case Final():
                self._failed_event(uow, row, channel, error)
                notification.failed(now)
                await uow.notifications.save(notification, guard=())
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
