"""Notifications that read and write several rows: a coordinator's daily digest and a
cooperative's message copied to each of its coordinators."""

from __future__ import annotations

from datetime import datetime

from services.notify.domain.delivery_rules import Row
from services.notify.domain.model import RecipientKind, Status, Template, idempotency_key
from services.notify.domain.notification import Notification
from services.notify.service_layer.delivery.outcomes import Outcomes
from services.notify.service_layer.uow import NotifyUnitOfWork
from shared.errors import Unavailable
from shared.ids import new_id
from shared.logging import get_logger

log = get_logger(__name__)


class Digest(Outcomes):
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

    async def _send_digest(self, row: Row) -> None:
        """Fold every due digest item of one coordinator into one `digest` notification."""
        now = self._clock.now()
        recipient_id = row["recipient_id"]
        async with self._uow() as uow:
            # Claim each item (held -> sent) before folding it in: another replica making the
            # same digest at the same moment gets none of them.
            items = [
                item
                for item in await uow.notifications.open_digest_items(recipient_id, now)
                if await self._fold_in(uow, item, now)
            ]
            if not items:
                return
            day = now.date().isoformat()
            await uow.notifications.add(
                Notification(
                    id=new_id(),
                    idempotency_key=idempotency_key(
                        f"digest-{day}-{items[0]['id']}", recipient_id, Template.digest.value
                    ),
                    event_id=items[0]["event_id"],
                    recipient_id=recipient_id,
                    recipient_kind=RecipientKind.member,
                    template=Template.digest.value,
                    status=Status.pending,
                    due_at=now,
                    context={
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
                    municipality=row["municipality"],
                    inbox_done=True,  # each escalation is in the inbox already
                    created_at=now,
                    updated_at=now,
                )
            )
            for item in items:
                self._sent_event(uow, item, "digest")
            await uow.commit()
        self.wake()

    @staticmethod
    async def _fold_in(uow: NotifyUnitOfWork, item: Row, now: datetime) -> bool:
        notification = Notification.from_row(item)
        notification.folded_into_digest(now)
        return await uow.notifications.save(notification, guard=("status",))

    async def _fan_out(self, row: Row) -> None:
        """One message per coordinator, as they are now in the registry."""
        now = self._clock.now()
        cooperative = await self._registry.cooperative(row["recipient_id"])
        coordinator_ids = cooperative.coordinator_ids if cooperative else []
        async with self._uow() as uow:
            # Claimed first, as it was read: an escalation cancelled meanwhile (the request
            # was matched while the registry was asked) is not copied to anyone.
            notification = Notification.from_row(row)
            notification.fanned_out(now, to_anyone=bool(coordinator_ids))
            if not await uow.notifications.save(notification):
                return
            for coordinator_id in coordinator_ids:
                await uow.notifications.add(
                    Notification(
                        **{k: row[k] for k in COPIED},
                        id=new_id(),
                        idempotency_key=idempotency_key(
                            row["event_id"], coordinator_id, row["template"]
                        ),
                        recipient_id=coordinator_id,
                        recipient_kind=RecipientKind.member,
                        status=Status.pending,
                        due_at=now,
                        created_at=now,
                        updated_at=now,
                    )
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
