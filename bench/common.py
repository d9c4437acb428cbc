"""What the benchmarks share: a nats-server of their own, load generation, figures."""

import asyncio
import contextlib
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from samen.nats_server import free_port, wait_for_port
from shared import heap

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(latencies_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in latencies_s]
    return {
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "mean_ms": round(statistics.fmean(ms), 2) if ms else float("nan"),
    }


def save(name: str, figures: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    figures = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **figures}
    figures.setdefault("machine", machine())
    path.write_text(json.dumps(figures, indent=2) + "\n")
    return path


def show(title: str, rows: list[tuple[str, Any]]) -> None:
    width = max(len(k) for k, _ in rows)
    print(f"\n{title}")
    print("-" * len(title))
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    sys.stdout.flush()


def load_client(connections: int, timeout: float = 60) -> aiohttp.ClientSession:
    """The HTTP client of the load generators. aiohttp, not httpx: it runs on the same cores
    as the system under test, and httpx spends about ten times its CPU per request."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=timeout),
    )


@dataclass
class LoadResult:
    sent: int
    ok: int
    errors: int
    seconds: float
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


async def constant_rate(
    request: Callable[[], Awaitable[bool]], *, rate: float, seconds: float
) -> LoadResult:
    """Open-loop load: start one request every 1/rate s whatever the earlier ones do, so slow
    answers show up as latency instead of quietly lowering the offered load."""
    interval = 1.0 / rate
    latencies: list[float] = []
    ok = errors = 0
    tasks: set[asyncio.Task[None]] = set()

    async def one(scheduled: float) -> None:
        nonlocal ok, errors
        try:
            good = await request()
        except Exception:
            good = False
        # Latency from when the request was due, not from when it got sent (no coordinated
        # omission).
        latencies.append(time.perf_counter() - scheduled)
        if good:
            ok += 1
        else:
            errors += 1

    with collector_settled():
        start = time.perf_counter()
        n = 0
        while (due := start + n * interval) < start + seconds:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        if tasks:
            await asyncio.wait(tasks, timeout=30)
    return LoadResult(n, ok, errors, time.perf_counter() - start, latencies)


@contextlib.contextmanager
def collector_settled() -> Iterator[None]:
    """The load generator settles its heap as the services do (shared.heap): its own full
    collections, 200-300 ms each on a small machine, would otherwise count as the stack's
    latency."""
    heap.collect_less_often("load generator")
    heap.settle("load generator")
    try:
        yield
    finally:
        gc.unfreeze()  # what a phase leaves behind stays collectable


def wrk(
    url: str, *, seconds: int = 5, connections: int = 32, headers: dict[str, str] | None = None
) -> float:
    """Requests per second from wrk (closed loop, the ceiling), or 0 when wrk is missing."""
    if shutil.which("wrk") is None:
        print("  (wrk not found: `apt-get install wrk` for the HTTP ceilings)")
        return 0.0
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    for key, value in (headers or {}).items():
        cmd += ["-H", f"{key}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(out)


class HelloServer:
    """A bare FastAPI hello endpoint under uvicorn: the HTTP ceiling of this machine."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "HelloServer":
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.hello:app",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=Path(__file__).resolve().parent.parent,
        )
        wait_for_port(self.port)
        httpx.get(f"http://127.0.0.1:{self.port}/hello").raise_for_status()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hello"

    def __exit__(self, *_: object) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
