"""The way back in through the whole system: `samen up`'s real processes (gateway, registry,
notify, matching) on their own nats-server, with notify mailing through a real SMTP server.
The link is taken from the e-mail the member receives."""

import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller

from samen.nats_server import free_port
from samen.stack import PostgresDatabases
from tests.conftest import ExternalNats, RunningSystem, start_nats, start_system, stop_system
from tests.e2e.conftest import PASSWORD, Api
from tests.integration.notify.harness import SmtpBehaviour, SmtpServer, _Handler, text_of
from tests.support import wait_until

pytestmark = pytest.mark.integration

NEW_PASSWORD = "mijn nieuwe wachtwoord"
RESET_LINK = re.compile(r"https?://\S+/reset/[A-Za-z0-9_.-]+")


@pytest.fixture(scope="module")
def mailbox() -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port(), behaviour=SmtpBehaviour())
    controller = Controller(_Handler(server), hostname="127.0.0.1", port=server.port)
    controller.start()
    yield server
    controller.stop()


@pytest.fixture(scope="module")
def mailing_system(
    tmp_path_factory: pytest.TempPathFactory,
    postgres: PostgresDatabases | None,
    mailbox: SmtpServer,
) -> Iterator[RunningSystem]:
    tmp: Path = tmp_path_factory.mktemp("mailing")
    nats = start_nats(tmp / "jetstream")
    system = start_system(tmp, nats.url, postgres, {"SAMEN_SMTP_URL": mailbox.url})
    yield system
    stop_system(system)
    if not isinstance(nats, ExternalNats):
        nats.stop()


def mail_to(mailbox: SmtpServer, address: str, subject: str) -> EmailMessage:
    def arrived() -> EmailMessage | None:
        return next((m for m in mailbox.to(address) if m["Subject"] == subject), None)

    found = wait_until(arrived, timeout=60, message=f"no {subject!r} e-mail reached {address}")
    assert found is not None
    return found


def link_in(message: EmailMessage) -> str:
    found = RESET_LINK.search(text_of(message))
    assert found, text_of(message)
    return found.group(0).split("/reset/", 1)[1]


def test_a_member_resets_the_password_from_the_email_once(
    mailing_system: RunningSystem, mailbox: SmtpServer
) -> None:
    api = Api(mailing_system)
    api.register("vergeten@example.nl", "3561 AB", "12")
    other_device = api.login("vergeten@example.nl")
    with httpx.Client(base_url=mailing_system.url, timeout=15) as client:
        unknown = client.post("/api/v1/auth/password-reset", json={"email": "niemand@example.nl"})
        known = client.post("/api/v1/auth/password-reset", json={"email": "vergeten@example.nl"})
        assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
        token = link_in(mail_to(mailbox, "vergeten@example.nl", "Een nieuw wachtwoord instellen"))
        confirm = {"token": token, "password": NEW_PASSWORD}
        assert client.post("/api/v1/auth/password-reset/confirm", json=confirm).status_code == 204
        again = client.post("/api/v1/auth/password-reset/confirm", json=confirm)
        assert (again.status_code, again.json()["code"]) == (410, "link_used")
        assert client.get("/api/v1/me", headers=other_device).status_code == 401
        old = {"email": "vergeten@example.nl", "password": PASSWORD}
        assert client.post("/api/v1/auth/login", json=old).status_code == 401
        new = {"email": "vergeten@example.nl", "password": NEW_PASSWORD}
        assert client.post("/api/v1/auth/login", json=new).status_code == 200
    assert not mailbox.to("niemand@example.nl")


def test_a_member_the_information_point_registers_is_invited_and_logs_in(
    mailing_system: RunningSystem, mailbox: SmtpServer
) -> None:
    api = Api(mailing_system)
    api.admin_create(
        "buurtpunt@example.nl", "coordinator", cooperative=api.cooperative_of("WK034403")
    )
    coordinator = api.login("buurtpunt@example.nl")
    with httpx.Client(base_url=mailing_system.url, timeout=15) as client:
        made = client.post(
            "/api/v1/coordinator/members",
            json={
                "name": "Truus Bakker",
                "postcode": "3561 AB",
                "house_number": "14",
                "email": "truus@example.nl",
            },
            headers=coordinator,
        )
        assert made.status_code == 201, made.text
        invitation = mail_to(mailbox, "truus@example.nl", "U bent aangemeld bij Samen")
        chosen = client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": link_in(invitation), "password": NEW_PASSWORD},
        )
        assert chosen.status_code == 204, chosen.text
        signed_in = client.post(
            "/api/v1/auth/login", json={"email": "truus@example.nl", "password": NEW_PASSWORD}
        )
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["member_id"] == made.json()["member_id"]
