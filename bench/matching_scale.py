"""Does the cost of one match grow with the number of volunteers elsewhere?

Seeds 1,000 / 100,000 / 1,000,000 volunteers into a fresh matching database (SQLite, bulk
inserts) over the real municipalities of the Netherlands (shared/data/nl): one volunteer per
about 18 residents, so 1,000,000 fill all 342 municipalities, and a smaller size fills the first
municipalities of a fixed random order at that same density (1k: one or two small ones). Where
the data gives neighbourhoods with residents (Utrecht, Rijnmond) volunteers live in a
neighbourhood, weighted by its residents; elsewhere, as a four-digit postcode allows, in a
district (no neighbourhood), weighted by its residents. Then runs 1,000 matches at each size
(after 100 unmeasured ones, in blocks of 50 taking turns between the sizes, so noise from the
rest of the machine falls on every size alike): the whole `request.create` use case (read the
requester's home, look candidates up through the (category, area) indexes, rank them, write the
request, its proposals, its timers and the outbox rows, commit), each request at a home drawn
like a volunteer's, in a seeded municipality.

Prints p50/p99 per match per size (wall clock, and the CPU time of this process, which other
load on the machine does not inflate) and the ratio 1M : 1k (target: p99 at 1M within 2x of
p99 at 1k, and under 20 ms), plus SQLite's query plan for the candidate lookup and the load
average during the run.

Run: `.venv/bin/python -m bench.matching_scale [--sizes 1000,100000,1000000] [--matches 1000]`
"""

import argparse
import asyncio
import csv
import gc
import json
import os
import random
import sqlite3
import tempfile
import time
from dataclasses import dataclass
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
from shared.data import NL_DISTRICTS_CSV, NL_MUNICIPALITIES_CSV, NL_NEIGHBOURHOODS_CSV
from shared.db import create_engine, session_factory
from shared.migrations import upgrade_sync

WARMUP = 100  # matches run before measuring, at every size
CATEGORIES = [c.value for c in Category]
COUNTRY_SIZE = 1_000_000  # volunteers that fill every municipality


@dataclass
class Municipality:
    """Where its residents live: neighbourhoods (where the data knows them) or districts, each
    with its number of residents."""

    code: str
    homes: list[str]
    residents: list[int]
    volunteers: int = 0  # how many the country's density gives it

    def draw(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.homes, weights=self.residents, k=count)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def populated(path: Path, column: str, centroids: Centroids) -> dict[str, list[tuple[str, int]]]:
    """Per municipality, its areas in `path` that have residents and a centroid."""
    found: dict[str, list[tuple[str, int]]] = {}
    for row in read(path):
        residents = int(row["inwoners_2024"] or 0)
        if residents > 0 and row[column] in centroids:
            found.setdefault(row["gemeente_code"], []).append((row[column], residents))
    return found


def country(centroids: Centroids, rng: random.Random) -> list[Municipality]:
    """Every municipality with its homes, in a fixed random order, each with its share of a
    country of COUNTRY_SIZE volunteers."""
    buurten = populated(NL_NEIGHBOURHOODS_CSV, "buurt_code", centroids)
    wijken = populated(NL_DISTRICTS_CSV, "wijk_code", centroids)
    places = []
    for row in read(NL_MUNICIPALITIES_CSV):
        homes = buurten.get(row["gemeente_code"]) or wijken.get(row["gemeente_code"])
        if homes:
            places.append(
                Municipality(row["gemeente_code"], [h for h, _ in homes], [n for _, n in homes])
            )
    total = sum(sum(p.residents) for p in places)
    for place in places:
        place.volunteers = max(1, round(sum(place.residents) * COUNTRY_SIZE / total))
    rng.shuffle(places)
    return places


def area_of(code: str) -> tuple[str, str, str | None]:
    """(municipality, district, neighbourhood) of a BU or WK code (Amsterdam's have letters)."""
    return f"GM{code[2:6]}", f"WK{code[2:8]}", code if code.startswith("BU") else None


def seed(path: Path, volunteers: int, rng: random.Random) -> tuple[Centroids, list[Municipality]]:
    """Bulk-load the read model; returns the centroids and the municipalities seeded, each with
    the number of volunteers it got."""
    centroids = Centroids.national()
    seeded: list[Municipality] = []
    left = volunteers
    for place in country(centroids, random.Random(7)):  # one order for every size
        if left <= 0:
            break
        take = min(left, place.volunteers)
        seeded.append(Municipality(place.code, place.homes, place.residents, take))
        left -= take
    homes = [home for place in seeded for home in place.draw(rng, place.volunteers)]

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
    for n, code in enumerate(homes):
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
    return centroids, seeded


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
        (
            "c.district = ? AND (c.neighbourhood IS NULL OR ? IS NULL OR c.neighbourhood != ?)",
            (wk, bu, bu),
        ),
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
        places = self.rng.choices(
            self.municipalities,
            weights=[m.volunteers for m in self.municipalities],
            k=matches + WARMUP,
        )
        self.homes = [place.draw(self.rng, 1)[0] for place in places]
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
