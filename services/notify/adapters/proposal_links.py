"""Reads and writes of the requests notify knows of and the accept/decline links it sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.adapters.orm import (
    proposal_links,
    requests,
)
from services.notify.adapters.repository import PerDialect, record_values, rows_touched
from services.notify.domain.records import KnownRequest, LinkRecord
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


class ProposalLinkRepository:
    """The accept/decline links and the requests they are about, on one transaction's session
    (implements the service layer's `LinkRepository`)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _rows(self, query: Select[Any]) -> list[RowMapping]:
        return list((await self._session.execute(query)).mappings())

    def upsert_request_later(self, request: KnownRequest, *, keep_requester: bool = False) -> None:
        """Held back like `add_later` of a notification, so the requests of a batch of events
        go out together; either order of the two statements leaves a request as the last
        event described it, with the requester that `request.created` named.

        Skipped when this transaction wrote the same values already: a request's proposals
        arrive with it, in one batch, and each would write the request again unchanged."""
        keep = ("requester_id",) if keep_requester else ()
        values = record_values(request)
        written: dict[str, dict[str, Any]] = self._session.info.setdefault("requests_written", {})
        before = written.get(request.request_id)
        if before is not None and all(before[k] == v for k, v in values.items() if k not in keep):
            return
        insert_later(self._session, _UPSERT_REQUEST[keep](self._session), values)
        kept = {k: before[k] for k in keep} if before is not None else {}
        written[request.request_id] = {**values, **kept}

    async def get_request(self, request_id: str) -> KnownRequest | None:
        rows = await self._rows(select(requests).where(requests.c.request_id == request_id))
        return KnownRequest(**rows[0]) if rows else None

    def add_link_later(self, link: LinkRecord) -> None:
        insert_later(self._session, _ADD_LINK(self._session), record_values(link))

    async def link_by_proposal(self, proposal_id: str) -> LinkRecord | None:
        return (await self.links_by_proposals([proposal_id])).get(proposal_id)

    async def links_by_proposals(self, proposal_ids: Sequence[str]) -> dict[str, LinkRecord]:
        if not proposal_ids:
            return {}
        rows = await self._rows(
            select(proposal_links).where(proposal_links.c.proposal_id.in_(list(proposal_ids)))
        )
        return {row["proposal_id"]: LinkRecord(**row) for row in rows}

    async def link(self, link_id: str) -> LinkRecord | None:
        rows = await self._rows(select(proposal_links).where(proposal_links.c.link_id == link_id))
        return LinkRecord(**rows[0]) if rows else None

    async def use_link(
        self, link_id: str, *, state: str, action: str | None, now: datetime
    ) -> bool:
        result = await self._session.execute(
            update(proposal_links)
            .where(proposal_links.c.link_id == link_id, proposal_links.c.state == "open")
            .values(state=state, used_action=action, used_at=now)
        )
        return bool(rows_touched(result))

    async def close_proposal_link(
        self, proposal_id: str, state: str, *, action: str | None = None
    ) -> None:
        """`action`: the answer given in the app, so the same answer through the link still
        succeeds."""
        await self._session.execute(
            update(proposal_links)
            .where(proposal_links.c.proposal_id == proposal_id, proposal_links.c.state == "open")
            .values(state=state, used_action=action)
        )
