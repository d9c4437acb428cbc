"""Notify's delivery rate, end to end: `match.proposed` events in JetStream to e-mails received
by a real SMTP server (aiosmtpd), through notify's consumer, its database (SQLite), the
registry's contact reply (a responder on the same nats-server) and template rendering.

Figures: messages/s for a burst, and the time from publishing an event to its e-mail
arriving (p50/p95/p99) for spaced single events. One notify process, one delivery worker.
With `--inbox-only` the members have no e-mail address: the figure is events handled into
the in-app inbox per second (what docs/operations.md asks for).

Run: `.venv/bin/python -m bench.notify [--messages 300] [--inbox-only]`
"""

import argparse
import asyncio
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from faststream.nats import NatsBroker
from sqlalchemy import select

from bench.common import save, show, summary_ms
from samen.nats_server import NatsServer, free_port
from services.notify.adapters.orm import inbox_items as inbox_items_table
from services.notify.bootstrap import assemble
from services.notify.config import NotifySettings
from services.notify.service_layer.delivery import DeliveryConfig
from shared.areas import AreaRef
from shared.contracts.registry import (
    AREAS_GET,
    MEMBER_CONTACT,
    MEMBER_CONTACTS,
    AreaCode,
    AreaInfo,
    MemberContact,
    MemberContactList,
    MemberRef,
    MemberRefs,
)
from shared.events import MatchProposed, envelope
from shared.ids import new_id
from shared.rpc import register_rpc
from shared.settings import Settings
from shared.subjects import EVENTS_STREAM

AREA = AreaRef(municipality="GM0344", district="WK034405", neighbourhood="BU03440510")


class Inbox:
    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}  # To address -> monotonic time

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        for rcpt in envelope.rcpt_tos:
            self.arrived[rcpt] = time.perf_counter()
        return "250 OK"


async def run(messages: int, spaced: int, inbox_only: bool = False) -> dict[str, Any]:
    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp) / "js") as nats:
        registry = NatsBroker(nats.url)

        async def contact(request: MemberRef) -> MemberContact:
            return MemberContact(
                member_id=request.member_id,
                name="Fatima El Amrani",
                first_name="Fatima",
                email=None if inbox_only else f"{request.member_id}@example.org",
            )

        async def contacts(request: MemberRefs) -> MemberContactList:
            return MemberContactList(
                contacts=[await contact(MemberRef(member_id=m)) for m in request.member_ids]
            )

        async def area(request: AreaCode) -> AreaInfo:
            return AreaInfo(
                code=request.code,
                level="neighbourhood",
                name="Overvecht-Noord",
                municipality_code="GM0344",
            )

        register_rpc(registry, MEMBER_CONTACT, contact)
        register_rpc(registry, MEMBER_CONTACTS, contacts)
        register_rpc(registry, AREAS_GET, area)
        await registry.start()
        settings = Settings(
            env="test",
            nats_url=nats.url,
            data_dir=Path(tmp) / "data",
            log_level="WARNING",
            secret_key=secrets.token_urlsafe(48),
        )
        notify = assemble(
            settings,
            delivery=DeliveryConfig(poll_seconds=0.2),
            own=NotifySettings(smtp_url=f"smtp://127.0.0.1:{smtp_port}"),
        )
        await notify.runtime.start()
        broker = notify.runtime.broker

        async def publish(volunteer_id: str) -> None:
            event = envelope(
                MatchProposed(
                    proposal_id=new_id(),
                    request_id=new_id(),
                    volunteer_id=volunteer_id,
                    category="groceries",
                    round=1,
                    urgent=True,  # never held by quiet hours, whatever the time of the run
                    expires_at=datetime.now(UTC) + timedelta(hours=4),
                ),
                source="bench",
                area=AREA,
            )
            await broker.publish(
                event.model_dump_json().encode(),
                event.subject,
                stream=EVENTS_STREAM,
                headers={"Nats-Msg-Id": event.event_id},
            )

        async def inbox_items() -> dict[str, float]:
            async with notify.runtime.sessions() as session:
                rows = await session.execute(select(inbox_items_table.c.member_id))
                for (member_id,) in rows.all():
                    inbox.arrived.setdefault(f"{member_id}@example.org", time.perf_counter())
            return inbox.arrived

        async def wait_for(count: int, timeout: float = 300) -> None:
            deadline = time.perf_counter() + timeout
            while len(inbox.arrived) < count:
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"only {len(inbox.arrived)} of {count} messages arrived")
                await asyncio.sleep(0.005)
                if inbox_only:
                    await inbox_items()

        # Latency: one event at a time.
        latencies = []
        for n in range(spaced):
            started = time.perf_counter()
            await publish(f"single-{n}")
            await wait_for(n + 1)
            latencies.append(inbox.arrived[f"single-{n}@example.org"] - started)

        # Throughput: a burst.
        started = time.perf_counter()
        await asyncio.gather(*(publish(f"burst-{n}") for n in range(messages)))
        await wait_for(spaced + messages)
        elapsed = time.perf_counter() - started

        await notify.runtime.stop()
        await registry.stop()
    controller.stop()
    return {
        "channel": "inbox" if inbox_only else "email",
        "burst_messages": messages,
        "burst_seconds": round(elapsed, 2),
        "messages_per_s": round(messages / elapsed, 1),
        "event_to_email": summary_ms(latencies),
        "spaced_samples": spaced,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--spaced", type=int, default=50)
    parser.add_argument("--inbox-only", action="store_true", help="members without e-mail")
    args = parser.parse_args()
    figures = asyncio.run(run(args.messages, args.spaced, args.inbox_only))
    path = save("notify_inbox" if args.inbox_only else "notify", figures)
    latency = figures["event_to_email"]
    show(
        f"notify: match.proposed -> {figures['channel']} (SQLite, one worker)",
        [
            ("burst", f"{figures['burst_messages']} in {figures['burst_seconds']} s"),
            ("throughput", f"{figures['messages_per_s']} messages/s"),
            ("event -> delivered p50", f"{latency['p50_ms']} ms"),
            ("event -> delivered p95", f"{latency['p95_ms']} ms"),
            ("event -> delivered p99", f"{latency['p99_ms']} ms"),
            ("saved", str(path)),
        ],
    )


if __name__ == "__main__":
    main()
