"""A hostile body against the whole stack: how long the gateway takes to refuse a 10 MB JSON
document of a million keys (with a Content-Length, and streamed without one), and how fast
/healthz answers meanwhile.

    python -m bench.hostile_input [--rounds 5]
"""

import argparse
import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from bench.common import save, show, summary_ms
from bench.stack import bench_stack

HOSTILE = json.dumps({f"k{n}": n for n in range(1_000_000)}).encode()


async def streamed(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def one_round(url: str, *, chunked: bool) -> tuple[int, float, list[float]]:
    """(status, seconds to refuse the hostile request, /healthz latencies meanwhile)."""
    latencies: list[float] = []
    async with (
        httpx.AsyncClient(base_url=url, timeout=60) as hostile,
        httpx.AsyncClient(base_url=url, timeout=60) as health,
    ):
        started = time.perf_counter()
        attack = asyncio.create_task(
            hostile.post(
                "/api/v1/auth/login",
                content=streamed(HOSTILE) if chunked else HOSTILE,
                headers={"content-type": "application/json"},
            )
        )
        while not attack.done() or not latencies:
            before = time.perf_counter()
            assert (await health.get("/healthz")).status_code == 200
            latencies.append(time.perf_counter() - before)
        response = await attack
        return response.status_code, time.perf_counter() - started, latencies


async def measure(url: str, rounds: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"body_bytes": len(HOSTILE), "rounds": rounds}
    for chunked in (False, True):
        statuses, seconds, latencies = set(), [], []
        for _ in range(rounds):
            status, took, during = await one_round(url, chunked=chunked)
            statuses.add(status)
            seconds.append(took)
            latencies.extend(during)
        figures["chunked" if chunked else "with_length"] = {
            "statuses": sorted(statuses),
            "refused_in": summary_ms(seconds),
            "healthz_during": summary_ms(latencies),
            "healthz_samples": len(latencies),
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with bench_stack() as stack:
        figures = asyncio.run(measure(stack.stack.url, args.rounds))

    def line(part: dict[str, Any]) -> str:
        return (
            f"status {part['statuses']}, refused in p50 {part['refused_in']['p50_ms']} ms "
            f"(p99 {part['refused_in']['p99_ms']} ms); /healthz meanwhile p50 "
            f"{part['healthz_during']['p50_ms']} ms, p99 {part['healthz_during']['p99_ms']} ms"
        )

    show(
        f"A hostile body ({figures['body_bytes']:,} bytes of JSON, a million keys)",
        [
            ("with Content-Length", line(figures["with_length"])),
            ("streamed (chunked)", line(figures["chunked"])),
        ],
    )
    print(f"\nsaved to {save('hostile_input', figures)}")


if __name__ == "__main__":
    main()
