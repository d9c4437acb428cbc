"""`samen areas ...`, `samen cooperative ...`, `samen members ...`: the registry's admin tool.

The commands work on the registry's own database through its use cases (migrating it and
loading the Utrecht seed first, like the service does at start), and write their events to the
outbox. Before exiting they publish those events when NATS answers; otherwise the running
registry's relay publishes them.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import nats
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from services.registry.bootstrap import MIGRATIONS, RegistryRuntime, build
from services.registry.domain.areas import AreaFileError, parse_area_rows
from services.registry.domain.directory_rows import REQUIRED as DIRECTORY_COLUMNS
from services.registry.domain.imports import REQUIRED_COLUMNS, UnreadableFile, rows_from_csv
from services.registry.service_layer import areas as area_cases
from services.registry.service_layer import cooperatives as coop_cases
from services.registry.service_layer.directory_imports import import_directory
from services.registry.service_layer.imports import import_members
from services.registry.service_layer.reference import national_area_sets, seed
from shared.events import MatchingPolicy
from shared.migrations import upgrade
from shared.outbox import OutboxRelay
from shared.running_system import settings_for_command, tell
from shared.service import may_provision
from shared.streams import provision
from shared.subjects import EVENTS_STREAM

console = Console()
T = TypeVar("T")

areas_app = typer.Typer(help="Municipalities, districts and neighbourhoods.", no_args_is_help=True)
cooperative_app = typer.Typer(
    help="Cooperatives, their areas and coordinators.", no_args_is_help=True
)
members_app = typer.Typer(
    help="Members (bulk import for the information point).", no_args_is_help=True
)

directory_app = typer.Typer(
    help="The social map: organisations and their standing offers.", no_args_is_help=True
)

COMMANDS = {
    "areas": areas_app,
    "cooperative": cooperative_app,
    "members": members_app,
    "directory": directory_app,
}


@asynccontextmanager
async def registry_database() -> AsyncIterator[RegistryRuntime]:
    runtime = build(settings_for_command("registry", say=tell))
    await upgrade(MIGRATIONS, runtime.database_url)
    await seed(runtime.make_uow)
    try:
        yield runtime
    finally:
        await publish_events(runtime)
        await runtime.engine.dispose()


async def publish_events(runtime: RegistryRuntime) -> None:
    """Publish what the command wrote to the outbox, if NATS answers within a few seconds."""
    backlog = await runtime.relay.backlog()
    if backlog == 0:
        return
    settings = runtime.settings

    async def quiet(_: Exception) -> None:
        return None

    try:
        nc = await asyncio.wait_for(
            nats.connect(
                settings.nats_servers(),
                user=settings.nats_user,
                password=settings.nats_password,
                inbox_prefix=settings.reply_inbox(),
                connect_timeout=2,
                allow_reconnect=False,
                max_reconnect_attempts=1,
                reconnect_time_wait=0.1,
                error_cb=quiet,
            ),
            timeout=5,
        )
    except Exception:
        console.print(
            f"[yellow]NATS did not answer: {backlog} events wait in the outbox; "
            "the running registry publishes them.[/]"
        )
        return
    try:
        js = nc.jetstream(prefix=settings.js_api_prefix())
        if may_provision(settings):  # with the registry's own NATS user the admin did it
            await provision(js, consumers=(), replicas=settings.stream_replicas)

        async def publish(subject: str, payload: bytes, event_id: str) -> None:
            await js.publish(
                subject,
                payload,
                stream=EVENTS_STREAM,
                headers={"Nats-Msg-Id": event_id, "content-type": "application/json"},
                timeout=10,
            )

        relay = OutboxRelay(runtime.sessions, runtime.tables.outbox, publish, batch_size=500)
        with _progress() as bar:
            task = bar.add_task("publishing events", total=backlog)
            while True:
                done = await relay.publish_pending()
                bar.advance(task, done)
                if done == 0:
                    break
        left = await runtime.relay.backlog()
        if left:
            console.print(f"[yellow]{left} events could not be published yet; they will be.[/]")
    finally:
        await nc.close()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def run(work: Callable[[RegistryRuntime], Awaitable[T]]) -> T:
    """Do `work` on the registry's database; a refusal (SamenError) ends the command with one
    line and exit code 1 (samen/failures.py)."""

    async def go() -> T:
        async with registry_database() as runtime:
            return await work(runtime)

    return asyncio.run(go())


def read_rows(path: Path, required: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    try:
        return list(rows_from_csv(path.read_text(encoding="utf-8-sig"), required))
    except (OSError, UnicodeDecodeError, UnreadableFile) as exc:
        console.print(f"[red]✗ cannot read {path}: {exc}[/]", highlight=False)
        raise typer.Exit(1) from None


# ------------------------------------------------------------------ areas


@areas_app.command("import")
def areas_import(
    file: Annotated[
        Path | None,
        typer.Argument(help="CSV, one row per neighbourhood (see docs/registry.md)"),
    ] = None,
    municipality: Annotated[
        list[str] | None,
        typer.Option(help="CBS code of a municipality of the national tables (repeat)"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="municipality name, if not in the file")] = None,
) -> None:
    """Import the municipalities of the country (all, or those named with --municipality) from
    the shipped CBS tables, or one municipality from a FILE of your own. Running it again
    changes nothing."""
    if file is None:
        import_national(municipality)
        return
    if municipality:
        console.print(
            "[red]✗ give a FILE or --municipality, not both "
            "(one --municipality per code: --municipality GM0200 --municipality GM0118)[/]"
        )
        raise typer.Exit(2)
    rows = read_rows(file)
    try:
        area_set = parse_area_rows(rows, municipality_name=name)
    except AreaFileError as exc:
        console.print(f"[red]✗ {file} was not imported:[/]")
        for problem in exc.problems:
            console.print(f"  {problem}")
        raise typer.Exit(1) from None

    async def work(runtime: RegistryRuntime) -> int:
        return await area_cases.import_area_set(area_set=area_set, uow=runtime.make_uow())

    run(work)
    console.print(
        f"[green]✓[/] {area_set.municipality.name} ({area_set.municipality.code}): "
        f"{len(area_set.districts)} districts, {len(area_set.neighbourhoods)} neighbourhoods, "
        f"{len(area_set.postcodes)} postcodes"
    )


def import_national(codes: list[str] | None) -> None:
    area_sets = national_area_sets(codes or None)

    async def work(runtime: RegistryRuntime) -> area_cases.AreaImportReport:
        with _progress() as bar:
            task = bar.add_task("importing municipalities", total=len(area_sets))

            def progress(done: int, total: int, code: str) -> None:
                bar.update(task, completed=done, total=total, description=f"importing {code}")

            return await area_cases.import_areas(
                area_sets, uow_factory=runtime.make_uow, progress=progress
            )

    report = run(work)
    years = {a.cbs_year for s in area_sets.values() for a in s.areas() if a.cbs_year}
    console.print(
        f"[green]✓[/] {len(report.imported)} municipalities imported, "
        f"{len(report.unchanged)} unchanged ({report.areas} areas, {report.postcodes} "
        f"postcodes; CBS classification {', '.join(str(y) for y in sorted(years))})"
    )
    if not report.changed:
        console.print("nothing changed: the registry holds these areas already")


@areas_app.command("list")
def areas_list(
    parent: Annotated[str | None, typer.Argument(help="children of this area")] = None,
) -> None:
    """List municipalities, or the districts or neighbourhoods of an area."""

    async def work(runtime: RegistryRuntime) -> list[Any]:
        if parent:
            return await area_cases.list_areas(uow=runtime.make_uow(), parent_code=parent)
        return await area_cases.list_areas(uow=runtime.make_uow(), level="municipality")

    table = Table("code", "name", "population", "CBS year")
    for area in run(work):
        table.add_row(area.code, area.name, str(area.population or ""), str(area.cbs_year or ""))
    console.print(table)


# ------------------------------------------------------------------ cooperatives


@cooperative_app.command("list")
def cooperative_list(
    area: Annotated[str | None, typer.Option(help="only those covering this area")] = None,
) -> None:
    """List the cooperatives."""

    async def work(runtime: RegistryRuntime) -> list[Any]:
        return await coop_cases.list_cooperatives(uow=runtime.make_uow(), area_code=area)

    table = Table("name", "level", "parent", "areas", "coordinators")
    table.add_column("id", no_wrap=True)
    table.columns.insert(0, table.columns.pop())
    for coop in run(work):
        table.add_row(
            coop.cooperative_id,
            coop.name,
            coop.level,
            coop.parent_id or "",
            " ".join(coop.area_codes),
            str(len(coop.coordinator_ids)),
        )
    console.print(table)


@cooperative_app.command("add")
def cooperative_add(
    cooperative_id: Annotated[str, typer.Argument(help="slug, e.g. buurt-kanaleneiland")],
    name: Annotated[str, typer.Option(help="display name")],
    area: Annotated[list[str], typer.Option(help="an area code it covers (repeat)")],
    parent: Annotated[str | None, typer.Option(help="parent cooperative id")] = None,
    coordinator: Annotated[
        list[str] | None, typer.Option(help="member id of a coordinator (repeat)")
    ] = None,
) -> None:
    """Add a cooperative (announced as cooperative.created)."""

    async def work(runtime: RegistryRuntime) -> Any:
        return await coop_cases.add_cooperative(
            cooperative_id=cooperative_id,
            name=name,
            area_codes=list(area),
            parent_id=parent,
            coordinator_ids=list(coordinator or []),
            policy=MatchingPolicy(),
            uow=runtime.make_uow(),
        )

    coop = run(work)
    console.print(f"[green]✓[/] {coop.cooperative_id} ({coop.level}) added")


# ------------------------------------------------------------------ members


@members_app.command("import")
def members_import(
    file: Annotated[Path, typer.Argument(help="CSV with a header line (see docs/registry.md)")],
    all_or_nothing: Annotated[
        bool, typer.Option("--all-or-nothing", help="import nothing when any row is rejected")
    ] = False,
    registered_by: Annotated[
        str | None,
        typer.Option(help="member id of the coordinator registering these people"),
    ] = None,
) -> None:
    """Import residents and volunteers. Every row is checked first; running it again adds
    nobody twice. Exits with 1 when a row was rejected."""
    rows = read_rows(file, REQUIRED_COLUMNS)

    async def work(runtime: RegistryRuntime) -> Any:
        with _progress() as bar:
            tasks: dict[str, Any] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    label = "checking rows" if phase == "validate" else "importing"
                    tasks[phase] = bar.add_task(label, total=total)
                bar.update(tasks[phase], completed=done, total=total)

            return await import_members(
                rows,
                uow_factory=runtime.make_uow,
                registered_by=registered_by,
                all_or_nothing=all_or_nothing,
                progress=progress,
            )

    report = run(work)
    for rejected in report.rejected:
        console.print(f"[red]line {rejected.line}:[/] {rejected.reason}", highlight=False)
    if not report.applied:
        console.print(
            f"[red]✗ nothing imported: {len(report.rejected)} of {report.rows} rows rejected "
            "(--all-or-nothing)[/]"
        )
        raise typer.Exit(1)
    console.print(
        f"[green]✓[/] {report.imported} imported ({report.volunteers} volunteers), "
        f"{report.already_imported} already imported, {len(report.rejected)} rejected, "
        f"of {report.rows} rows"
    )
    if report.rejected:
        raise typer.Exit(1)


# ------------------------------------------------------------------ the social map


@directory_app.command("import")
def directory_import(
    file: Annotated[
        Path, typer.Argument(help="CSV with a header line, one offer a row (docs/registry.md)")
    ],
) -> None:
    """Put organisations and their standing offers on the social map. Areas are named
    (Overvecht, Tuinwijk); running it again adds nothing twice. Exits with 1 when a row was
    rejected."""
    rows = read_rows(file, DIRECTORY_COLUMNS)

    async def work(runtime: RegistryRuntime) -> Any:
        return await import_directory(rows, uow_factory=runtime.make_uow)

    report = run(work)
    for rejected in report.rejected:
        console.print(f"[red]line {rejected.line}:[/] {rejected.reason}", highlight=False)
    console.print(
        f"[green]✓[/] {report.organisations_added} organisations and {report.offers_added} "
        f"offers added, {report.already_there} on the map already, {report.rejected_count} "
        f"rejected, of {report.rows} rows"
    )
    if report.rejected_count:
        raise typer.Exit(1)
