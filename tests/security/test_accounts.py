"""A way back in: a password reset by e-mail, and an invitation to set a password for members
the information point registered.

The gateway runs under uvicorn on a real nats-server and a real database, with fake registry
and notify services (tests/integration/gateway/fakes.py: the fake notify records each
`account.notice`, link and all); time is a FrozenClock. What notify does with the link (the
e-mail itself, through a real SMTP server) is tested below against the real notify service.
"""

# The fixtures come from the gateway's and notify's integration harnesses, imported below.
# ruff: noqa: F811

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from services.gateway.config import GatewaySettings
from services.notify.bootstrap import Notify
from shared.clock import Clock, FrozenClock
from shared.contracts.notify import (
    ACCOUNT_NOTICE,
    AccountNotice,
    InboxQuery,
    PreferencesUpdate,
)
from shared.errors import Invalid
from tests.integration.gateway.conftest import PASSWORD, RunningGateway
from tests.integration.notify.harness import (  # noqa: F401
    RegistryData,
    SmtpServer,
    Webhook,
    clock,
    html_of,
    notify,
    notify_factory,
    notify_own_settings,
    notify_settings,
    registry,
    smtp,
    soon,
    text_of,
    webhook,
)

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
NEW_PASSWORD = "a brand new password"
SAME_ANSWER = {
    "detail": "If this address is known to us, you will get an e-mail with a link to set a new "
    "password."
}


@pytest.fixture
def frozen() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def gateway_clock(frozen: FrozenClock) -> Clock:
    return frozen


@pytest.fixture
def gateway_options() -> GatewaySettings:
    return GatewaySettings(
        register_attempts=100,
        reset_attempts=6,
        reset_address_attempts=3,
        cookie_secure=False,
        demo=False,
    )


def links(running: RunningGateway, kind: str) -> list[AccountNotice]:
    return [n for n in running.world.notices if n.kind == kind]


def token_of(notice: AccountNotice) -> str:
    assert notice.link is not None
    path = urlsplit(notice.link).path
    assert path.startswith("/reset/")
    return path.removeprefix("/reset/")


