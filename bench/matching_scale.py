"""Does the cost of one match grow with the number of volunteers elsewhere?

Seeds 1,000 / 100,000 / 1,000,000 volunteers into a fresh matching database (SQLite, bulk
inserts): Utrecht's 111 real neighbourhoods plus synthetic municipalities of 10 districts x 10
neighbourhoods each, about 1,000 volunteers per municipality (so 1k = Utrecht alone, 1M =
Utrecht and 999 others). Then runs 1,000 matches at each size (after 100 unmeasured ones, in
blocks of 50 taking turns between the sizes, so noise from the rest of the machine falls on
every size alike): the whole `request.create` use case (read the requester's home, look
candidates up through the (category, area) indexes, rank them, write the request, its
proposals, its timers and the outbox rows, commit), each request in a random neighbourhood of
a random municipality.

Prints p50/p99 per match per size (wall clock, and the CPU time of this process, which other
load on the machine does not inflate) and the ratio 1M : 1k (target: p99 at 1M within 2x of
p99 at 1k, and under 20 ms), plus SQLite's query plan for the candidate lookup and the load
average during the run.

Run: `.venv/bin/python -m bench.matching_scale [--sizes 1000,100000,1000000] [--matches 1000]`
"""

import argparse
import asyncio
import gc
import json
import os
import random
import sqlite3
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import save, show, summary_ms
from services.matching.adapters.centroids import Centroids
from services.matching.adapters.orm import messaging
from services.matching.bootstrap import MIGRATIONS
from services.matching.service_layer.uow import SqlMatchingUnitOfWork
from services.matching.service_layer.usecases import Context, create_request
from shared.categories import Category
from shared.clock import FrozenClock
from shared.contracts.matching import RequestCreate
from shared.db import create_engine, session_factory
from shared.migrations import upgrade_sync

PER_MUNICIPALITY = 1_000
WARMUP = 100  # matches run before measuring, at every size
CATEGORIES = [c.value for c in Category]
UTRECHT = "GM0344"


def utrecht_neighbourhoods(centroids: Centroids) -> list[str]:
    return sorted(code for code in centroids if code.startswith("BU0344"))


def synthetic_municipality(
    n: int, rng: random.Random
) -> tuple[str, dict[str, tuple[float, float]]]:
    """GM1000+n: 10 districts of 10 neighbourhoods on a grid ~0.7 km apart."""
    gm = f"{1000 + n:04d}"
    lat0, lon0 = rng.uniform(50.8, 53.3), rng.uniform(3.6, 7.0)
    points = {}
    for d in range(10):
        for b in range(10):
            code = f"BU{gm}{d + 10:02d}{b + 10:02d}"
            row, col = divmod(d * 10 + b, 10)
            points[code] = (lat0 + row * 0.0063, lon0 + col * 0.0102)
    return f"GM{gm}", points


def area_of(code: str) -> tuple[str, str, str]:
    return f"GM{code[2:6]}", f"WK{code[2:8]}", code


