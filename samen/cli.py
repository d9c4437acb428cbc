"""`samen`: run the whole system and look after it."""

import asyncio
import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic_settings import BaseSettings
from rich.console import Console
from rich.table import Table
from typer._click.core import Command, Context  # typer's own click, which TyperGroup is of
from typer.core import TyperGroup
from typer.exceptions import TyperException

from samen import failures
from services.gateway.config import GatewaySettings, get_gateway_settings
from shared.settings import Settings, get_settings

if TYPE_CHECKING:
    from samen.backup import Target

# Modules that bring their own sub-commands (`COMMANDS`: name -> Typer): each service's
# `services/<name>/cli.py` and the plug-in kit.
COMMAND_MODULES = (
    "services.registry.cli",
    "services.matching.cli",
    "services.notify.cli",
    "services.gateway.cli",
    "shared.plugin",
)


def _brought_commands() -> Iterator[tuple[str, typer.Typer]]:
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # a service left out of this installation
        yield from getattr(module, "COMMANDS", {}).items()


class SamenCommands(TyperGroup):
    """`samen`'s own commands, then those the services bring, imported only when one of them is
    asked for (or the full help): `samen up` would otherwise import every service first, which
    took a third of its start-up time on a small machine."""

    def list_commands(self, ctx: Context) -> list[str]:
        brought = [name for name, _ in _brought_commands()]
        return [*super().list_commands(ctx), *brought]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        own = super().get_command(ctx, cmd_name)
        if own is not None:
            return own
        for name, sub in _brought_commands():
            if name == cmd_name:
                command = typer.main.get_group(sub)
                command.name = name
                return command
        return None

    def invoke(self, ctx: Context) -> Any:
        """Every command runs through here: what it did not handle itself ends it with one line
        and an exit code of samen/failures.py, not a traceback."""
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException, KeyboardInterrupt, EOFError):
            raise  # typer's own: its exit codes (2 for bad usage, 130 for Ctrl-C)
        except Exception as exc:
            code = failures.tell(exc, command=ctx.invoked_subcommand)
            raise typer.Exit(code) from None


app = typer.Typer(
    cls=SamenCommands,
    help="Samen: neighbourhood care cooperatives.",
    epilog=failures.EXIT_CODES_HELP,
    no_args_is_help=True,
)
console = Console()

SERVICES_WITH_DATABASES = ("registry", "matching", "notify", "gateway")


def _migrations_dir(service: str) -> Path:
    module = importlib.import_module(f"services.{service}.bootstrap")
    return Path(module.MIGRATIONS)


@app.command()
def up(
    port: Annotated[int | None, typer.Option(help="HTTP port (SAMEN_HTTP_PORT)")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="data folder (SAMEN_DATA_DIR)")] = None,
    nats_config: Annotated[
        Path | None, typer.Option(help="nats-server configuration (users and permissions)")
    ] = None,
    demo: Annotated[
        bool, typer.Option(help="seed Utrecht demo data and print demo logins")
    ] = False,
) -> None:
    """Run everything: nats-server, registry, matching, notify and the gateway. Without
    SAMEN_SECRET_KEY set, the services get a random key kept in <data folder>/secret_key."""
    from samen.supervisor import run
    from shared.credentials import refuse_to_start
    from shared.logging import configure_logging_from

    settings = get_settings()
    configure_logging_from(settings, service="samen")
    import os

    nats_url = os.environ.get("NATS_URL") or os.environ.get("SAMEN_NATS_URL")
    extra_env = {"SAMEN_DEMO": "1"} if demo else {}
    on_ready: list[str] | None = None
    if demo:
        from services.gateway.demo import demo_login_lines

        on_ready = demo_login_lines()
    with refuse_to_start("up"):  # e.g. a key file others may read: one line, no traceback
        status = asyncio.run(
            run(
                data_dir=data_dir or settings.data_dir,
                http_port=port or settings.http_port,
                nats_url=nats_url,
                nats_config=nats_config,
                extra_env=extra_env,
                on_ready=on_ready,
            )
        )
    raise typer.Exit(status)


