"""Where the pipeline's CPU goes: the stack of `bench.pipeline` under a constant load, with
`py-spy record` attached to every service for the same seconds.

Writes each service's folded stacks to `bench/results/profiles/<service>.folded` (open them in
speedscope or turn them into a flame graph with `flamegraph.pl`) and prints, per service, the
functions holding the most samples: on CPU (`self`) and including what they call (`total`).
Only the thread holding the GIL is sampled, so waiting for work does not count.

Run: `.venv/bin/python -m bench.profile [--rate 60] [--seconds 20] [--top 20]`
(py-spy comes with the dev install; it needs the right to trace the services' processes).
"""

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
from pathlib import Path

from bench.common import RESULTS
from bench.pipeline import seeded
from bench.stack import LOAD_ENV, SERVICES, bench_stack, service_pids

PROFILES = RESULTS / "profiles"


def py_spy() -> str:
    beside_python = Path(sys.executable).parent / "py-spy"
    return str(beside_python) if beside_python.exists() else shutil.which("py-spy") or "py-spy"


def record(pid: int, seconds: float, out: Path, rate_hz: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            py_spy(),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            str(rate_hz),
            "--gil",  # only the thread holding the GIL: Python's CPU, not threads at rest
            "--format",
            "raw",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def summarise(folded: Path, top: int) -> tuple[int, list[tuple[str, int, int]]]:
    """(samples, [(function, self, total)]) of one folded-stack file. py-spy records with
    `--gil`, so every sample is a moment the service ran Python: no idle samples to drop."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in folded.read_text().splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = stack_text.split(";")
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    names = [name for name, _ in own.most_common(top)]
    names += [name for name, _ in total.most_common(top * 3) if name not in names]
    rows = [(name, own[name], total[name]) for name in names]
    return samples, rows


async def profile(rate: float, seconds: float, volunteers: int, rate_hz: int) -> None:
    with bench_stack(LOAD_ENV) as bench:
        print(f"seeding {volunteers} volunteers")
        async with seeded(bench, volunteers) as loaded:
            # Warm up first so that the profile shows the steady state, not first-use costs.
            await loaded.warm_up(rate, 5)
            PROFILES.mkdir(parents=True, exist_ok=True)
            pids = service_pids(bench.stack)
            recorders = [
                record(pids[name], seconds, PROFILES / f"{name}.folded", rate_hz)
                for name in SERVICES
            ]
            await asyncio.sleep(0.5)  # py-spy attaches
            phase = await loaded.phase(rate, seconds)
            for recorder in recorders:
                await asyncio.to_thread(recorder.wait)
            print(
                f"{phase['delivered']} of {phase['posted']} requests delivered at "
                f"{rate}/s; p50 {phase['p50_ms']} ms, p99 {phase['p99_ms']} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=60)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--volunteers", type=int, default=5000)
    parser.add_argument("--sample-rate", type=int, default=200, help="samples per second")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument(
        "--only-summarise", action="store_true", help="print the saved profiles again"
    )
    args = parser.parse_args()
    if not args.only_summarise:
        asyncio.run(profile(args.rate, args.seconds, args.volunteers, args.sample_rate))
    for name in SERVICES:
        folded = PROFILES / f"{name}.folded"
        if not folded.exists():
            continue
        samples, rows = summarise(folded, args.top)
        print(f"\n{name}: {samples} samples on CPU")
        print(f"  {'self':>6} {'total':>6}  function")
        every = max(samples, 1)
        for function, own, total in rows[: args.top * 2]:
            print(f"  {own / every:6.1%} {total / every:6.1%}  {function[:110]}")


if __name__ == "__main__":
    main()
