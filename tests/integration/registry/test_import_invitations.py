"""Imported members with an e-mail address wait in the registry to be invited (by the
gateway, which gives them a log-in): each once, none without an address, none erased."""

import pytest

from services.registry.bootstrap import RegistryRuntime
from services.registry.service_layer.imports import import_members
from shared.contracts import registry as c
from tests.integration.registry.csvgen import member_rows
from tests.privacy import personal

pytestmark = pytest.mark.integration


async def due(registry: RegistryRuntime) -> list[c.InvitationDue]:
    found = await registry.rpc.call(c.MEMBER_INVITATIONS_DUE, c.InvitationsQuery(limit=100))
    return found.invitations


async def test_imported_members_with_an_address_are_invited_once(
    registry: RegistryRuntime,
) -> None:
    personal("Testpersoon", "example.org")
    rows = member_rows(8)  # row 0 and row 7 have no e-mail address
    report = await import_members(rows, uow_factory=registry.make_uow)
    assert report.imported == 8
    waiting = await due(registry)
    assert sorted(i.email for i in waiting) == sorted(r["email"] for r in rows if r["email"])
    assert all(i.roles and i.language in ("nl", "en") for i in waiting)

    first, *others = waiting
    for _ in range(2):  # done is idempotent
        await registry.rpc.call(c.MEMBER_INVITATION_DONE, c.MemberRef(member_id=first.member_id))
    assert {i.member_id for i in await due(registry)} == {i.member_id for i in others}

    await registry.rpc.call(c.MEMBER_ERASE, c.MemberQuery(member_id=others[0].member_id))
    assert {i.member_id for i in await due(registry)} == {i.member_id for i in others[1:]}

    # The same file again adds only the erased person (forgotten, so new again), whose new
    # membership gets an invitation of its own; nobody else is invited twice.
    again = await import_members(rows, uow_factory=registry.make_uow)
    assert again.imported == 1
    after = await due(registry)
    assert len(after) == len(others)
    assert first.member_id not in {i.member_id for i in after}
