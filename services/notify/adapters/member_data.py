"""Forgetting one member on erasure: messages that named them are scrubbed, their own are
deleted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.adapters.orm import (
    delivery_attempts,
    inbox_items,
    notifications,
    preferences,
    proposal_links,
    requests,
)
from services.notify.domain.model import OPEN_STATUSES, Status


def rows_touched(result: Any) -> int:
    """Rows an INSERT/UPDATE/DELETE touched."""
    return int(result.rowcount)


MENTIONING = ("request_matched", "match_confirmed", "reminder", "thanks_requester")
SCRUBBED_SUBJECT = "Bericht verwijderd / Message removed"
SCRUBBED_BODY = (
    "Dit bericht noemde iemand die Samen heeft verlaten. Daarom is het verwijderd.\n"
    "This message named someone who has left Samen, so it has been removed.\n"
)


async def _scrub_mentions(session: AsyncSession, member_id: str) -> int:
    """Other members' messages that name this member (first name, shared phone): the inbox
    keeps that they got a message, not what it said about the erased member."""
    sources = (
        select(requests.c.request_id).where(requests.c.requester_id == member_id),
        select(proposal_links.c.request_id).where(proposal_links.c.volunteer_id == member_id),
        select(notifications.c.request_id).where(
            notifications.c.recipient_id == member_id, notifications.c.request_id.is_not(None)
        ),
    )
    request_ids: set[str] = set()
    for source in sources:
        request_ids.update((await session.execute(source)).scalars())
    if not request_ids:
        return 0
    mentioning = select(notifications.c.id).where(
        notifications.c.request_id.in_(request_ids),
        notifications.c.template.in_(MENTIONING),
        notifications.c.recipient_id != member_id,
    )
    result = await session.execute(
        update(inbox_items)
        .where(inbox_items.c.notification_id.in_(mentioning))
        .values(subject=SCRUBBED_SUBJECT, body=SCRUBBED_BODY)
    )
    return rows_touched(result)


async def erase_member(session: AsyncSession, member_id: str) -> int:
    """Delete what notify holds about a member. A pending erasure confirmation stays until it
    has gone out (it holds the only copy of the address, see docs/notify.md)."""
    keep = and_(
        notifications.c.template == "erasure_confirmed",
        notifications.c.status.in_([s.value for s in (*OPEN_STATUSES, Status.sending)]),
    )
    counts = await _scrub_mentions(session, member_id)
    for statement in (
        delete(inbox_items).where(inbox_items.c.member_id == member_id),
        delete(delivery_attempts).where(
            delivery_attempts.c.recipient_id == member_id,
            delivery_attempts.c.template != "erasure_confirmed",
        ),
        delete(notifications).where(notifications.c.recipient_id == member_id, ~keep),
        delete(preferences).where(preferences.c.member_id == member_id),
        delete(proposal_links).where(proposal_links.c.volunteer_id == member_id),
        delete(requests).where(requests.c.requester_id == member_id),
    ):
        counts += rows_touched(await session.execute(statement))
    return counts