@app.command()
def migrate(
    services: Annotated[list[str] | None, typer.Argument(help="services (default: all)")] = None,
) -> None:
    """Bring each service's database to the newest schema."""
    from shared.credentials import check, refuse_to_start
    from shared.migrations import upgrade_sync

    settings = get_settings()
    with refuse_to_start("migrate"):
        check(settings, needs_secret_key=False)
    for service in services or SERVICES_WITH_DATABASES:
        try:
            location = _migrations_dir(service)
        except (ModuleNotFoundError, AttributeError):
            continue
        url = settings.database_url_for(service)
        upgrade_sync(location, url)
        console.print(f"[green]✓[/] {service} migrated")


@app.command()
def makemigration(
    service: Annotated[str, typer.Argument(help="registry, matching, notify or gateway")],
    message: Annotated[str, typer.Option("-m", "--message")],
) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    from shared.migrations import alembic_config, upgrade_sync

    settings = get_settings()
    location = _migrations_dir(service)
    url = settings.database_url_for(f"{service}-autogenerate")
    upgrade_sync(location, url)
    command.revision(alembic_config(location, url), message=message, autogenerate=True)


@app.command()
def provision() -> None:
    """Declare the streams and every durable consumer on the NATS server (NATS_URL, else the
    running `samen up` of the data folder)."""
    import nats

    from shared.credentials import check, refuse_to_start
    from shared.reach import expect_nats
    from shared.running_system import settings_for_command, tell
    from shared.streams import provision as provision_streams
    from shared.subjects import ADMIN_USER

    settings = settings_for_command("provision", nats_user=ADMIN_USER, say=tell)
    with refuse_to_start("provision"):
        check(settings, needs_secret_key=False)

    async def go() -> None:
        await expect_nats(settings.nats_servers())
        nc = await nats.connect(
            settings.nats_servers(),
            user=settings.nats_user,
            password=settings.nats_password,
            inbox_prefix=settings.reply_inbox(),
        )
        try:
            js = nc.jetstream(prefix=settings.js_api_prefix())
            await provision_streams(js, replicas=settings.stream_replicas)
        finally:
            await nc.close()

    asyncio.run(go())
    console.print("[green]✓[/] streams and consumers provisioned")


@app.command("nats-config")
def nats_config() -> None:
    """Print deploy/nats/auth.conf: the NATS accounts and permissions of every service, made
    from the code (who publishes which events, the durable consumers, who calls which verb)."""
    from shared.nats_accounts import auth_conf

    print(auth_conf(), end="")


@app.command()
def health(
    service: Annotated[str, typer.Argument(help="registry, matching or notify")],
    timeout: Annotated[float, typer.Option(help="seconds to wait for the answer")] = 3.0,
) -> None:
    """Ask one service for its health over NATS; exit 0 when it is healthy, 3 when NATS or the
    service does not answer (container probes)."""
    from shared.contracts.verbs import Health, health
    from shared.reach import expect_nats
    from shared.rpc import RpcClient
    from shared.service import nats_broker

    settings = get_settings()

    async def ask() -> Health:
        await expect_nats(settings.nats_servers())
        broker = nats_broker(settings, name=f"samen-health-{service}")
        await broker.connect()
        try:
            return await RpcClient(broker).call(health(service), timeout=timeout)
        finally:
            await broker.stop()

    answer = asyncio.run(asyncio.wait_for(ask(), timeout + 5))
    healthy = answer.status == "ok"
    console.print(f"{'[green]✓' if healthy else '[red]✗'}[/] {service}: {answer.model_dump()}")
    raise typer.Exit(0 if healthy else 1)


SECRET_SETTINGS = frozenset({"secret_key", "secret_key_previous", "nats_password"})
URL_SETTINGS = frozenset({"database_url", "smtp_url"})


def settings_rows(
    settings: BaseSettings | None = None, model: type[BaseSettings] = Settings
) -> list[tuple[str, str, str, str]]:
    """(setting, environment variable, default or value, meaning) for every setting."""
    rows = []
    for name, field in model.model_fields.items():
        env = "NATS_URL" if name == "nats_url" else f"SAMEN_{name.upper()}"
        value = getattr(settings, name) if settings else field.default
        if settings and name in SECRET_SETTINGS and value:
            value = "***"
        elif settings and name in URL_SETTINGS and value:
            from shared.db import shown_url

            value = shown_url(str(value))
        rows.append((name, env, "" if value is None else str(value), field.description or ""))
    return rows


