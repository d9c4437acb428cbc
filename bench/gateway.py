"""The gateway under load: an authenticated `GET /api/v1/requests/{id}` and `POST
/api/v1/requests`, each compared with the bare FastAPI hello endpoint measured in the same run.

- ceiling: requests/s with wrk (closed loop, 32 connections) for hello (at the start and at
  the end, the better run counts) and the read;
- latency: p50/p99 at a constant arrival rate (open loop, so slow answers are not hidden);
- the read again on a second stack with the gateway's caches off, so every read costs a
  session transaction and a round trip to matching (what a cache miss costs).

Run: `.venv/bin/python -m bench.gateway [--seconds 10] [--rate 200] [--post-rate 20]`
"""

import argparse
import asyncio
import os
import uuid
from typing import Any

import httpx

from bench.common import HelloServer, constant_rate, load_client, save, show, summary_ms, wrk
from bench.stack import bench_stack


async def sign_up(client: httpx.AsyncClient, base: str) -> dict[str, str]:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.nl"
    body = {
        "name": "Bench Bewoner",
        "email": email,
        "password": "lang-genoeg-wachtwoord",
        "postcode": "3561AB",
        "house_number": "81",
        "matching": True,  # its requests go to volunteers, as a resident's normally do
    }
    (await client.post(f"{base}/api/v1/auth/register", json=body)).raise_for_status()
    login = await client.post(
        f"{base}/api/v1/auth/login", json={"email": email, "password": body["password"]}
    )
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def open_loop(url: str, rate: float, seconds: float, **kwargs: Any) -> dict[str, Any]:
    method = kwargs.pop("method", "GET")
    async with load_client(connections=200, timeout=10) as client:

        async def one() -> bool:
            async with client.request(method, url, **kwargs) as response:
                await response.read()
                return response.status < 400

        result = await constant_rate(one, rate=rate, seconds=seconds)
    return {
        "offered_per_s": rate,
        "achieved_per_s": round(result.rate, 1),
        "errors": result.errors,
        **summary_ms(result.latencies),
    }


async def one_request(base: str) -> tuple[dict[str, str], str]:
    """A new resident with one request: (their bearer header, the request's address)."""
    async with httpx.AsyncClient(timeout=30) as client:
        auth = await sign_up(client, base)
        created = await client.post(
            f"{base}/api/v1/requests",
            json={"category": "groceries", "description": "Boodschappen op dinsdag"},
            headers=auth,
        )
        created.raise_for_status()
    return auth, f"{base}/api/v1/requests/{created.json()['id']}"


STACK_ENV = {"SAMEN_REGISTER_ATTEMPTS": "1000"}
CACHES_OFF = {"SAMEN_SESSION_CACHE_SECONDS": "0", "SAMEN_REQUEST_CACHE_SECONDS": "0"}


async def measure(seconds: float, rate: float, post_rate: float) -> dict[str, Any]:
    figures: dict[str, Any] = {"load_average_at_start": os.getloadavg()}
    hello_runs: list[float] = []
    with HelloServer() as hello:
        wrk(hello.url, seconds=2)
        hello_runs.append(wrk(hello.url, seconds=int(seconds)))
        figures["hello_at_rate"] = await open_loop(hello.url, rate, seconds)
    with bench_stack(STACK_ENV) as bench:
        base = bench.stack.url
        figures["database"] = bench.database
        auth, read_url = await one_request(base)
        wrk(read_url, seconds=2, headers=auth)
        figures["read_max_per_s"] = wrk(read_url, seconds=int(seconds), headers=auth)
        figures["read_at_rate"] = await open_loop(read_url, rate, seconds, headers=auth)
        figures["post_at_rate"] = await open_loop(
            f"{base}/api/v1/requests",
            post_rate,
            seconds,
            method="POST",
            headers=auth,
            json={"category": "groceries", "description": "Boodschappen", "urgent": True},
        )
    with bench_stack({**STACK_ENV, **CACHES_OFF}) as bench:
        auth, read_url = await one_request(bench.stack.url)
        wrk(read_url, seconds=2, headers=auth)
        figures["read_uncached_max_per_s"] = wrk(read_url, seconds=int(seconds), headers=auth)
    # Hello once more at the end; the ratio is taken to the better of the two runs, so other
    # work on the machine during the first one cannot flatter the gateway.
    with HelloServer() as hello:
        wrk(hello.url, seconds=2)
        hello_runs.append(wrk(hello.url, seconds=int(seconds)))
    figures["load_average_at_end"] = os.getloadavg()
    figures["hello_runs_per_s"] = hello_runs
    figures["hello_max_per_s"] = max(hello_runs)
    hello_max = figures["hello_max_per_s"] or float("nan")
    figures["read_ratio_to_hello"] = round(figures["read_max_per_s"] / hello_max, 3)
    figures["read_uncached_ratio_to_hello"] = round(
        figures["read_uncached_max_per_s"] / hello_max, 3
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=200, help="reads per second (open loop)")
    parser.add_argument("--post-rate", type=float, default=20, help="POSTs per second")
    args = parser.parse_args()
    f = asyncio.run(measure(args.seconds, args.rate, args.post_rate))

    def at(part: dict[str, Any]) -> str:
        return (
            f"{part['achieved_per_s']}/s of {part['offered_per_s']}/s offered, "
            f"p50 {part['p50_ms']} ms, p99 {part['p99_ms']} ms, errors {part['errors']}"
        )

    show(
        f"Gateway ({f['database']})",
        [
            (
                "bare hello, max (wrk), better of two runs",
                f"{f['hello_max_per_s']:,.0f} req/s "
                f"({' and '.join(f'{v:,.0f}' for v in f['hello_runs_per_s'])})",
            ),
            ("authenticated GET /requests/{id}, max (wrk)", f"{f['read_max_per_s']:,.0f} req/s"),
            ("  ratio to hello (target >= 0.35)", f"{f['read_ratio_to_hello']:.3f}"),
            (
                "the same GET, caches off, max (wrk)",
                f"{f['read_uncached_max_per_s']:,.0f} req/s "
                f"(ratio {f['read_uncached_ratio_to_hello']:.3f})",
            ),
            ("bare hello at constant rate", at(f["hello_at_rate"])),
            ("authenticated GET at constant rate", at(f["read_at_rate"])),
            ("POST /requests at constant rate", at(f["post_at_rate"])),
            (
                "load average at start / end",
                " / ".join(
                    ", ".join(f"{v:.2f}" for v in f[key])
                    for key in ("load_average_at_start", "load_average_at_end")
                ),
            ),
        ],
    )
    print(f"\nsaved to {save('gateway', f)}")


if __name__ == "__main__":
    main()
