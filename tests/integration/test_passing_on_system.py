"""Journey 4 of docs/design.md through the real services (NATS, databases, all four
processes): a resident without e-mail, registered at the information point, is matched; what
Samen would have sent him becomes a task for the coordinator, with a letter to print, ticked
done; the volunteer is told to reach him through that coordinator, never through a message
page there is not."""

import email
import email.policy
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import RunningSystem
from tests.e2e.conftest import Api
from tests.support import wait_until
from tests.support_pdf import pdf_text

pytestmark = pytest.mark.integration

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def next_tuesday_at_ten() -> datetime:
    today = datetime.now(AMSTERDAM).date()
    days = (1 - today.weekday()) % 7 or 7  # never today: the reminder needs notice
    day = today + timedelta(days=days if days >= 2 else days + 7)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=AMSTERDAM)


def mails_to(system: RunningSystem, address: str) -> list[str]:
    found = []
    for path in sorted((system.data_dir / "mail").glob("*/*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in str(message["To"]):
            body = message.get_body(preferencelist=("plain",))
            found.append(body.get_content() if body is not None else "")
    return found


def test_a_resident_without_email_is_reached_through_the_coordinators_task(
    system: RunningSystem,
) -> None:
    api = Api(system)
    api.admin_create("mirjam.punt@example.nl", "coordinator", api.cooperative_of("WK034403"))
    coordinator = api.login("mirjam.punt@example.nl") | {"Accept-Language": "nl"}
    lotte = api.volunteer("lotte.rit@example.nl", "30", name="Lotte Vos", category="transport")

    registered = api.http.post(
        "/api/v1/coordinator/members",
        json={
            "name": "Gerrit Hoekstra",
            "postcode": "3561 AB",
            "house_number": "14",
            "phone": "030 765 4321",
        },
        headers=coordinator,
    )
    assert registered.status_code == 201, registered.text
    resident_id = registered.json()["member_id"]
    start = next_tuesday_at_ten()
    asked = api.http.post(
        "/api/v1/coordinator/requests",
        json={
            "requester_id": resident_id,
            "category": "transport",
            "description": "Een rit naar het ziekenhuis",
            "needed_from": start.isoformat(),
            "needed_until": (start + timedelta(hours=2)).isoformat(),
        },
        headers=coordinator,
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]

    def proposal() -> str | None:
        mine = api.http.get("/api/v1/volunteers/me/proposals", headers=lotte).json()
        return next((p["id"] for p in mine if p["request_id"] == request_id), None)

    proposal_id = wait_until(proposal, timeout=30, message="no proposal for Lotte")
    accepted = api.http.post(f"/api/v1/proposals/{proposal_id}/accept", headers=lotte)
    assert accepted.status_code == 200, accepted.text

    def tasks() -> list[dict[str, str]]:
        answer = api.http.get("/api/v1/coordinator/tasks", headers=coordinator)
        assert answer.status_code == 200, answer.text
        return [t for t in answer.json() if t["request_id"] == request_id]

    task = wait_until(tasks, timeout=30, message="no task for the coordinator")[0]
    assert task["call"] == "Bel Gerrit Hoekstra: +31307654321"
    assert "Lotte helpt Gerrit Hoekstra op dinsdag" in task["message"]
    assert "10:00" in task["message"] and "Vervoer" in task["message"]
    assert task["reach"] == "Lotte is te bereiken via u."

    letter = api.http.get(task["letter"], headers=coordinator)
    assert letter.status_code == 200, letter.text
    assert letter.headers["content-type"] == "application/pdf"
    assert letter.content.startswith(b"%PDF")
    text = pdf_text(letter.content)
    assert "Beste Gerrit Hoekstra," in text
    assert "Goed nieuws. Lotte helpt u." in text and "dinsdag" in text and "10:00" in text
    assert "mirjam.punt@example.nl" in text  # how to reach the coordinator
    assert request_id not in text and task["id"] not in text and resident_id not in text

    done = api.http.post(f"/api/v1/coordinator/tasks/{task['id']}/done", headers=coordinator)
    assert done.status_code == 200, done.text
    assert done.json()["done_at"] is not None and done.json()["done_by"]
    assert tasks() == []
    audit = api.http.get("/api/v1/coordinator/audit", headers=coordinator).json()
    assert {"task.done", "task.letter"} <= {entry["action"] for entry in audit}

    # Lotte is told to go through the coordinator: her page and her e-mail.
    job = api.http.get(f"/api/v1/requests/{request_id}", headers=lotte).json()
    assert job["requester"]["first_name"] == "Gerrit"
    assert job["requester"]["phone"] is None  # he did not agree to share it
    assert job["requester"]["via_coordinator"]["email"] == "mirjam.punt@example.nl"
    confirmed = wait_until(
        lambda: [m for m in mails_to(system, "lotte.rit@example.nl") if "U helpt Gerrit" in m],
        timeout=30,
        message="no confirmation for Lotte",
    )[0]
    assert "via de coördinator" in confirmed and "mirjam.punt@example.nl" in confirmed
    assert "een bericht via" not in confirmed
    # The resident has no address: nothing was e-mailed on his behalf to anyone.
    assert not [m for m in mails_to(system, "mirjam.punt@example.nl") if "Gerrit" in m]
