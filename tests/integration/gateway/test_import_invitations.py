"""The gateway invites the members an import brought in with an e-mail address: a log-in
without a password and the invitation's link through notify, once each."""

import pytest

from services.gateway.config import GatewaySettings
from shared.contracts import registry as rc
from tests.integration.gateway.conftest import RunningGateway
from tests.support import eventually

pytestmark = pytest.mark.integration


def due(
    member_id: str, email: str, *, roles: list[str] | None = None, language: str = "nl"
) -> rc.InvitationDue:
    return rc.InvitationDue.model_validate(
        {
            "member_id": member_id,
            "email": email,
            "roles": roles or ["resident"],
            "language": language,
        }
    )


@pytest.fixture
def gateway_options() -> GatewaySettings:
    return GatewaySettings(cookie_secure=False, demo=False, invitation_poll_seconds=0.1)


async def test_imported_members_get_one_invitation_each(running_gateway: RunningGateway) -> None:
    world, gateway = running_gateway.world, running_gateway.gateway
    async with running_gateway.client() as client:
        owner = await running_gateway.register(client, "heeft.al@example.nl")
    world.invitations = [
        due("mem-imp-1", "nieuw1@example.nl"),
        due("mem-imp-2", "nieuw2@example.nl", roles=["resident", "volunteer"], language="en"),
        due(owner, "heeft.al@example.nl"),  # a log-in already (registered before): none
    ]

    async def all_handled() -> bool:
        return not world.invitations

    await eventually(all_handled, timeout=15, message="the invitations were not handled")
    invited = [(n.member_id, n.kind) for n in world.notices if n.kind == "invitation"]
    assert sorted(invited) == [("mem-imp-1", "invitation"), ("mem-imp-2", "invitation")]
    account = await gateway.store.account_by_member("mem-imp-2")
    assert (
        account is not None
        and account.password_hash == ""
        and account.roles
        == [
            "resident",
            "volunteer",
        ]
    )
    # Asked again (a registry that had not heard "done"), nobody is invited a second time.
    world.invitations = [due("mem-imp-1", "nieuw1@example.nl")]
    await eventually(all_handled, timeout=15, message="the repeated invitation was not handled")
    assert len([n for n in world.notices if n.kind == "invitation"]) == 2
