"""The delivery rounds: read what is due, decide, claim, send side by side, and recover
sends a crash interrupted (the sending lease)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from services.notify.domain.delivery_rules import (
    Composed,
    Postpone,
    Row,
    Send,
    Step,
    decide,
    goes_in_digest,
)
from services.notify.domain.messages import DeliveryError, Email
from services.notify.domain.model import Template, message_id
from services.notify.domain.notification import Notification
from services.notify.domain.records import DeliveryLine
from services.notify.service_layer.delivery.base import Lookup, Skip, digest_cooperative, to_member
from services.notify.service_layer.delivery.digest import Digest
from shared.errors import Unavailable
from shared.logging import get_logger
from shared.polling import AT_ONCE

log = get_logger(__name__)


class DeliveryWorker(Digest):
    """Notify's delivery worker: each part it is built of does one job (see the package)."""

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
            due = await uow.notifications.due(now, self.config.batch)
            regular = [row for row in due if not self._gathers_rows(row)]
            prefs = await uow.preferences.preferences_of(
                sorted({r["recipient_id"] for r in regular if to_member(r) and not r["snapshot"]}),
            )
            lookup = Lookup(
                preferences=prefs,
                digest_times=await uow.preferences.cooperative_digest_times(
                    sorted(
                        {
                            cooperative_id
                            for row in regular
                            if (cooperative_id := digest_cooperative(row, prefs))
                        }
                    ),
                ),
                links=await uow.links.links_by_proposals(
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

    async def recover_interrupted(self) -> int:
        now = self._clock.now()
        before = now - timedelta(seconds=self.config.sending_lease_seconds)
        async with self._uow() as uow:
            stale = [
                row
                for row in await uow.notifications.stale_sending(before)
                if row["id"] not in self._sending_ids  # still being sent by this process
            ]
            for row in stale:
                notification = Notification.from_row(row)
                notification.uncertain(now)
                if await uow.notifications.save(notification):
                    line = DeliveryLine.about(
                        row,
                        channel=row["sending_channel"] or "unknown",
                        status="unknown",
                        at=now,
                        error="interrupted while sending; not sent again",
                    )
                    await uow.notifications.log([line])
                    log.warning("delivery outcome unknown", notification_id=row["id"])
            await uow.commit()
        return len(stale)

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
        await self._record_outcomes(outcomes)

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