def configuration_markdown() -> str:
    lines = [
        "# Configuration",
        "",
        "Every setting is an environment variable. `samen config` shows the values in force.",
        "`samen up` passes them on to every service; `SAMEN_<SERVICE>_DATABASE_URL` (for example",
        "`SAMEN_MATCHING_DATABASE_URL`) gives one service its own database under `samen up`, and",
        "`SAMEN_<SERVICE>_METRICS_PORT` (for example `SAMEN_GATEWAY_METRICS_PORT`) its own metrics",
        "port (one `SAMEN_METRICS_PORT` for all is not passed on: they would share one port).",
        "Unset, `samen up` gives registry, matching, notify and the gateway 9101 to 9104 (a free",
        "port when taken) and prints them, with NATS, the databases and mail, once it is ready.",
        "",
        "| environment variable | default | meaning |",
        "|---|---|---|",
    ]
    for _, env, default, meaning in settings_rows():
        lines.append(f"| `{env}` | `{default}` | {meaning} |")
    lines += [
        "",
        "`SAMEN_SECRET_KEY` has no default. `samen up` makes a random one in",
        "`<data_dir>/secret_key` (0600) on its first start and reuses it; elsewhere set it",
        "yourself. In production (`SAMEN_ENV=production` or an https `SAMEN_PUBLIC_URL`) no",
        "service starts with a key shorter than 32 characters, a published example or old",
        "default, or such a NATS, database or SMTP password. How to rotate the key:",
        "[operations](operations.md#the-secret-key).",
        "",
        "## Gateway",
        "",
        "Read by the gateway only (see [gateway](gateway.md)).",
        "",
        "| environment variable | default | meaning |",
        "|---|---|---|",
    ]
    for _, env, default, meaning in settings_rows(model=GatewaySettings):
        lines.append(f"| `{env}` | `{default}` | {meaning} |")
    lines += [
        "",
        "## Notify",
        "",
        "Read by notify only (see [notify](notify.md)).",
        "",
        "| environment variable | default | meaning |",
        "|---|---|---|",
    ]
    from services.notify.config import NotifySettings  # only here: `samen up` imports no service

    for _, env, default, meaning in settings_rows(model=NotifySettings):
        lines.append(f"| `{env}` | `{default}` | {meaning} |")
    return "\n".join(lines) + "\n"


@app.command()
def config(
    markdown: Annotated[bool, typer.Option(help="print docs/configuration.md")] = False,
) -> None:
    """Show every setting, its environment variable and the value in force."""
    if markdown:
        print(configuration_markdown(), end="")
        return
    table = Table("setting", "environment variable", "value", "meaning")
    for row in settings_rows(get_settings()):
        table.add_row(*row)
    for row in settings_rows(get_gateway_settings(), model=GatewaySettings):
        table.add_row(*row)
    from services.notify.config import NotifySettings, get_notify_settings

    for row in settings_rows(get_notify_settings(), model=NotifySettings):
        table.add_row(*row)
    console.print(table)


@app.command()
def logs(
    correlation_id: Annotated[
        str | None, typer.Option("--correlation-id", help="only the lines of this id")
    ] = None,
    service: Annotated[
        list[str] | None, typer.Option("--service", help="only this service (repeatable)")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="data folder (SAMEN_DATA_DIR)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the lines as JSON, as written")] = False,
) -> None:
    """Show the merged logs of `samen up` (every service, oldest first); with
    --correlation-id, what became of one HTTP request or event in every service."""
    from samen.logs import SERVICE_LOGS, merged

    folder = (data_dir or get_settings().data_dir) / "logs"
    unknown = sorted(set(service or ()) - set(SERVICE_LOGS))
    if unknown:
        raise typer.BadParameter(
            f"no such service: {', '.join(unknown)} (one of {', '.join(SERVICE_LOGS)})",
            param_hint="--service",
        )
    if not folder.is_dir():
        console.print(f"[red]no logs in {folder}[/]: is this the data folder of a `samen up`?")
        raise typer.Exit(1)
    lines = merged(folder, correlation_id=correlation_id, services=service or SERVICE_LOGS)
    for line in lines:
        print(json.dumps(line.fields) if as_json else line.readable())
    if not lines:
        console.print(
            "no log lines" + (f" with correlation id {correlation_id}" if correlation_id else "")
        )


