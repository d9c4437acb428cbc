"""What every part of the delivery worker shares: its settings, its adapters, a round's lookup."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.notify.domain.delivery_rules import Row, Step
from services.notify.domain.links import LinkSigner
from services.notify.domain.model import RecipientKind, Template
from services.notify.domain.records import LinkRecord
from services.notify.service_layer.ports import AppriseChannel, EmailChannel, Registry, Renderer
from services.notify.service_layer.uow import NotifyUnitOfWork
from shared.clock import Clock
from shared.contracts.notify import Preferences
from shared.contracts.registry import MemberContact
from shared.polling import Poller


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
    links: Mapping[str, LinkRecord] = field(default_factory=dict)
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


class WorkerBase:
    """The worker's adapters and settings; the parts below add one job each."""

    def __init__(
        self,
        *,
        uow: Callable[[], NotifyUnitOfWork],
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

    def wake(self) -> None:
        self._poller.wake()


def to_member(row: Row) -> bool:
    return bool(row["recipient_kind"] == RecipientKind.member.value)


def digest_cooperative(row: Row, preferences: dict[str, Preferences]) -> str | None:
    """The cooperative whose digest time may decide when this row goes out: an escalation
    to a coordinator who chose a daily digest but no time of their own."""
    prefs = preferences.get(row["recipient_id"])
    if (
        row["template"] != Template.escalation.value
        or not to_member(row)
        or prefs is None
        or not prefs.daily_digest
        or prefs.digest_time
    ):
        return None
    cooperative_id = (row["context"] or {}).get("cooperative_id")
    return cooperative_id if isinstance(cooperative_id, str) else None
