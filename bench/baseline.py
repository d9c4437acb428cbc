"""This machine's own ceilings, measured in the same run as the other figures:

- a bare FastAPI hello endpoint under uvicorn (requests/s, wrk, closed loop);
- raw nats-py JetStream publish with acks, pipelined (messages/s);
- raw nats-py JetStream pull consume with acks (messages/s).

Run: `.venv/bin/python -m bench.baseline`
"""

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import nats
from nats.js.api import StreamConfig

from bench.common import HelloServer, save, show, wrk
from samen.nats_server import NatsServer

MESSAGES = 50_000
PAYLOAD = (
    b'{"event_id":"0196f3a0-0000-7000-8000-000000000001","type":"request.created",'
    + b"x" * 400
    + b"}"
)


async def jetstream_ceilings(url: str, messages: int = MESSAGES) -> dict[str, float]:
    nc = await nats.connect(url)
    js = nc.jetstream(publish_async_max_pending=4000)
    await js.add_stream(StreamConfig(name="BENCH", subjects=["bench.>"], duplicate_window=120))
    started = time.perf_counter()
    futures = [
        await js.publish_async(f"bench.evt.{n % 16}", PAYLOAD, headers={"Nats-Msg-Id": f"m-{n}"})
        for n in range(messages)
    ]
    await asyncio.gather(*futures)
    publish_rate = messages / (time.perf_counter() - started)

    sub = await js.pull_subscribe("bench.>", durable="bench", stream="BENCH")
    received = 0
    started = time.perf_counter()
    while received < messages:
        batch = await sub.fetch(500, timeout=5)
        for msg in batch:
            await msg.ack()
        received += len(batch)
    consume_rate = messages / (time.perf_counter() - started)
    await nc.close()
    return {"publish_msgs_per_s": round(publish_rate), "consume_msgs_per_s": round(consume_rate)}


def measure() -> dict[str, Any]:
    with HelloServer() as hello:
        wrk(hello.url, seconds=2)  # warm up
        hello_rate = wrk(hello.url, seconds=5)
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp) / "js") as server:
        ceilings = asyncio.run(jetstream_ceilings(server.url))
    return {"hello_requests_per_s": round(hello_rate), **ceilings}


def main() -> None:
    figures = measure()
    show(
        "Baseline: this machine's ceilings",
        [
            (
                "bare FastAPI hello (uvicorn, 1 worker)",
                f"{figures['hello_requests_per_s']:,} req/s",
            ),
            ("JetStream publish with acks (pipelined)", f"{figures['publish_msgs_per_s']:,} msg/s"),
            ("JetStream pull consume with acks", f"{figures['consume_msgs_per_s']:,} msg/s"),
        ],
    )
    print(f"\nsaved to {save('baseline', figures)}")


if __name__ == "__main__":
    main()
