"""What PostgreSQL does for one request, per service database: the pipeline's stack under a
constant load, with PostgreSQL's own counters read before and after (`pg_stat_database`), the
CPU of the backends serving each database, and the tables and indexes read the most
(`pg_stat_user_tables`, `pg_stat_user_indexes`; index entries read per scan is the figure that
shows an index walking over rows it does not need).

PostgreSQL only (the stack's databases on the server `bench.stack` finds).

Run: `.venv/bin/python -m bench.postgres_work [--rate 60] [--seconds 20] [--volunteers 3000]`
"""

import argparse
import asyncio
from typing import Any

import asyncpg

from bench.common import save, show
from bench.pipeline import seeded
from bench.stack import LOAD_ENV, bench_stack, cpu_seconds, cpu_used_between
from shared.db import libpq_url

COUNTERS = (
    "xact_commit",
    "xact_rollback",
    "tup_returned",
    "tup_fetched",
    "tup_inserted",
    "tup_updated",
    "blks_hit",
)
# A backend that goes idle hands its statistics over within ten seconds (PostgreSQL 15).
STATS_SETTLE_SECONDS = 11.0


async def database_counters(urls: dict[str, str]) -> dict[str, dict[str, int]]:
    """Each service database's counters, by service."""
    counters: dict[str, dict[str, int]] = {}
    for service, url in urls.items():
        connection = await asyncpg.connect(libpq_url(url))
        try:
            row = await connection.fetchrow(
                f"SELECT {', '.join(COUNTERS)} FROM pg_stat_database"
                " WHERE datname = current_database()"
            )
            counters[service] = {name: int(row[name]) for name in COUNTERS}
        finally:
            await connection.close()
    return counters


async def read_counters(url: str) -> dict[str, tuple[int, int]]:
    """(scans, rows read) of every index and every table's sequential scans in one database."""
    connection = await asyncpg.connect(libpq_url(url))
    try:
        indexes = await connection.fetch(
            "SELECT relname, indexrelname, idx_scan, idx_tup_read FROM pg_stat_user_indexes"
        )
        tables = await connection.fetch(
            "SELECT relname, seq_scan, seq_tup_read FROM pg_stat_user_tables"
        )
    finally:
        await connection.close()
    counters = {
        f"index {r['indexrelname']} on {r['relname']}": (r["idx_scan"], r["idx_tup_read"])
        for r in indexes
    }
    counters.update(
        {f"sequential scan of {r['relname']}": (r["seq_scan"], r["seq_tup_read"]) for r in tables}
    )
    return counters


def busiest_reads(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], top: int = 6
) -> list[dict[str, Any]]:
    """The reads of one database that read the most rows between two `read_counters`."""
    reads: list[tuple[int, int, str]] = []  # (rows, scans, read)
    for name, (scans, rows) in after.items():
        scans -= before.get(name, (0, 0))[0]
        rows -= before.get(name, (0, 0))[1]
        if scans > 0:
            reads.append((rows, scans, name))
    reads.sort(reverse=True)
    return [
        {"read": name, "scans": scans, "rows_per_scan": round(rows / scans, 1)}
        for rows, scans, name in reads[:top]
    ]


async def measure(rate: float, seconds: float, volunteers: int) -> dict[str, Any]:
    with bench_stack(LOAD_ENV) as bench:
        if bench.database != "postgresql":
            raise SystemExit("bench.postgres_work needs PostgreSQL (none answered)")
        urls = bench.database_urls
        print(f"seeding {volunteers} volunteers", flush=True)
        async with seeded(bench, volunteers) as loaded:
            await loaded.warm_up(rate, 4)
            await asyncio.sleep(STATS_SETTLE_SECONDS)
            before, cpu_before = await database_counters(urls), cpu_seconds(bench.stack, urls)
            reads_before = {service: await read_counters(url) for service, url in urls.items()}
            print(f"{rate:g}/s for {seconds:g} s", flush=True)
            result = await loaded.phase(rate, seconds)
            cpu = cpu_used_between(cpu_before, cpu_seconds(bench.stack, urls))
            await asyncio.sleep(STATS_SETTLE_SECONDS)
            after = await database_counters(urls)
            reads = {
                service: busiest_reads(reads_before[service], await read_counters(url))
                for service, url in urls.items()
            }
    delivered = max(result["delivered"], 1)
    per_request = {
        service: {
            "cpu_ms": round(1000 * cpu.get(f"postgres: {service}", 0.0) / delivered, 2),
            **{
                name: round((after[service][name] - before[service][name]) / delivered, 2)
                for name in COUNTERS
            },
        }
        for service in urls
    }
    return {
        "rate_per_s": rate,
        "seconds": seconds,
        "volunteers": volunteers,
        "delivered": result["delivered"],
        "per_request": per_request,
        "busiest_reads": reads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=60)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--volunteers", type=int, default=3000)
    args = parser.parse_args()
    figures = asyncio.run(measure(args.rate, args.seconds, args.volunteers))
    rows: list[tuple[str, Any]] = []
    for service, work in figures["per_request"].items():
        rows.append(
            (
                service,
                f"CPU {work['cpu_ms']} ms, {work['xact_commit']} commits, "
                f"{work['tup_returned']} rows returned, {work['blks_hit']} blocks read",
            )
        )
    show(f"PostgreSQL per request at {args.rate:g}/s, by service database", rows)
    for service, reads in figures["busiest_reads"].items():
        show(
            f"{service}: the reads that read the most at {args.rate:g}/s",
            [(r["read"], f"{r['scans']} scans, {r['rows_per_scan']} rows each") for r in reads],
        )
    print(f"\nsaved to {save('postgres_work', figures)}")


if __name__ == "__main__":
    main()