async def ask_reset(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post("/api/v1/auth/password-reset", json={"email": email})


async def confirm(client: httpx.AsyncClient, token: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": password}
    )


async def log_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


# ------------------------------------------------------------------ a reset


async def test_a_reset_link_sets_the_password_once_and_ends_every_other_session(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        member_id = await running_gateway.register(client, "forgot@example.nl")
        other_device = await running_gateway.bearer(client, "forgot@example.nl")
        assert (await client.get("/api/v1/me", headers=other_device)).status_code == 200

        asked = await ask_reset(client, "Forgot@Example.nl")
        assert (asked.status_code, asked.json()) == (202, SAME_ANSWER)
        [notice] = links(running_gateway, "password_reset")
        assert notice.member_id == member_id
        token = token_of(notice)

        done = await confirm(client, token, NEW_PASSWORD)
        assert done.status_code == 204, done.text

        # The other device is signed out, the old password is gone, the new one works.
        assert (await client.get("/api/v1/me", headers=other_device)).status_code == 401
        assert (await log_in(client, "forgot@example.nl", PASSWORD)).status_code == 401
        assert (await log_in(client, "forgot@example.nl", NEW_PASSWORD)).status_code == 200

        # The link is spent: a second use is refused, plainly, and changes nothing.
        again = await confirm(client, token, "yet another password")
        assert again.status_code == 410
        assert again.headers["content-type"] == PROBLEM
        assert again.json()["code"] == "link_used"
        assert (await log_in(client, "forgot@example.nl", NEW_PASSWORD)).status_code == 200
        page = await client.get(f"/reset/{token}", headers={"Accept": "text/html"})
    assert page.status_code == 410
    assert "Deze link is al gebruikt" in page.text
    assert 'name="password"' not in page.text


async def test_an_expired_reset_link_is_refused_and_changes_nothing(
    running_gateway: RunningGateway, frozen: FrozenClock
) -> None:
    clock = frozen
    async with running_gateway.client() as client:
        await running_gateway.register(client, "late@example.nl")
        await ask_reset(client, "late@example.nl")
        [notice] = links(running_gateway, "password_reset")
        assert notice.expires_at is not None
        assert notice.expires_at - clock.now() == timedelta(hours=1)
        clock.advance(timedelta(hours=1))

        page = await client.get(f"/reset/{token_of(notice)}", headers={"Accept": "text/html"})
        assert page.status_code == 410
        assert "Deze link is verlopen" in page.text
        late = await confirm(client, token_of(notice), NEW_PASSWORD)
        assert (late.status_code, late.json()["code"]) == (410, "link_expired")
        assert (await log_in(client, "late@example.nl", PASSWORD)).status_code == 200
        assert (await log_in(client, "late@example.nl", NEW_PASSWORD)).status_code == 401


async def test_a_changed_or_made_up_token_is_refused(running_gateway: RunningGateway) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "forged@example.nl")
        await ask_reset(client, "forged@example.nl")
        [notice] = links(running_gateway, "password_reset")
        token = token_of(notice)
        changed = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
        for bad in (changed, "made-up", "eyJqIjoiMSIsImUiOjk5OTk5OTk5OTl9.x"):
            refused = await confirm(client, bad, NEW_PASSWORD)
            assert (refused.status_code, refused.json()["code"]) == (410, "link_invalid"), bad
        assert (await log_in(client, "forged@example.nl", PASSWORD)).status_code == 200


async def test_an_unknown_address_gets_the_same_answer_and_no_email(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "known@example.nl")
        known = await ask_reset(client, "known@example.nl")
        unknown = await ask_reset(client, "nobody@example.nl")
    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    assert [n.kind for n in running_gateway.world.notices] == ["password_reset"]


async def test_reset_requests_are_limited_per_address_and_per_client(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "target@example.nl")
        for _ in range(3):
            assert (await ask_reset(client, "target@example.nl")).status_code == 202
        flooded = await ask_reset(client, "target@example.nl")
        assert flooded.status_code == 429
        assert flooded.headers["content-type"] == PROBLEM
        assert int(flooded.headers["retry-after"]) > 0
        assert len(links(running_gateway, "password_reset")) == 3, "the owner's mailbox is flooded"

        # The client has asked 4 times of its 6: two more addresses, then it waits too.
        for n in range(2):
            assert (await ask_reset(client, f"other{n}@example.nl")).status_code == 202
        assert (await ask_reset(client, "fresh@example.nl")).status_code == 429


async def test_the_pages_lead_from_the_log_in_to_a_new_password(
    running_gateway: RunningGateway,
) -> None:
    html = {"Accept": "text/html"}

    def csrf(page: httpx.Response) -> str:
        return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    async with running_gateway.client(follow_redirects=False) as client:
        await running_gateway.register(client, "pages@example.nl")
        login = await client.get("/login", headers=html)
        assert 'href="/password-reset"' in login.text and "Wachtwoord vergeten?" in login.text

        answers = []
        for email in ("pages@example.nl", "unknown@example.nl"):
            form = await client.get("/password-reset", headers=html)
            sent = await client.post(
                "/password-reset",
                data={"email": email, "csrf_token": csrf(form)},
                headers=html,
            )
            answers.append((sent.status_code, sent.text))
        assert answers[0] == answers[1], "the page tells a known address from an unknown one"
        assert "Als dit adres bij ons bekend is, krijgt u een e-mail" in answers[0][1]

        [notice] = links(running_gateway, "password_reset")
        token = token_of(notice)
        form = await client.get(f"/reset/{token}", headers=html)
        assert form.status_code == 200 and 'name="password"' in form.text
        short = await client.post(
            f"/reset/{token}", data={"password": "short", "csrf_token": csrf(form)}, headers=html
        )
        assert short.status_code == 422  # and the link still works:
        done = await client.post(
            f"/reset/{token}",
            data={"password": NEW_PASSWORD, "csrf_token": csrf(form)},
            headers=html,
        )
        assert done.status_code == 303
        assert done.headers["location"] == "/login?done=password_set"
        assert (await log_in(client, "pages@example.nl", NEW_PASSWORD)).status_code == 200


# ------------------------------------------------------------------ an invitation


async def test_a_member_registered_by_a_coordinator_is_invited_to_set_a_password(
    running_gateway: RunningGateway, frozen: FrozenClock
) -> None:
    clock = frozen
    world = running_gateway.world
    async with running_gateway.client() as client:
        coordinator_id = await running_gateway.register(client, "fatima@example.nl")
        world.make_coordinator(coordinator_id, "overvecht")
        headers = await running_gateway.bearer(client, "fatima@example.nl")
        without_email = await client.post(
            "/api/v1/coordinator/members",
            json={"name": "Kees Zonder", "postcode": "3561 AB", "house_number": "3"},
            headers=headers,
        )
        assert without_email.status_code == 201, without_email.text
        assert links(running_gateway, "invitation") == []

        registered = await client.post(
            "/api/v1/coordinator/members",
            json={
                "name": "Truus Bakker",
                "postcode": "3561 AB",
                "house_number": "4",
                "email": "truus@example.nl",
            },
            headers=headers,
        )
        assert registered.status_code == 201, registered.text
        [invitation] = links(running_gateway, "invitation")
        assert invitation.member_id == registered.json()["member_id"]
        assert invitation.expires_at is not None
        assert invitation.expires_at - clock.now() == timedelta(days=7)

        # No password works until the member chooses one, not even an empty one.
        for guess in ("", " ", PASSWORD):
            assert (await log_in(client, "truus@example.nl", guess or "x")).status_code == 401

        clock.advance(timedelta(days=6))
        chosen = await confirm(client, token_of(invitation), NEW_PASSWORD)
        assert chosen.status_code == 204, chosen.text
        signed_in = await log_in(client, "truus@example.nl", NEW_PASSWORD)
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["member_id"] == invitation.member_id


# ------------------------------------------------------------------ notify sends the link


async def test_notify_mails_a_reset_link_at_once_to_the_member_only_and_then_forgets_it(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, clock: FrozenClock, webhook: Webhook
) -> None:
    clock.advance(timedelta(hours=14))  # late in the evening: quiet hours do not hold it
    registry.person("mem-reset", "Ans", email="ans@example.org")
    await notify.api.preferences_set(
        PreferencesUpdate(
            member_id="mem-reset", channels=["apprise", "email"], apprise_urls=[webhook.url()]
        )
    )
    link = "https://samen.example/reset/eyJqIjoiYWJjIn0.c2lnbmVk"
    notice = AccountNotice(
        member_id="mem-reset",
        kind="password_reset",
        link=link,
        expires_at=clock.now() + timedelta(hours=1),
    )
    queued = await notify.runtime.rpc.call(ACCOUNT_NOTICE, notice)
    assert queued.notification_id

    async def mailed() -> list[Any]:
        return list(smtp.to("ans@example.org"))

    [mail] = await soon(mailed, message="no reset e-mail reached the member")
    assert mail["Subject"] == "Een nieuw wachtwoord instellen"
    assert link in text_of(mail) and link in html_of(mail)

    async def forgotten() -> bool:
        row = await notify_row(notify, queued.notification_id or "")
        return "url" not in row["context"]

    await soon(forgotten, message="notify kept the reset link after sending it")
    inbox = await notify.api.inbox_list(InboxQuery(member_id="mem-reset"))
    assert inbox.items == [], "the reset link went to the in-app inbox"
    assert webhook.posts == [], "the reset link went to an Apprise channel"


async def test_notify_refuses_to_mail_a_link_that_is_not_the_gateways_own(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, clock: FrozenClock
) -> None:
    registry.person("mem-phish", "Bert", email="bert@example.org")
    for link in (
        "https://evil.example/reset/abc.def",
        "https://samen.example/elsewhere/abc.def",
        "https://samen.example/reset/abc/../../x",
        None,
    ):
        notice = AccountNotice(
            member_id="mem-phish",
            kind="password_reset",
            link=link,
            expires_at=clock.now() + timedelta(hours=1),
        )
        with pytest.raises(Invalid):
            await notify.runtime.rpc.call(ACCOUNT_NOTICE, notice)
    assert list(smtp.to("bert@example.org")) == []


async def notify_row(notify: Notify, notification_id: str) -> Any:
    from sqlalchemy import select

    from services.notify.adapters.orm import notifications

    async with notify.runtime.uow() as uow:
        row = (
            (
                await uow.session.execute(
                    select(notifications).where(notifications.c.id == notification_id)
                )
            )
            .mappings()
            .one()
        )
    return row
