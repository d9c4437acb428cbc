"""How long does the information point wait for a member import, and a postcode lookup?

Imports N generated members (20 % volunteers with a profile) into a fresh registry database
through the `samen members import` use case (validate every row, then one transaction with
bulk inserts and the outbox rows), then imports the same rows again (nothing is added), and
times 2,000 postcode lookups through the `areas.lookup` use case.

Run: `.venv/bin/python -m bench.registry_import [--rows 10000] [--postgres URL]`
"""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import save, show, summary_ms
from services.registry.bootstrap import MIGRATIONS, build
from services.registry.service_layer.areas import lookup_postcode
from services.registry.service_layer.imports import import_members
from services.registry.service_layer.reference import seed
from shared.migrations import upgrade
from shared.settings import Settings
from tests.integration.registry.csvgen import PC4S, member_rows


async def measure(database_url: str, rows: int) -> dict[str, Any]:
    runtime = build(Settings(database_url=database_url, env="test", log_level="WARNING"))
    await upgrade(MIGRATIONS, database_url)
    await seed(runtime.make_uow)
    records = member_rows(rows)
    try:
        started = time.perf_counter()
        first = await import_members(records, uow_factory=runtime.make_uow)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        second = await import_members(records, uow_factory=runtime.make_uow)
        second_s = time.perf_counter() - started
        latencies = []
        for n in range(2000):
            started = time.perf_counter()
            await lookup_postcode(postcode=f"{PC4S[n % len(PC4S)]} AB", uow=runtime.make_uow())
            latencies.append(time.perf_counter() - started)
    finally:
        await runtime.engine.dispose()
    assert first.imported == rows - len(first.rejected) and second.imported == 0
    return {
        "rows": rows,
        "imported": first.imported,
        "events_written": first.events,
        "first_run_s": round(first_s, 2),
        "rows_per_s": round(rows / first_s),
        "second_run_s": round(second_s, 2),
        "second_run_added": second.imported,
        "lookup_ms": summary_ms(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres", help="postgresql+asyncpg://... of an empty database")
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'registry.db'}"
        figures["sqlite"] = asyncio.run(measure(url, args.rows))
    if args.postgres:
        figures["postgresql"] = asyncio.run(measure(args.postgres, args.rows))
    for backend, result in figures.items():
        show(
            f"registry import, {backend}",
            [(key, value) for key, value in result.items()],
        )
    print(f"\nsaved to {save('registry_import', figures)}")


if __name__ == "__main__":
    main()