def seed(path: Path, volunteers: int, rng: random.Random) -> tuple[Centroids, list[list[str]]]:
    """Bulk-load the read model; returns the centroids and each municipality's neighbourhoods."""
    centroids = Centroids.from_csv()
    municipalities = [utrecht_neighbourhoods(centroids)]
    for n in range(max(0, volunteers // PER_MUNICIPALITY - 1)):
        _, points = synthetic_municipality(n, rng)
        centroids.add(points.items())
        municipalities.append(sorted(points))

    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    indexes = [
        row[0]
        for row in db.execute(
            "SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name='candidates' "
            "AND sql IS NOT NULL"
        )
    ]
    for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='candidates' "
        "AND sql IS NOT NULL"
    ).fetchall():
        db.execute(f"DROP INDEX {name}")
    now = "2026-03-02 08:00:00.000000"
    slots = [
        json.dumps([{"weekday": d, "start": "09:00", "end": "17:00"} for d in days])
        for days in ([0, 1, 2], [3, 4], [5, 6], [0, 2, 4])
    ]
    batch_members: list[tuple[Any, ...]] = []
    batch_volunteers: list[tuple[Any, ...]] = []
    batch_candidates: list[tuple[Any, ...]] = []

    def flush() -> None:
        db.executemany("INSERT INTO members VALUES (?,?,?,?,?,?,?,?,?)", batch_members)
        db.executemany("INSERT INTO volunteers VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch_volunteers)
        db.executemany("INSERT INTO candidates VALUES (?,?,?,?,?)", batch_candidates)
        batch_members.clear()
        batch_volunteers.clear()
        batch_candidates.clear()

    roles = json.dumps(["resident", "volunteer"])
    for n in range(volunteers):
        municipality = municipalities[min(n // PER_MUNICIPALITY, len(municipalities) - 1)]
        code = rng.choice(municipality)
        gm, wk, bu = area_of(code)
        member_id = f"v{n:07d}"
        categories = sorted(rng.sample(CATEGORIES, 3))
        active = rng.random() < 0.9
        consent = rng.random() < 0.95
        flexible = rng.random() < 0.5
        languages = ["en", "nl"] if rng.random() < 0.3 else ["nl"]
        batch_members.append((member_id, gm, wk, bu, roles, "nl", "{}", 0, now))
        batch_volunteers.append(
            (
                member_id,
                json.dumps(categories),
                "[]" if flexible else rng.choice(slots),
                int(flexible),
                rng.choice([1.0, 2.0, 3.0, 5.0, 10.0]),
                json.dumps(languages),
                3,
                int(active),
                int(consent),
                int(rng.random() < 0.3),
                now,
            )
        )
        if active and consent:
            batch_candidates.extend((member_id, c, gm, wk, bu) for c in categories)
        if len(batch_members) >= 50_000:
            flush()
    flush()
    for sql in indexes:
        db.execute(sql)
    db.execute("ANALYZE")
    db.commit()
    db.close()
    return centroids, municipalities


def add_requesters(path: Path, homes: list[str]) -> None:
    db = sqlite3.connect(path)
    db.executemany(
        "INSERT INTO members VALUES (?,?,?,?,?,?,?,?,?)",
        [
            (f"r{n:05d}", *area_of(code), '["resident"]', "nl", "{}", 0, "2026-03-02 08:00:00")
            for n, code in enumerate(homes)
        ],
    )
    db.commit()
    db.close()


def query_plan(path: Path, code: str) -> list[str]:
    db = sqlite3.connect(path)
    gm, wk, bu = area_of(code)
    plans = []
    for where, args in (
        ("c.neighbourhood = ?", (bu,)),
        ("c.district = ? AND c.neighbourhood != ?", (wk, bu)),
        ("c.municipality = ? AND c.district != ?", (gm, wk)),
    ):
        rows = db.execute(
            "EXPLAIN QUERY PLAN SELECT c.member_id FROM candidates c JOIN volunteers v "
            f"ON v.member_id = c.member_id WHERE c.category = ? AND {where}",
            ("groceries", *args),
        ).fetchall()
        plans.append(" | ".join(r[-1] for r in rows))
    db.close()
    return plans


class Site:
    """One seeded database and the matches to run against it."""

    def __init__(self, volunteers: int, matches: int, folder: Path) -> None:
        self.volunteers = volunteers
        self.rng = random.Random(volunteers)
        self.path = folder / f"matching-{volunteers}.db"
        upgrade_sync(MIGRATIONS, f"sqlite+aiosqlite:///{self.path}")
        started = time.perf_counter()
        self.centroids, self.municipalities = seed(self.path, volunteers, self.rng)
        self.seed_seconds = time.perf_counter() - started
        self.homes = [
            self.rng.choice(self.rng.choice(self.municipalities)) for _ in range(matches + WARMUP)
        ]
        add_requesters(self.path, self.homes)
        self.plans = query_plan(self.path, self.homes[0])
        self.clock = FrozenClock()
        self.ctx = Context(clock=self.clock, centroids=self.centroids)
        self.done = 0
        self.latencies: list[float] = []
        self.cpu: list[float] = []  # CPU seconds of this process (all threads) per match
        self.engine: AsyncEngine | None = None

    async def run(self, count: int, *, measured: bool = True) -> None:
        """The next `count` matches, each the whole request.create use case, committed."""
        if self.engine is None:  # one engine per site, as a service has one
            self.engine = create_engine(f"sqlite+aiosqlite:///{self.path}")
        sessions = session_factory(self.engine)
        try:
            for n in range(self.done, self.done + count):
                cmd = RequestCreate(
                    requester_id=f"r{n:05d}",
                    category=Category(self.rng.choice(CATEGORIES)),
                    description="benchmark",
                    flexible=self.rng.random() < 0.5,
                    needed_from=self.clock.now() + timedelta(days=1),
                    needed_until=self.clock.now() + timedelta(days=1, hours=3),
                    languages=["nl"],
                )
                started, cpu = time.perf_counter(), time.process_time()
                async with SqlMatchingUnitOfWork(
                    sessions, messaging, source="matching", clock=self.clock
                ) as uow:
                    await create_request(cmd, uow=uow, ctx=self.ctx)
                if measured:
                    self.latencies.append(time.perf_counter() - started)
                    self.cpu.append(time.process_time() - cpu)
                self.clock.advance(timedelta(minutes=1))
        finally:
            self.done += count

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()
            self.engine = None

    def result(self) -> dict[str, Any]:
        return {
            "volunteers": self.volunteers,
            "municipalities": len(self.municipalities),
            "matches": len(self.latencies),
            "seed_seconds": round(self.seed_seconds, 1),
            **summary_ms(self.latencies),
            "cpu": summary_ms(self.cpu),
            "plans": self.plans,
        }


async def run_interleaved(sites: list[Site], matches: int, block: int = 50) -> None:
    """Warm every site up, then run the matches in blocks taking turns between the sizes, so
    noise from the rest of the machine falls on every size alike."""
    for site in sites:
        await site.run(WARMUP, measured=False)
    # The reference data loaded so far (up to 100,000 centroids) lives as long as the process;
    # keep the garbage collector from walking it on every full collection.
    gc.collect()
    gc.freeze()
    for start in range(0, matches, block):
        for site in sites:
            await site.run(min(block, matches - start))
            gc.collect()
    for site in sites:
        await site.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--matches", type=int, default=1000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="samen-bench-") as tmp:
        sites = [Site(size, args.matches, Path(tmp)) for size in sizes]
        asyncio.run(run_interleaved(sites, args.matches))
    results = [site.result() for site in sites]
    for result in results:
        show(
            f"{result['volunteers']:,} volunteers in {result['municipalities']} municipalities",
            [
                ("seeded in", f"{result['seed_seconds']} s"),
                ("matches", result["matches"]),
                ("p50 per match", f"{result['p50_ms']} ms"),
                ("p99 per match", f"{result['p99_ms']} ms"),
                ("mean", f"{result['mean_ms']} ms"),
                (
                    "CPU per match",
                    f"p50 {result['cpu']['p50_ms']} ms, p99 {result['cpu']['p99_ms']} ms "
                    "(this process; other load on the machine does not count)",
                ),
                ("lookup plans", ""),
                *(
                    (f"  {scope}", plan)
                    for scope, plan in zip(
                        ("neighbourhood", "rest of district", "rest of municipality"),
                        result["plans"],
                        strict=True,
                    )
                ),
            ],
        )
    figures: dict[str, Any] = {"sizes": results, "load_average": os.getloadavg()}
    if len(results) > 1:
        first, last = results[0], results[-1]
        figures["p99_ratio"] = round(last["p99_ms"] / first["p99_ms"], 2)
        figures["p50_ratio"] = round(last["p50_ms"] / first["p50_ms"], 2)
        figures["cpu_p99_ratio"] = round(last["cpu"]["p99_ms"] / first["cpu"]["p99_ms"], 2)
        show(
            f"ratio {last['volunteers']:,} : {first['volunteers']:,}",
            [
                ("p50", f"{figures['p50_ratio']}x"),
                ("p99", f"{figures['p99_ratio']}x (target: within 2x, and p99 under 20 ms)"),
                ("CPU p99", f"{figures['cpu_p99_ratio']}x"),
                ("load average", " ".join(f"{x:.2f}" for x in os.getloadavg())),
            ],
        )
    print(f"\nsaved {save('matching_scale', figures)}")


if __name__ == "__main__":
    main()
