"""`samen admin create`: the first admin and the coordinators of each cooperative.

The member is registered in the running registry over request/reply (or found by e-mail and
given the role), optionally added to a cooperative's coordinators, and gets a log-in in the
gateway's database (`SAMEN_GATEWAY_DATABASE_URL`, else the usual default).
"""

import asyncio
import os
import secrets
from typing import Annotated

import typer
from rich.console import Console

from services.gateway.adapters.store import GatewayStore, normalise_email
from services.gateway.bootstrap import MIGRATIONS
from services.gateway.security import hash_password
from shared.clock import SystemClock
from shared.contracts import registry as rc
from shared.db import create_engine, session_factory
from shared.errors import NotFound
from shared.migrations import upgrade
from shared.reach import expect_nats
from shared.rpc import RpcClient
from shared.running_system import settings_for_command, tell
from shared.service import nats_broker
from shared.settings import Settings

console = Console()
admin_app = typer.Typer(help="Administrators and coordinators.", no_args_is_help=True)
COMMANDS = {"admin": admin_app}

ROLES = ("admin", "coordinator", "volunteer", "resident")


def gateway_database_url(settings: Settings) -> str:
    return os.environ.get("SAMEN_GATEWAY_DATABASE_URL") or settings.database_url_for("gateway")


async def create_account(
    *,
    email: str,
    role: str,
    name: str,
    postcode: str,
    house_number: str,
    cooperative: str | None,
    password: str,
    settings: Settings,
) -> str:
    await expect_nats(settings.nats_servers())
    broker = nats_broker(settings, name="samen-admin")
    await broker.connect()
    rpc = RpcClient(broker, timeout=settings.rpc_timeout)
    try:
        try:
            member = await rpc.call(
                rc.MEMBER_FIND_BY_EMAIL, rc.MemberByEmail(email=normalise_email(email))
            )
        except NotFound:
            # Registered as a resident; the role is given below by this trusted caller.
            member = await rpc.call(
                rc.MEMBER_REGISTER,
                rc.MemberRegister(
                    name=name,
                    email=normalise_email(email),
                    postcode=postcode,
                    house_number=house_number,
                ),
            )
        if role not in member.roles:
            member = await rpc.call(
                rc.MEMBER_UPDATE,
                rc.MemberUpdate(member_id=member.member_id, roles=[*member.roles, role]),
            )
        if cooperative:
            coop = await rpc.call(rc.COOPERATIVE_GET, rc.CooperativeRef(cooperative_id=cooperative))
            if member.member_id not in coop.coordinator_ids:
                await rpc.call(
                    rc.COOPERATIVE_UPDATE,
                    rc.CooperativeUpdate(
                        cooperative_id=cooperative,
                        coordinator_ids=[*coop.coordinator_ids, member.member_id],
                    ),
                )
    finally:
        await broker.stop()

    url = gateway_database_url(settings)
    await upgrade(MIGRATIONS, url)
    engine = create_engine(url)
    try:
        store = GatewayStore(session_factory(engine), SystemClock())
        hashed = await hash_password(password)
        account = await store.account_by_email(email)
        if account is None:
            await store.create_account(
                member_id=member.member_id,
                email=email,
                password_hash=hashed,
                roles=list(member.roles),
                language=member.language,
            )
        else:
            await store.update_account(
                account.account_id, password_hash=hashed, roles=list(member.roles)
            )
    finally:
        await engine.dispose()
    return member.member_id


@admin_app.command("create")
def create(
    email: Annotated[str, typer.Option(help="log-in e-mail address")],
    role: Annotated[str, typer.Option(help="admin or coordinator (or volunteer, resident)")],
    name: Annotated[str | None, typer.Option(help="full name (default: from the e-mail)")] = None,
    postcode: Annotated[str, typer.Option(help="home or office postcode")] = "3511",
    house_number: Annotated[str, typer.Option()] = "1",
    cooperative: Annotated[
        str | None, typer.Option(help="cooperative id to coordinate (samen cooperative list)")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(help="password (default: SAMEN_ADMIN_PASSWORD, else a generated one)"),
    ] = None,
) -> None:
    """Create (or promote) an account with a role; prints the member id."""
    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(ROLES)}")
    generated = None
    password = password or os.environ.get("SAMEN_ADMIN_PASSWORD")
    if not password:
        password = generated = secrets.token_urlsafe(12)
    if len(password) < 8:
        raise typer.BadParameter("the password needs at least 8 characters")
    member_id = asyncio.run(
        create_account(
            email=email,
            role=role,
            name=name or email.split("@")[0].replace(".", " ").title(),
            postcode=postcode,
            house_number=house_number,
            cooperative=cooperative,
            password=password,
            settings=settings_for_command("gateway", say=tell),
        )
    )
    console.print(f"[green]✓[/] {role} {email}: member {member_id}")
    if generated:
        console.print(f"  password: {generated}")
