"""Two versions of the code on the same machine at the same time: the working tree and another
revision (`--base`, checked out into a temporary git worktree), each as a whole stack of its own
(`bench.stack`), seeded alike. Phases of requests at a constant rate alternate between the two
(A B, B A, A B, ...), so that a machine whose speed drifts, or another job on it, weighs on both
alike; one run of `bench.pipeline` before and one after a change cannot tell a few per cent
from that drift. Prints per phase and, at the end, the median per version of the CPU each part
of the stack spent per request and the latency from POST to delivery.

Run: `.venv/bin/python -m bench.compare [--base HEAD~1] [--rate 30] [--seconds 12] [--rounds 6]`
"""

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import save, show
from bench.pipeline import Loaded, seeded
from bench.stack import LOAD_ENV, bench_stack, cpu_seconds, cpu_used_between
from samen.stack import REPO


@dataclass
class Side:
    label: str
    loaded: Loaded
    figures: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.figures.setdefault(name, []).append(value)


@contextlib.contextmanager
def worktree(revision: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="samen-compare-") as tmp:
        path = Path(tmp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(path), revision],
            cwd=REPO,
            check=True,
        )
        try:
            yield path
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(path)], cwd=REPO, check=False
            )


async def phase(side: Side, rate: float, seconds: float) -> str:
    bench = side.loaded.bench
    before = cpu_seconds(bench.stack, bench.database_urls)
    result = await side.loaded.phase(rate, seconds)
    used = cpu_used_between(before, cpu_seconds(bench.stack, bench.database_urls))
    delivered = max(result["delivered"], 1)
    per_request = {name: 1000 * cpu / delivered for name, cpu in used.items()}
    for name, ms in per_request.items():
        side.add(name, ms)
    # PostgreSQL as a whole (the pipeline's figure), then per service's database and the rest
    side.add("postgres, all", sum(ms for name, ms in per_request.items() if "postgres" in name))
    side.add("whole stack", sum(per_request.values()))
    side.add("p50", result["p50_ms"])
    side.add("p99", result["p99_ms"])
    return (
        f"{side.label}: {sum(per_request.values()):.1f} ms CPU per request, "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
        f"{result['delivered']} of {result['posted']} delivered"
    )


async def compare(base: str, rate: float, seconds: float, rounds: int, volunteers: int) -> None:
    async with contextlib.AsyncExitStack() as stacks:
        base_tree = stacks.enter_context(worktree(base))
        sides: list[Side] = []
        for label, repo in ((f"base ({base})", base_tree), ("working tree", REPO)):
            print(f"starting {label}, seeding {volunteers} volunteers", flush=True)
            bench = stacks.enter_context(bench_stack(LOAD_ENV, repo=repo))
            loaded = await stacks.enter_async_context(seeded(bench, volunteers))
            await loaded.warm_up(rate, 4)
            sides.append(Side(label, loaded))
        for number in range(rounds):
            order = sides if number % 2 == 0 else sides[::-1]
            for side in order:
                print(f"round {number + 1}/{rounds}, {await phase(side, rate, seconds)}")
        base_side, work_side = sides
        figures: dict[str, dict[str, float]] = {}
        rows: list[tuple[str, str]] = []
        names = sorted(set(base_side.figures) - {"whole stack", "p50", "p99"})
        for name in ["whole stack", *names, "p50", "p99"]:
            before = statistics.median(base_side.figures.get(name, [0.0]))
            after = statistics.median(work_side.figures.get(name, [0.0]))
            change = f"{100 * (after - before) / before:+.1f} %" if before else "—"
            unit = "ms" if name in ("p50", "p99") else "ms CPU per request"
            rows.append((f"{name} ({unit})", f"{before:.2f} -> {after:.2f}  ({change})"))
            figures[name] = {"base": round(before, 2), "working_tree": round(after, 2)}
    title = f"Medians over {rounds} phases of {seconds:g} s at {rate:g}/s: {base} -> working tree"
    show(title, rows)
    save("compare", {"base": base, "rate": rate, "seconds": seconds, "rounds": rounds, **figures})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="HEAD~1", help="the revision to compare with")
    parser.add_argument("--rate", type=float, default=30)
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--volunteers", type=int, default=3000)
    args = parser.parse_args()
    asyncio.run(compare(args.base, args.rate, args.seconds, args.rounds, args.volunteers))


if __name__ == "__main__":
    main()