@app.command()
def docs(
    folder: Annotated[Path, typer.Option(help="the docs folder")] = Path("docs"),
) -> None:
    """Regenerate the documents made from the code: docs/asyncapi/*.json, docs/events.md and
    docs/configuration.md."""
    from samen.docs import events_markdown, write_asyncapi

    for path in write_asyncapi(folder / "asyncapi"):
        console.print(f"[green]✓[/] {path}")
    (folder / "events.md").write_text(events_markdown())
    console.print(f"[green]✓[/] {folder / 'events.md'}")
    (folder / "configuration.md").write_text(configuration_markdown())
    console.print(f"[green]✓[/] {folder / 'configuration.md'}")


if __name__ == "__main__":
    app()


def _backup_target() -> "Target":
    from samen.backup import SERVICES, Target
    from shared.running_system import settings_for_command, tell
    from shared.subjects import ADMIN_USER

    admin = settings_for_command("backup", nats_user=ADMIN_USER, say=tell)
    return Target(
        database_urls={
            service: settings_for_command(service).database_url_for(service) for service in SERVICES
        },
        nats_servers=admin.nats_servers(),
        nats_user=admin.nats_user,
        nats_password=admin.nats_password,
    )


@app.command()
def backup(
    dest: Annotated[Path, typer.Argument(help="a new folder, or a file ending in .tar.gz")],
) -> None:
    """Copy every service's database and the streams' messages into DEST (the running `samen
    up` of the data folder, else NATS_URL and the database URLs of the environment)."""
    from datetime import UTC, datetime

    from rich.progress import Progress

    from samen.backup import (
        MANIFEST,
        SERVICES,
        BackupError,
        alembic_revision,
        copy_database,
        export_streams,
        make_manifest,
        writing_to,
    )

    target = _backup_target()
    try:
        with writing_to(dest) as folder, Progress(console=console, transient=True) as progress:
            task = progress.add_task("databases", total=len(SERVICES))
            files = {}
            for service in SERVICES:
                files[service] = copy_database(target.database_urls[service], folder, service)
                progress.advance(task)
            revisions = {s: alembic_revision(target.database_urls[s]) for s in SERVICES}
            streams = progress.add_task("streams", total=None)

            def shown(name: str, done: int, total: int) -> None:
                progress.update(streams, description=name, completed=done, total=total)

            counts = asyncio.run(export_streams(target, folder, shown))
            manifest = make_manifest(
                databases=files, revisions=revisions, streams=counts, now=datetime.now(UTC)
            )
            (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    except (BackupError, OSError) as exc:
        console.print(f"[red]backup failed:[/] {exc}")
        raise typer.Exit(1) from exc
    messages = ", ".join(f"{name} {count}" for name, count in counts.items())
    console.print(f"[green]✓[/] backed up {len(files)} databases and messages ({messages})")


@app.command()
def restore(
    src: Annotated[Path, typer.Argument(help="a backup folder or .tar.gz")],
    force: Annotated[
        bool, typer.Option(help="overwrite databases and streams that hold data")
    ] = False,
) -> None:
    """Restore a backup into an empty system, before `samen up` starts it: the databases, then
    the streams and their messages in order."""
    from rich.progress import Progress

    from samen.backup import (
        BackupError,
        delete_streams,
        import_streams,
        read_manifest,
        reading_from,
        refusals,
        restore_database,
    )

    target = _backup_target()
    try:
        with reading_from(src) as folder:
            manifest = read_manifest(folder)
            found = refusals(target, manifest)
            if found and not force:
                console.print(
                    f"[red]refused:[/] the target is not empty ({', '.join(found)}); "
                    "restore into an empty system, or pass --force"
                )
                raise typer.Exit(1)
            with Progress(console=console, transient=True) as progress:
                databases = manifest["databases"]
                task = progress.add_task("databases", total=len(databases))
                for service, entry in databases.items():
                    restore_database(target.database_urls[service], folder, entry["file"])
                    progress.advance(task)
                streams = progress.add_task("streams", total=None)

                def shown(name: str, done: int, total: int) -> None:
                    progress.update(streams, description=name, completed=done, total=total)

                if found and force:
                    asyncio.run(delete_streams(target))
                counts = asyncio.run(import_streams(target, folder, shown))
    except (BackupError, OSError) as exc:
        console.print(f"[red]restore failed:[/] {exc}")
        raise typer.Exit(1) from exc
    messages = ", ".join(f"{name} {count}" for name, count in counts.items())
    console.print(f"[green]✓[/] restored {len(databases)} databases and messages ({messages})")
