"""The whole pipeline: requests posted through the gateway at a constant rate, each leading to
proposals (matching) and notifications (notify), on a real NATS and PostgreSQL (SQLite when no
PostgreSQL runs). Utrecht is seeded with 5,000 volunteers first.

For each request: the time from the POST to the first proposal reaching a volunteer (inbox item
written and `notification.sent`). Requests are urgent so that quiet hours never hold them.

Prints the latency at a moderate rate, the sustained rate at a high one, the ratio to the raw
JetStream consume rate measured in the same run, the idle memory of the whole stack and the time
from `samen up` to ready.

The high rate is offered above the 200 requests/s the stack is meant to sustain, so that the
sustained figure is what the stack can do, not what the load generator asked of it. Between
the two phases the databases are analysed, as autovacuum does on a system that has been running
for a while (PostgreSQL; see `BenchStack.refresh_statistics`).

Run: `.venv/bin/python -m bench.pipeline [--volunteers 5000] [--rate 50] [--high-rate 300]`
"""

import argparse
import asyncio
import collections
import contextlib
import csv
import json
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats

from bench.baseline import jetstream_ceilings
from bench.common import constant_rate, load_client, save, show, summary_ms
from bench.stack import (
    LOAD_ENV,
    BenchStack,
    bench_stack,
    cpu_seconds,
    cpu_used_between,
    stack_memory_mb,
)
from shared.contracts import verbs
from shared.events import Envelope, MatchProposed, NotificationSent

UTRECHT_PC4 = Path(__file__).resolve().parent.parent / "shared/data/utrecht/utrecht_pc4_wijk.csv"
OVERVECHT_PC4 = ("3561", "3562", "3563", "3564")
CATEGORIES = ("groceries", "transport", "company", "digital", "odd_jobs", "garden")


def residential_pc4() -> list[str]:
    with UTRECHT_PC4.open() as f:
        return [row["pc4"] for row in csv.DictReader(f) if row["wijk_code"]]


def volunteers_csv(path: Path, count: int) -> None:
    pc4s = residential_pc4()
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            [
                "name",
                "email",
                "postcode",
                "house_number",
                "roles",
                "consent_matching",
                "categories",
                "flexible",
                "radius_km",
                "languages",
            ]
        )
        for n in range(count):
            out.writerow(
                [
                    f"Vrijwilliger {n}",
                    f"v{n}@bench.example",
                    pc4s[n % len(pc4s)],
                    str(n + 1),
                    "resident;volunteer",
                    "ja",
                    ";".join(CATEGORIES[n % 3 : n % 3 + 3]),
                    "ja",
                    "5",
                    "nl",
                ]
            )


