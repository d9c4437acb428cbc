"""The notice board's state: the open help requests of one area, from events alone.

Only what the events carry and a notice on a wall may show: category, when, neighbourhood,
since when, urgent, and whether a volunteer has been asked or the social broker has it. No
names, no addresses, no member ids: the requester's id in `request.created` is never stored.

`request.created` opens a request; `match.proposed` marks that a volunteer was asked;
`request.escalated` that the social broker has it; `request.matched`, `request.cancelled`,
`request.expired` and `request.completed` take it off the board. Applying an event twice
changes nothing (the durable consumer may redeliver), and a closed request never reopens.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from shared.categories import Category
from shared.events import (
    Envelope,
    MatchProposed,
    RequestCancelled,
    RequestCompleted,
    RequestCreated,
    RequestEscalated,
    RequestExpired,
    RequestMatched,
)

Status = Literal["open", "asked", "escalated"]
CLOSING = (RequestMatched, RequestCancelled, RequestExpired, RequestCompleted)
EVENTS = (RequestCreated, MatchProposed, RequestEscalated, *CLOSING)


@dataclass(frozen=True)
class OpenRequest:
    request_id: str
    category: Category
    neighbourhood: str | None
    district: str | None
    needed_from: datetime | None
    needed_until: datetime | None
    urgent: bool
    since: datetime
    status: Status

    @property
    def reference(self) -> str:
        """A short code a visitor can mention to the host ("I can help with 4KQ7Z")."""
        return self.request_id[-5:].upper()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    request_id TEXT PRIMARY KEY,
    category TEXT NOT NULL,
    neighbourhood TEXT,
    district TEXT,
    needed_from TEXT,
    needed_until TEXT,
    urgent INTEGER NOT NULL,
    since TEXT NOT NULL,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS closed (request_id TEXT PRIMARY KEY);
"""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class Board:
    """The open requests of an area, kept in a small SQLite file (or in memory)."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self.version = 0  # goes up with every change (the page shows when it changed)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        with self._db:  # one transaction
            yield self._db.cursor()

    def apply(self, event: Envelope) -> bool:
        """Apply one event; True when the board changed."""
        if event.type == RequestCreated.TYPE:
            created = event.payload(RequestCreated)
            with self._write() as cur:
                if cur.execute(
                    "SELECT 1 FROM closed WHERE request_id = ?", (created.request_id,)
                ).fetchone():
                    return False
                cur.execute(
                    "INSERT OR IGNORE INTO requests VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open')",
                    (
                        created.request_id,
                        created.category.value,
                        event.area.neighbourhood,
                        event.area.district,
                        _iso(created.needed_from),
                        _iso(created.needed_until),
                        int(created.urgent),
                        _iso(event.occurred_at),
                    ),
                )
                changed = cur.rowcount > 0
        elif event.type == MatchProposed.TYPE:
            changed = self._set_status(event.payload(MatchProposed).request_id, "asked", "open")
        elif event.type == RequestEscalated.TYPE:
            request_id = event.payload(RequestEscalated).request_id
            changed = self._set_status(request_id, "escalated", "open", "asked")
        elif any(event.type == model.TYPE for model in CLOSING):
            request_id = str(event.data["request_id"])
            with self._write() as cur:
                cur.execute("INSERT OR IGNORE INTO closed VALUES (?)", (request_id,))
                cur.execute("DELETE FROM requests WHERE request_id = ?", (request_id,))
                changed = cur.rowcount > 0
        else:
            return False
        if changed:
            self.version += 1
        return changed

    def _set_status(self, request_id: str, status: Status, *from_states: str) -> bool:
        marks = ", ".join("?" for _ in from_states)
        with self._write() as cur:
            cur.execute(
                f"UPDATE requests SET status = ? WHERE request_id = ? AND status IN ({marks})",
                (status, request_id, *from_states),
            )
            return cur.rowcount > 0

    def open_requests(self) -> list[OpenRequest]:
        """Urgent first, then the soonest needed, then the oldest."""
        rows = self._db.execute(
            "SELECT request_id, category, neighbourhood, district, needed_from, needed_until,"
            " urgent, since, status FROM requests"
        ).fetchall()
        requests = [
            OpenRequest(
                request_id=row[0],
                category=Category(row[1]),
                neighbourhood=row[2],
                district=row[3],
                needed_from=_dt(row[4]),
                needed_until=_dt(row[5]),
                urgent=bool(row[6]),
                since=_dt(row[7]) or datetime.min,
                status=row[8],
            )
            for row in rows
        ]
        far = datetime.max.isoformat()
        return sorted(
            requests,
            key=lambda r: (
                not r.urgent,
                r.needed_from.isoformat() if r.needed_from else far,
                r.since.isoformat(),
                r.request_id,
            ),
        )
