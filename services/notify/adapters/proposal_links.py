"""Reads and writes of the requests notify knows of and the accept/decline links it sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.adapters.orm import (
    proposal_links,
    requests,
)
from services.notify.adapters.repository import PerDialect, rows_touched
from shared.write_behind import insert_later

_ADD_LINK = PerDialect(
    lambda insert: insert(proposal_links).on_conflict_do_nothing(index_elements=["proposal_id"])
)


def _upsert_request(keep: tuple[str, ...]) -> PerDialect:
    def build(insert: Any) -> Any:
        statement = insert(requests)
        return statement.on_conflict_do_update(
            index_elements=["request_id"],
            set_={
                c.name: statement.excluded[c.name]
                for c in requests.columns
                if c.name != "request_id" and c.name not in keep
            },
        )

    return PerDialect(build)


_UPSERT_REQUEST: dict[tuple[str, ...], PerDialect] = {
    keep: _upsert_request(keep) for keep in ((), ("requester_id",))
}


# ---------------------------------------------------------------- requests and links


def upsert_request_later(
    session: AsyncSession, values: dict[str, Any], *, keep: tuple[str, ...] = ()
) -> None:
    """Insert or update what notify knows of a request (every column); `keep` names columns
    that an update leaves as they are: () or ("requester_id",). Held back like
    `add_notification_later`, so the requests of a batch of events go out together; either
    order of the two statements leaves a request as the last event described it, with the
    requester that `request.created` named.

    Skipped when this transaction wrote the same values already: a request's proposals
    arrive with it, in one batch, and each would write the request again unchanged."""
    written: dict[str, dict[str, Any]] = session.info.setdefault("requests_written", {})
    before = written.get(values["request_id"])
    if before is not None and all(before[k] == v for k, v in values.items() if k not in keep):
        return
    insert_later(session, _UPSERT_REQUEST[keep](session), values)
    kept = {k: before[k] for k in keep} if before is not None else {}
    written[values["request_id"]] = {**values, **kept}


async def get_request(session: AsyncSession, request_id: str) -> RowMapping | None:
    result = await session.execute(select(requests).where(requests.c.request_id == request_id))
    return result.mappings().first()


def add_link_later(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert unless the proposal has its link already, held back like
    `add_notification_later`: the link that went out first stays."""
    insert_later(session, _ADD_LINK(session), values)


async def link_by_proposal(session: AsyncSession, proposal_id: str) -> RowMapping | None:
    result = await session.execute(
        select(proposal_links).where(proposal_links.c.proposal_id == proposal_id)
    )
    return result.mappings().first()


async def links_by_proposals(
    session: AsyncSession, proposal_ids: Sequence[str]
) -> dict[str, RowMapping]:
    if not proposal_ids:
        return {}
    result = await session.execute(
        select(proposal_links).where(proposal_links.c.proposal_id.in_(list(proposal_ids)))
    )
    return {row["proposal_id"]: row for row in result.mappings()}


async def link(session: AsyncSession, link_id: str) -> RowMapping | None:
    result = await session.execute(
        select(proposal_links).where(proposal_links.c.link_id == link_id)
    )
    return result.mappings().first()


async def use_link(
    session: AsyncSession, link_id: str, *, state: str, action: str | None, now: datetime
) -> bool:
    """Open -> state, atomically: True for the one caller that changed it."""
    result = await session.execute(
        update(proposal_links)
        .where(proposal_links.c.link_id == link_id, proposal_links.c.state == "open")
        .values(state=state, used_action=action, used_at=now)
    )
    return bool(rows_touched(result))


async def close_proposal_link(
    session: AsyncSession, proposal_id: str, state: str, *, action: str | None = None
) -> None:
    """An open link closes with what happened to its proposal (`action`: the answer given in
    the app, so the same answer through the link still succeeds); a used one stays as it is."""
    await session.execute(
        update(proposal_links)
        .where(proposal_links.c.proposal_id == proposal_id, proposal_links.c.state == "open")
        .values(state=state, used_action=action)
    )


class ProposalLinkRepository:
    """The accept/decline links and the requests they are about, on one transaction's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def upsert_request_later(self, values: dict[str, Any], *, keep: tuple[str, ...] = ()) -> None:
        return upsert_request_later(self._session, values, keep=keep)

    async def get_request(self, request_id: str) -> RowMapping | None:
        return await get_request(self._session, request_id)

    def add_link_later(self, values: dict[str, Any]) -> None:
        return add_link_later(self._session, values)

    async def link_by_proposal(self, proposal_id: str) -> RowMapping | None:
        return await link_by_proposal(self._session, proposal_id)

    async def links_by_proposals(self, proposal_ids: Sequence[str]) -> dict[str, RowMapping]:
        return await links_by_proposals(self._session, proposal_ids)

    async def link(self, link_id: str) -> RowMapping | None:
        return await link(self._session, link_id)

    async def use_link(
        self, link_id: str, *, state: str, action: str | None, now: datetime
    ) -> bool:
        return await use_link(self._session, link_id, state=state, action=action, now=now)

    async def close_proposal_link(
        self, proposal_id: str, state: str, *, action: str | None = None
    ) -> None:
        return await close_proposal_link(self._session, proposal_id, state, action=action)