def seed_volunteers(bench: BenchStack, count: int) -> float:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "volunteers.csv"
        volunteers_csv(path, count)
        env = dict(bench.stack.env)
        env["SAMEN_DATABASE_URL"] = bench.database_urls["registry"]
        subprocess.run(
            [sys.executable, "-m", "samen", "members", "import", str(path)],
            env=env,
            cwd=bench.stack.repo,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return time.perf_counter() - started


async def wait_for_read_model(nats_url: str, timeout: float = 600) -> None:
    """Until registry published everything and matching and notify caught up."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    deadline = time.monotonic() + timeout
    quiet = 0
    try:
        while time.monotonic() < deadline:
            pending = 0
            for durable in ("matching", "notify"):
                info = await js.consumer_info("SAMEN_EVENTS", durable)
                pending += info.num_pending + info.num_ack_pending
            health = await nc.request(verbs.health("registry").subject, b"{}", timeout=5)
            registry_backlog = int(json.loads(health.data)["result"]["outbox_backlog"])
            quiet = quiet + 1 if pending == 0 and registry_backlog == 0 else 0
            if quiet >= 3:
                return
            await asyncio.sleep(1)
    finally:
        await nc.close()
    raise TimeoutError("the services did not catch up with the seeded volunteers")


class Watcher:
    """Follows match.proposed and notification.sent to time each request's first delivery."""

    def __init__(self) -> None:
        self.posted: dict[str, float] = {}  # when each POST was due
        self.answered: dict[str, float] = {}  # when the gateway answered it (201)
        self.proposed: dict[str, float] = {}  # when its first match.proposed was seen
        self.delivered: dict[str, float] = {}
        self.proposed_to: dict[str, collections.deque[str]] = collections.defaultdict(
            collections.deque
        )
        self.seen: set[str] = set()

    async def start(self, url: str) -> None:
        self.nc = await nats.connect(url)
        await self.nc.subscribe("samen.evt.match.proposed.>", cb=self._proposed)
        await self.nc.subscribe("samen.evt.notification.sent.>", cb=self._sent)

    def _first_time(self, event: Envelope) -> bool:
        # Core NATS shows a publish that JetStream dropped as a duplicate (an outbox row
        # published twice) as well: each event counts once.
        if event.event_id in self.seen:
            return False
        self.seen.add(event.event_id)
        return True

    async def _proposed(self, msg: Any) -> None:
        now = time.perf_counter()
        event = Envelope.model_validate_json(msg.data)
        if self._first_time(event):
            data = event.payload(MatchProposed)
            self.proposed_to[data.volunteer_id].append(data.request_id)
            self.proposed.setdefault(data.request_id, now)

    async def _sent(self, msg: Any) -> None:
        now = time.perf_counter()
        event = Envelope.model_validate_json(msg.data)
        if not self._first_time(event):
            return
        data = event.payload(NotificationSent)
        if data.template != "proposal":
            return
        queue = self.proposed_to.get(data.recipient_id)
        if queue:
            request_id = queue.popleft()
            self.delivered.setdefault(request_id, now)

    def latencies(self, request_ids: list[str]) -> list[float]:
        return [self.delivered[r] - self.posted[r] for r in request_ids if r in self.delivered]

    def stages(self, request_ids: list[str]) -> dict[str, dict[str, float]]:
        """Where the time from POST to delivery went, per stage (p50/p99 ms): the POST's answer
        (gateway and matching's transaction), the proposal's event reaching NATS (matching's
        outbox relay), and notify (consumer, delivery round, `notification.sent`)."""
        done = [r for r in request_ids if r in self.delivered and r in self.proposed]
        stages = {
            "post_answered": [self.answered[r] - self.posted[r] for r in done],
            "proposal_published": [max(0.0, self.proposed[r] - self.answered[r]) for r in done],
            "notify_delivered": [self.delivered[r] - self.proposed[r] for r in done],
        }
        return {
            name: {k: v for k, v in summary_ms(values).items() if k in ("p50_ms", "p99_ms")}
            for name, values in stages.items()
        }

    async def stop(self) -> None:
        await self.nc.close()


async def residents(base: str, count: int) -> list[dict[str, str]]:
    headers = []
    async with httpx.AsyncClient(timeout=30) as client:
        for n in range(count):
            email = f"bewoner-{uuid.uuid4().hex[:8]}@bench.example"
            body = {
                "name": f"Bewoner {n}",
                "email": email,
                "password": "lang-genoeg-wachtwoord",
                "postcode": OVERVECHT_PC4[n % len(OVERVECHT_PC4)],
                "house_number": str(n + 1),
                # Without it no request of theirs goes to volunteers: a coordinator handles it.
                "matching": True,
            }
            (await client.post(f"{base}/api/v1/auth/register", json=body)).raise_for_status()
            login = await client.post(
                f"{base}/api/v1/auth/login",
                json={"email": email, "password": body["password"]},
            )
            login.raise_for_status()
            headers.append({"Authorization": f"Bearer {login.json()['access_token']}"})
    return headers


@dataclass
class Loaded:
    """A seeded stack, ready for load: the watcher of its deliveries and residents to post as."""

    bench: BenchStack
    watcher: Watcher
    auth: list[dict[str, str]]

    async def phase(self, rate: float, seconds: float) -> dict[str, Any]:
        return await run_phase(self.bench.stack.url, self.watcher, self.auth, rate, seconds)

    async def warm_up(self, rate: float, seconds: float) -> None:
        """A phase that is not measured, after which the databases are analysed (see
        `BenchStack.refresh_statistics`)."""
        await self.phase(rate, seconds)
        await self.bench.refresh_statistics()


@contextlib.asynccontextmanager
async def seeded(bench: BenchStack, volunteers: int) -> AsyncIterator[Loaded]:
    """Seed `volunteers`, wait for the read models, sign in 20 residents and watch."""
    seed_volunteers(bench, volunteers)
    await wait_for_read_model(bench.nats.url)
    auth = await residents(bench.stack.url, 20)
    watcher = Watcher()
    await watcher.start(bench.nats.url)
    try:
        yield Loaded(bench, watcher, auth)
    finally:
        await watcher.stop()


async def run_phase(
    base: str, watcher: Watcher, auth: list[dict[str, str]], rate: float, seconds: float
) -> dict[str, Any]:
    ids: list[str] = []
    refused: collections.Counter[int] = collections.Counter()  # by HTTP status
    counter = 0
    # Open loop: a request waits for a free connection when the gateway falls behind, and that
    # wait counts in its latency (measured from when it was due). More connections only make
    # the load generator and uvicorn burn the CPU the services need on a small machine.
    async with load_client(connections=64) as client:

        async def post() -> bool:
            nonlocal counter
            counter += 1
            scheduled = time.perf_counter()
            async with client.post(
                f"{base}/api/v1/requests",
                headers=auth[counter % len(auth)],
                json={"category": "groceries", "description": "Boodschappen", "urgent": True},
            ) as response:
                if response.status != 201:
                    refused[response.status] += 1
                    return False
                request_id = (await response.json())["id"]
            watcher.answered[request_id] = time.perf_counter()
            watcher.posted[request_id] = scheduled
            ids.append(request_id)
            return True

        started = time.perf_counter()
        load = await constant_rate(post, rate=rate, seconds=seconds)
    deadline = time.perf_counter() + 60
    pending = lambda: any(r not in watcher.delivered for r in ids)  # noqa: E731
    while time.perf_counter() < deadline and pending():  # noqa: ASYNC110 - filled by callbacks
        await asyncio.sleep(0.2)
    latencies = watcher.latencies(ids)
    last = max((watcher.delivered[r] for r in ids if r in watcher.delivered), default=started)
    return {
        "offered_per_s": rate,
        # Accepted by the gateway, however late (an overloaded gateway answers after the phase).
        "posted": len(ids),
        "post_errors": load.sent - len(ids),
        # 503: a service too busy to answer within the gateway's timeout (shed, not lost).
        "post_refused_by_status": {str(k): v for k, v in sorted(refused.items())},
        "delivered": len(latencies),
        "sustained_per_s": round(len(latencies) / max(last - started, 1e-9), 1),
        **summary_ms(latencies),
        "stages": watcher.stages(ids),
    }


async def measure(volunteers: int, rate: float, high_rate: float, seconds: float) -> dict[str, Any]:
    figures: dict[str, Any] = {"volunteers": volunteers}
    with bench_stack(LOAD_ENV) as bench:
        figures["database"] = bench.database
        figures["ready_after_s"] = round(bench.stack.ready_after, 2)
        print(f"samen up ready in {figures['ready_after_s']} s; seeding {volunteers} volunteers")
        figures["seed_import_s"] = round(seed_volunteers(bench, volunteers), 1)
        await wait_for_read_model(bench.nats.url)
        await asyncio.sleep(3)
        figures["idle_memory_mb"] = stack_memory_mb(bench.stack)
        auth = await residents(bench.stack.url, 20)
        watcher = Watcher()
        await watcher.start(bench.nats.url)
        try:
            print(f"phase 1: {rate}/s for {seconds} s")
            figures["at_rate"] = await run_phase(bench.stack.url, watcher, auth, rate, seconds)
            await bench.refresh_statistics()  # the tables have grown: see refresh_statistics
            print(f"phase 2: {high_rate}/s for {seconds} s")
            before = cpu_seconds(bench.stack)
            figures["at_high_rate"] = await run_phase(
                bench.stack.url, watcher, auth, high_rate, seconds
            )
            used = cpu_used_between(before, cpu_seconds(bench.stack))
            delivered = max(figures["at_high_rate"]["delivered"], 1)
            if bench.database != "postgresql":
                used.pop("postgres", None)  # another user's server, not part of this stack
            figures["cpu_ms_per_request"] = {
                name: round(1000 * used[name] / delivered, 2) for name in sorted(used)
            }
        finally:
            await watcher.stop()
        ceilings = await jetstream_ceilings(bench.nats.url, messages=20_000)
        figures["raw_consume_msgs_per_s"] = ceilings["consume_msgs_per_s"]
    figures["sustained_ratio_to_raw_consume"] = round(
        figures["at_high_rate"]["sustained_per_s"] / figures["raw_consume_msgs_per_s"], 4
    )
    return figures


def stage_line(stages: dict[str, dict[str, float]]) -> str:
    names = {
        "post_answered": "POST answered",
        "proposal_published": "then proposal published",
        "notify_delivered": "then delivered",
    }
    return ", ".join(
        f"{names[k]} {v.get('p50_ms')} / {v.get('p99_ms')} ms" for k, v in stages.items()
    )


def refusals(phase: dict[str, Any]) -> str:
    """Why POSTs failed: HTTP statuses, or no answer before the client gave up."""
    if not phase["post_errors"]:
        return ""
    by_status = phase["post_refused_by_status"]
    unanswered = phase["post_errors"] - sum(by_status.values())
    parts = [f"{n} x HTTP {status}" for status, n in by_status.items()]
    if unanswered:
        parts.append(f"{unanswered} unanswered")
    return ": " + ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--volunteers", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--high-rate", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    f = asyncio.run(measure(args.volunteers, args.rate, args.high_rate, args.seconds))
    low, high = f["at_rate"], f["at_high_rate"]
    show(
        f"Pipeline: POST /requests -> proposal delivered "
        f"({f['database']}, {f['volunteers']} volunteers)",
        [
            (
                f"at {low['offered_per_s']}/s: p50 / p95 / p99",
                f"{low['p50_ms']} / {low['p95_ms']} / {low['p99_ms']} ms "
                f"({low['delivered']} of {low['posted']} delivered)",
            ),
            (
                f"  where the time went at {low['offered_per_s']}/s (p50 / p99)",
                stage_line(low["stages"]),
            ),
            (
                f"at {high['offered_per_s']}/s: sustained",
                f"{high['sustained_per_s']}/s, p99 {high['p99_ms']} ms "
                f"({high['delivered']} of {high['posted']} delivered, "
                f"{high['post_errors']} errors{refusals(high)})",
            ),
            (
                "CPU per request at the high rate",
                ", ".join(f"{k} {v} ms" for k, v in f["cpu_ms_per_request"].items()),
            ),
            ("raw JetStream consume (same run)", f"{f['raw_consume_msgs_per_s']:,} msg/s"),
            ("sustained / raw consume", f"{f['sustained_ratio_to_raw_consume']}"),
            ("idle memory of the whole stack", f"{f['idle_memory_mb']} MB"),
            ("samen up -> ready", f"{f['ready_after_s']} s"),
            (f"seeding {f['volunteers']:,} volunteers (import)", f"{f['seed_import_s']} s"),
        ],
    )
    print(f"\nsaved to {save('pipeline_' + f['database'], f)}")


if __name__ == "__main__":
    main()
