"""What notify keeps besides its notifications, as its repositories hand it to the use cases:
the requests it words messages about, the accept/decline links it sent, the in-app inbox, the
delivery log and the coordinators' tasks. Ids, categories and times only: contact details are
asked of the registry when they are needed and never kept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.ids import new_id

CANCELLED_CHANNEL = "none"  # the delivery log's channel of a message that never went out


@dataclass(frozen=True)
class KnownRequest:
    """A help request as the events about it described it."""

    request_id: str
    requester_id: str
    category: str
    urgent: bool = False
    needed_from: datetime | None = None
    needed_until: datetime | None = None


@dataclass(frozen=True)
class LinkRecord:
    """The accept/decline link sent with one proposal, and what became of it."""

    link_id: str
    proposal_id: str
    request_id: str
    volunteer_id: str
    expires_at: datetime
    state: str = "open"  # open | used (through a link) | answered | withdrawn | expired
    used_action: str | None = None  # the answer given: accept | decline
    used_at: datetime | None = None


@dataclass(frozen=True)
class OpenMessages:
    """The messages not yet sent about a request, of these templates (and, given, to this
    recipient or about this proposal): what an event about the request may make stale."""

    request_id: str
    templates: tuple[str, ...]
    recipient_id: str | None = None
    proposal_id: str | None = None

    def covers(self, notification: Mapping[Any, Any]) -> bool:
        """Whether a notification of the request, open and of one of the templates, is one."""
        return self.recipient_id in (None, notification["recipient_id"]) and (
            self.proposal_id in (None, (notification["context"] or {}).get("proposal_id"))
        )


@dataclass(frozen=True)
class InboxEntry:
    """One message in a member's in-app inbox; `texts` holds it in the other languages."""

    id: str
    member_id: str
    notification_id: str
    template: str
    subject: str
    body: str
    created_at: datetime
    texts: dict[str, dict[str, str]] | None = None
    link: str | None = None
    read_at: datetime | None = None


@dataclass(frozen=True)
class DeliveryLine:
    """One line of the delivery log: a try, a hold, a cancel or an outcome."""

    notification_id: str
    recipient_id: str
    template: str
    channel: str
    status: str
    at: datetime
    error: str | None = None
    municipality: str | None = None
    district: str | None = None
    neighbourhood: str | None = None
    id: str = field(default_factory=new_id)

    @classmethod
    def about(
        cls,
        notification: Mapping[Any, Any],
        *,
        channel: str,
        status: str,
        at: datetime,
        error: str | None = None,
    ) -> DeliveryLine:
        """The line about a notification (as read: its row's columns)."""
        return cls(
            notification_id=notification["id"],
            recipient_id=notification["recipient_id"],
            template=notification["template"],
            channel=channel,
            status=status,
            at=at,
            error=error,
            municipality=notification["municipality"],
            district=notification["district"],
            neighbourhood=notification["neighbourhood"],
        )

    @property
    def area_code(self) -> str | None:
        return self.neighbourhood or self.district or self.municipality


@dataclass(frozen=True)
class Task:
    """A message a member without e-mail should hear, for their coordinators to pass on."""

    task_id: str
    notification_id: str
    member_id: str
    template: str
    context: dict[str, Any]
    created_at: datetime
    request_id: str | None = None
    neighbourhood: str | None = None
    done_at: datetime | None = None
    done_by: str | None = None
