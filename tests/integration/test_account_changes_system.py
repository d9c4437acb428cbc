"""Account changes through the whole system (`samen up`'s real processes, notify mailing to a
real SMTP server): a new e-mail address counts only once its mailbox confirms it, an imported
member is invited to set a password, the notification settings keep every channel and send a
test message, and a pause can name its return day."""

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from samen.stack import PostgresDatabases
from tests.conftest import ExternalNats, RunningSystem, start_nats, start_system, stop_system
from tests.e2e.conftest import PASSWORD, Api
from tests.integration.notify.harness import SmtpServer, text_of
from tests.integration.registry.csvgen import write_csv
from tests.integration.test_volunteer_page import form_of, posted, signed_in
from tests.security.test_accounts_system import NEW_PASSWORD, link_in, mail_to, mailbox

pytestmark = pytest.mark.integration
__all__ = ["mailbox"]

EMAIL_LINK = re.compile(r"https?://\S+/email/([A-Za-z0-9_.-]+)")
TELEGRAM = "tgram://123456789:abcdefghijklmnopqrstuvwxyz_ABCDEFGH/987654321"


@pytest.fixture(scope="module")
def mailing_system(
    tmp_path_factory: pytest.TempPathFactory,
    postgres: PostgresDatabases | None,
    mailbox: SmtpServer,
) -> Iterator[RunningSystem]:
    tmp: Path = tmp_path_factory.mktemp("changes")
    nats = start_nats(tmp / "jetstream")
    system = start_system(
        tmp,
        nats.url,
        postgres,
        {"SAMEN_SMTP_URL": mailbox.url, "SAMEN_INVITATION_POLL_SECONDS": "0.5"},
    )
    yield system
    stop_system(system)
    if not isinstance(nats, ExternalNats):
        nats.stop()


def test_a_new_email_address_counts_once_the_new_mailbox_confirms_it(
    mailing_system: RunningSystem, mailbox: SmtpServer
) -> None:
    api = Api(mailing_system)
    api.register("oud.adres@example.nl", "3561 AB", "20")
    bearer = api.login("oud.adres@example.nl")
    with httpx.Client(base_url=mailing_system.url, timeout=15) as client:
        asked = client.post(
            "/api/v1/me/email", json={"email": "Nieuw.Adres@example.nl"}, headers=bearer
        )
        assert asked.status_code == 202, asked.text
        # Nothing changes before the new mailbox answers.
        new_login = {"email": "nieuw.adres@example.nl", "password": PASSWORD}
        assert client.post("/api/v1/auth/login", json=new_login).status_code == 401
        assert client.get("/api/v1/me", headers=bearer).json()["email"] == "oud.adres@example.nl"

        confirmation = mail_to(mailbox, "nieuw.adres@example.nl", "Bevestig uw nieuwe e-mailadres")
        found = EMAIL_LINK.search(text_of(confirmation))
        assert found, text_of(confirmation)
        token = found.group(1)
        page = client.get(f"/email/{token}", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "nieuw.adres@example.nl" in page.text
        assert client.post("/api/v1/auth/login", json=new_login).status_code == 401  # opened only

        done = client.post("/api/v1/auth/email-change/confirm", json={"token": token})
        assert done.status_code == 204, done.text
        again = client.post("/api/v1/auth/email-change/confirm", json={"token": token})
        assert (again.status_code, again.json()["code"]) == (410, "link_used")
        assert client.post("/api/v1/auth/login", json=new_login).status_code == 200
        old_login = {"email": "oud.adres@example.nl", "password": PASSWORD}
        assert client.post("/api/v1/auth/login", json=old_login).status_code == 401
        assert client.get("/api/v1/me", headers=bearer).json()["email"] == "nieuw.adres@example.nl"
    mail_to(mailbox, "oud.adres@example.nl", "Uw e-mailadres bij Samen is veranderd")


def test_an_imported_member_with_an_address_is_invited_and_logs_in(
    mailing_system: RunningSystem, mailbox: SmtpServer, tmp_path: Path
) -> None:
    people = [
        {"name": "Ina Import", "email": "ina.import@example.nl", "postcode": "3562 AB"},
        {"name": "Kees Telefoon", "phone": "0612345678", "postcode": "3562 AB"},
    ]
    rows = [{"house_number": str(n + 1), "language": "nl", **p} for n, p in enumerate(people)]
    csv_file = write_csv(tmp_path / "leden.csv", rows)
    done = subprocess.run(
        [sys.executable, "-m", "samen", "members", "import", str(csv_file)],
        env=mailing_system.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    invitation = mail_to(mailbox, "ina.import@example.nl", "U bent aangemeld bij Samen")
    with httpx.Client(base_url=mailing_system.url, timeout=15) as client:
        chosen = client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": link_in(invitation), "password": NEW_PASSWORD},
        )
        assert chosen.status_code == 204, chosen.text
        signed_in = client.post(
            "/api/v1/auth/login",
            json={"email": "ina.import@example.nl", "password": NEW_PASSWORD},
        )
    assert signed_in.status_code == 200, signed_in.text


def test_notification_settings_keep_every_channel_and_a_test_message_arrives(
    mailing_system: RunningSystem, mailbox: SmtpServer
) -> None:
    api = Api(mailing_system)
    api.register("kanalen.echt@example.nl", "3561 AB", "21")
    bearer = api.login("kanalen.echt@example.nl")
    with httpx.Client(base_url=mailing_system.url, timeout=15) as client:
        refused = client.patch(
            "/api/v1/me/notifications",
            json={"apprise_add": ["json://169.254.169.254/latest"]},
            headers=bearer,
        )
        assert refused.status_code == 422, refused.text
        assert "169.254" not in refused.text
        added = client.patch(
            "/api/v1/me/notifications",
            json={"apprise_add": [TELEGRAM], "channels": ["email", "apprise"]},
            headers=bearer,
        )
        assert added.status_code == 200, added.text
        assert TELEGRAM not in added.text
        # What the page posts when only the quiet hours change: every channel stays.
        kept = client.patch(
            "/api/v1/me/notifications",
            json={"channels": ["email", "apprise"], "quiet_start": "23:00"},
            headers=bearer,
        )
        assert kept.status_code == 200, kept.text
        assert kept.json()["channels"] == ["email", "apprise"]
        assert [a["scheme"] for a in kept.json()["apprise"]] == ["tgram"]
        tested = client.post("/api/v1/me/notifications/test", headers=bearer)
        assert tested.status_code == 202, tested.text
        assert tested.json()["channels"] == ["email", "apprise", "inbox"]
    mail_to(mailbox, "kanalen.echt@example.nl", "Testbericht van Samen")
    # The Apprise URL is a secret: in no service's log, whatever became of the Telegram try.
    secret = TELEGRAM.split("://", 1)[1].split("/", 1)[0]
    for service in ("gateway", "notify", "registry"):
        assert secret not in mailing_system.logs(service), service


def test_a_pause_names_its_return_day(mailing_system: RunningSystem) -> None:
    api = Api(mailing_system)
    api.register("pauze@example.nl", "3561 AB", "22")
    bearer = api.login("pauze@example.nl")
    profile = {"categories": ["groceries"], "flexible": True, "active": False}
    with httpx.Client(base_url=mailing_system.url, timeout=15) as client:
        past = client.put(
            "/api/v1/volunteers/me", json={**profile, "paused_until": "2020-01-01"}, headers=bearer
        )
        assert past.status_code == 422, past.text
        paused = client.put(
            "/api/v1/volunteers/me", json={**profile, "paused_until": "2099-06-01"}, headers=bearer
        )
        assert paused.status_code == 200, paused.text
        shown = client.get("/api/v1/volunteers/me", headers=bearer).json()
    assert shown["active"] is False and shown["paused_until"] == "2099-06-01"


def test_the_pages_change_the_address_the_notification_settings_and_the_pause(
    mailing_system: RunningSystem, mailbox: SmtpServer
) -> None:
    client, bearer = signed_in(mailing_system, "pagina.oud@example.nl")
    with closing(client):
        me = client.get("/me")
        asked = client.post(
            "/me/email",
            data={"new_email": "pagina.nieuw@example.nl", "csrf_token": csrf_of(me.text)},
        )
        assert asked.status_code == 303 and asked.headers["location"] == "/me?done=email_sent"
        found = EMAIL_LINK.search(
            text_of(mail_to(mailbox, "pagina.nieuw@example.nl", "Bevestig uw nieuwe e-mailadres"))
        )
        assert found
        page = client.get(f"/email/{found.group(1)}")
        confirmed = client.post(f"/email/{found.group(1)}", data={"csrf_token": csrf_of(page.text)})
        assert confirmed.headers["location"] == "/me?done=email_changed"
        assert "pagina.nieuw@example.nl" in client.get("/me").text

        # The notification page, saved as it is shown, keeps the Apprise channel and address.
        client.patch(
            "/api/v1/me/notifications",
            json={"apprise_add": [TELEGRAM], "channels": ["apprise", "email"]},
            headers=bearer,
        )
        shown = client.get("/me/notifications")
        assert TELEGRAM not in shown.text
        fields = posted(form_of(shown.text).fields)
        saved = client.post("/me/notifications", data=fields)
        assert saved.status_code == 303, saved.text[:500]
        kept = client.get("/api/v1/me/notifications", headers=bearer).json()
        assert kept["channels"] == ["apprise", "email"] and len(kept["apprise"]) == 1

        # The volunteer page pauses until a day.
        offer = client.get("/volunteer")
        form = posted(form_of(offer.text).fields)
        form.pop("active", None)
        form.update(categories=["groceries"], flexible=["on"], paused_until=["2099-06-01"])
        paused = client.post("/volunteer", data=form)
        assert paused.status_code == 303, paused.text[:500]
        profile = client.get("/api/v1/volunteers/me", headers=bearer).json()
    assert profile["active"] is False and profile["paused_until"] == "2099-06-01"


def csrf_of(html: str) -> str:
    return dict(form_of(html).fields)["csrf_token"]
