"""`samen up --demo`: demo people can sign in, the coordinator sees the board, and seeding a
second time adds nothing."""

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from samen.stack import PostgresDatabases
from services.gateway.bootstrap import Gateway
from services.gateway.config import GatewaySettings
from services.gateway.demo import DEMO_PASSWORD, PEOPLE, demo_login_lines, seed
from services.gateway.demo_map import ORGANISATIONS
from shared.contracts import matching as mc
from shared.contracts import registry as rc
from shared.settings import Settings
from tests.conftest import ExternalNats, RunningSystem, start_nats, start_system, stop_system
from tests.support import TEST_SECRET_KEY, eventually, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo_system(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresDatabases | None
) -> Iterator[RunningSystem]:
    tmp = tmp_path_factory.mktemp("demo")
    nats = start_nats(tmp / "jetstream")
    system = start_system(tmp, nats.url, postgres, {"SAMEN_DEMO": "1"})
    yield system
    stop_system(system)
    if not isinstance(nats, ExternalNats):
        nats.stop()


def login(system: RunningSystem, email: str) -> dict[str, str]:
    response = httpx.post(
        f"{system.url}/api/v1/auth/login",
        json={"email": email, "password": DEMO_PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_demo_people_sign_in_and_the_coordinator_sees_the_board(demo_system: RunningSystem) -> None:
    def coordinator_ready() -> bool:
        headers = login(demo_system, "coordinator.overvecht@samen.demo")
        board = httpx.get(
            f"{demo_system.url}/api/v1/coordinator/requests", headers=headers, timeout=10
        )
        return board.status_code == 200

    wait_until(coordinator_ready, timeout=60, message="the demo coordinator was not seeded")
    for person in PEOPLE:
        login(demo_system, person.email)

    def resident_has_requests() -> bool:
        headers = login(demo_system, "resident@samen.demo")
        mine = httpx.get(f"{demo_system.url}/api/v1/requests", headers=headers, timeout=10)
        return len(mine.json()) == 2

    wait_until(resident_has_requests, timeout=30, message="the demo requests were not made")


DEMO_MAP = rc.DirectorySearch(q="demo", limit=200)


async def test_seeding_again_adds_nothing(demo_system: RunningSystem) -> None:
    env = demo_system.env
    url = env.get("SAMEN_GATEWAY_DATABASE_URL") or (
        f"sqlite+aiosqlite:///{Path(env['SAMEN_DATA_DIR']) / 'gateway.db'}"
    )
    gateway = Gateway(
        Settings(
            nats_url=demo_system.nats_url,
            database_url=url,
            env="test",
            secret_key=TEST_SECRET_KEY,
        ),
        gateway_settings=GatewaySettings(demo=False),
    )
    await gateway.broker.start()
    try:
        offers = sum(len(o.offers) for o in ORGANISATIONS)

        async def seeded_map() -> int:  # the system's own seeding has run to its end
            total = (await gateway.rpc.call(rc.DIRECTORY_SEARCH, DEMO_MAP)).total
            return total if total >= offers else 0

        on_the_map = await eventually(seeded_map, timeout=60, message="the map was not seeded")
        before = await gateway.store.count_accounts()
        first = await seed(gateway)
        second = await seed(gateway)
        assert first == second
        assert (await gateway.rpc.call(rc.DIRECTORY_SEARCH, DEMO_MAP)).total == on_the_map == offers
        assert await gateway.store.count_accounts() == before == len(PEOPLE)
        resident = first["resident@samen.demo"]
        mine = await gateway.rpc.call(mc.REQUEST_LIST_MINE, mc.MyRequestsQuery(member_id=resident))
        assert len(mine.requests) == 2
    finally:
        await gateway.broker.stop()
        await gateway.engine.dispose()


def test_samen_up_demo_prints_the_demo_logins() -> None:
    lines = demo_login_lines()
    assert any("coordinator.overvecht@samen.demo" in line for line in lines)
    assert any(DEMO_PASSWORD in line for line in lines)
    done = subprocess.run(
        [sys.executable, "-m", "samen", "up", "--help"], capture_output=True, text=True, check=True
    )
    assert "--demo" in done.stdout


# ------------------------------------------------------------- the information point's lists

IMPORT_HEADER = "name,phone,postcode,house_number,roles\n"


def web_session(system: RunningSystem, email: str) -> httpx.Client:
    client = httpx.Client(base_url=system.url, timeout=30, headers={"Accept": "text/html"})
    token = csrf_token(client.get("/login").text)
    signed = client.post(
        "/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert signed.status_code == 303, signed.text
    return client


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_a_coordinator_uploads_a_list_in_the_web_and_follows_its_import(
    demo_system: RunningSystem,
) -> None:
    """Larger than any other body the gateway takes, sent to the registry in parts."""
    rows = [f"Buurtgenoot {n:05d} van de Lijst,,3563 AB,{n},resident\n" for n in range(1, 4001)]
    rows.append("Iemand in Oost,,3581 AA,1,resident\n")  # not this coordinator's area
    csv_text = IMPORT_HEADER + "".join(rows)
    assert len(csv_text) > 200_000  # more than one part, more than the usual body limit

    wait_until(
        lambda: login(demo_system, "coordinator.overvecht@samen.demo"), timeout=60, message="seed"
    )
    with closing(web_session(demo_system, "coordinator.overvecht@samen.demo")) as client:
        board = client.get("/board")
        assert 'href="/board/members/import"' in board.text
        form = client.get("/board/members/import")
        assert form.status_code == 200
        sent = client.post(
            "/board/members/import",
            data={"csrf_token": csrf_token(form.text)},
            files={"file": ("bewoners.csv", csv_text.encode(), "text/csv")},
        )
        assert sent.status_code == 303, sent.text
        page_url = sent.headers["location"]
        assert page_url.startswith("/board/members/import/")

        def finished() -> str | None:
            page = client.get(page_url)
            assert page.status_code == 200, page.text
            return page.text if "Klaar." in page.text or "niet gelukt" in page.text else None

        done = wait_until(finished, timeout=90, message="the import did not finish")
        assert "data-follow" not in done  # a finished import's page stops redrawing itself
        assert "4000 mensen toegevoegd" in done
        assert "dit adres ligt buiten de wijken van uw coöperatie" in done
        assert "<td>4002</td>" in done  # the line of the rejected row in the file

        no_file = client.post("/board/members/import", data={"csrf_token": csrf_token(form.text)})
        assert no_file.status_code == 422
        assert "Kies het bestand dat u wilt inlezen." in no_file.text


def test_the_import_api_takes_a_csv_and_reports_each_rejected_row(
    demo_system: RunningSystem,
) -> None:
    wait_until(
        lambda: login(demo_system, "coordinator.overvecht@samen.demo"), timeout=60, message="seed"
    )
    headers = login(demo_system, "coordinator.overvecht@samen.demo")
    csv_text = IMPORT_HEADER + "Kees Telefoon,0612345678,3563 AB,900,resident;volunteer\n"
    csv_text += "Zonder Postcode,,,1,resident\n"
    with httpx.Client(base_url=demo_system.url, timeout=30) as client:
        sent = client.post(
            "/api/v1/coordinator/member-imports?file_name=lijst.csv",
            content=csv_text.encode(),
            headers={**headers, "Content-Type": "text/csv"},
        )
        assert sent.status_code == 202, sent.text
        location = sent.headers["location"]

        def finished() -> dict[str, Any] | None:
            view: dict[str, Any] = client.get(location, headers=headers).json()
            return view if view["state"] in ("done", "failed") else None

        report = wait_until(finished, timeout=60, message="the import did not finish")
        assert report["state"] == "done"
        assert (report["imported"], report["rejected_count"]) == (1, 1)
        assert report["rejected"][0]["line"] == 3

        resident = login(demo_system, "resident@samen.demo")
        refused = client.post(
            "/api/v1/coordinator/member-imports",
            content=csv_text.encode(),
            headers={**resident, "Content-Type": "text/csv"},
        )
        assert refused.status_code == 403
        elsewhere = client.post(
            "/api/v1/requests",
            content=b"x" * 300_000,
            headers={**resident, "Content-Type": "application/json"},
        )
        assert elsewhere.status_code == 413  # only the upload takes a large body


# ------------------------------------------------------------- the coordinator's board


def test_a_coordinator_finds_closes_cancels_and_hands_on_requests_and_sees_her_looks(
    demo_system: RunningSystem,
) -> None:
    wait_until(
        lambda: login(demo_system, "coordinator.overvecht@samen.demo"), timeout=60, message="seed"
    )
    headers = login(demo_system, "coordinator.overvecht@samen.demo")
    api = httpx.Client(base_url=f"{demo_system.url}/api/v1", timeout=30, headers=headers)
    web = web_session(demo_system, "coordinator.overvecht@samen.demo")
    with closing(api), closing(web):
        member = api.post(
            "/coordinator/members",
            json={"name": "Bram Bord", "postcode": "3561 AB", "house_number": "31"},
        )
        assert member.status_code == 201, member.text
        requester_id = member.json()["member_id"]

        def ask(category: str, urgent: bool = False) -> str:
            made = api.post(
                "/coordinator/requests",
                json={
                    "requester_id": requester_id,
                    "category": category,
                    "description": "Voor de test van het overzicht",
                    "urgent": urgent,
                },
            )
            assert made.status_code == 201, made.text
            return str(made.json()["id"])

        def state_of(request_id: str) -> str:
            return str(api.get(f"/requests/{request_id}").json()["state"])

        hedge = ask("light_care", urgent=True)  # no demo volunteer offers it: escalated
        papers = ask("paperwork")
        shopping = ask("groceries")
        wait_until(
            lambda: state_of(hedge) == "escalated",
            timeout=60,
            message=f"not escalated (it is {state_of(hedge)})",
        )
        number = "".join(c for c in hedge if c.isalnum())[-6:].upper()

        found = web.get("/board", params={"q": number.lower()})
        assert f"/board/{hedge}" in found.text and f"/board/{papers}" not in found.text
        assert f"Nr. {number}" in found.text
        by_kind = web.get("/board", params={"category": "paperwork"})
        assert f"/board/{papers}" in by_kind.text and f"/board/{hedge}" not in by_kind.text
        board = web.get("/board").text
        escalated = board[board.index('id="col-escalated"') : board.index('id="col-open"')]
        first_card = escalated[escalated.index("data-request-id=") :]
        assert first_card.startswith(f'data-request-id="{hedge}"')  # urgent first

        # Close the hedge with a note: the page asks what happened first.
        close_form = web.get(f"/board/{hedge}/close")
        assert close_form.status_code == 200
        token = csrf_token(close_form.text)
        empty = web.post(f"/board/{hedge}/close", data={"csrf_token": token, "note": ""})
        assert empty.status_code == 422
        closed = web.post(
            f"/board/{hedge}/close",
            data={"csrf_token": token, "note": "De buurman heeft de heg geknipt", "hours": "1,5"},
        )
        assert closed.status_code == 303 and closed.headers["location"].endswith("done=closed")
        wait_until(lambda: state_of(hedge) == "done", timeout=30, message="not closed")

        # Cancel the papers: "are you sure?" first.
        confirm = web.get(f"/board/{papers}/cancel")
        assert "Weet u het zeker?" in confirm.text
        cancelled = web.post(
            f"/board/{papers}/cancel",
            data={"csrf_token": csrf_token(confirm.text), "note": "Is al geregeld"},
        )
        assert cancelled.status_code == 303
        wait_until(lambda: state_of(papers) == "cancelled", timeout=30, message="not cancelled")

        # Hand the shopping on to another volunteer once it is matched.
        candidates = api.get(f"/coordinator/requests/{shopping}/candidates").json()["candidates"]
        first, second = candidates[0]["volunteer_id"], candidates[1]["volunteer_id"]
        matched = api.post(f"/coordinator/requests/{shopping}/match", json={"volunteer_id": first})
        assert matched.status_code == 200, matched.text
        page = web.get(f"/board/{shopping}")
        assert f'action="/board/{shopping}/reassign"' in page.text
        handed = web.post(
            f"/board/{shopping}/reassign",
            data={"csrf_token": csrf_token(page.text), "volunteer_id": second},
        )
        assert handed.status_code == 303, handed.text
        before = matched.json()["helper"]["first_name"]

        def handed_on() -> bool:
            now = api.get(f"/requests/{shopping}").json()
            return bool(now["state"] == "matched" and now["helper"]["first_name"] != before)

        wait_until(handed_on, timeout=30, message="not handed to the other volunteer")

        audit = web.get("/board/audit")
        assert audit.status_code == 200
        shown = audit.text[audit.text.index("<main") :]
        shopping_number = "".join(c for c in shopping if c.isalnum())[-6:].upper()
        assert "Hulpvraag bekeken" in shown and f"Nr. {shopping_number}" in shown, shown
        assert api.get("/coordinator/audit").json()  # the API shows the same log


def test_a_coordinator_records_a_volunteers_vog_and_sees_when_it_runs_out(
    demo_system: RunningSystem,
) -> None:
    wait_until(
        lambda: login(demo_system, "coordinator.overvecht@samen.demo"), timeout=60, message="seed"
    )
    headers = login(demo_system, "coordinator.overvecht@samen.demo")
    api = httpx.Client(base_url=f"{demo_system.url}/api/v1", timeout=30, headers=headers)
    web = web_session(demo_system, "coordinator.overvecht@samen.demo")
    with closing(api), closing(web):
        listed = api.get("/coordinator/volunteers")
        assert listed.status_code == 200, listed.text
        sanne = next(v for v in listed.json() if v["name"] == "Sanne de Vries")
        assert sanne["certificate"] == "none"

        # Issued almost three years ago: it runs out within two months.
        issued = (date.today() - timedelta(days=3 * 365 - 20)).isoformat()
        page = web.get("/board/volunteers")
        assert page.status_code == 200 and "Sanne de Vries" in page.text
        saved = web.post(
            f"/board/volunteers/{sanne['member_id']}/certificate",
            data={"csrf_token": csrf_token(page.text), "date": issued},
        )
        assert saved.status_code == 303, saved.text
        after = web.get("/board/volunteers").text
        card = after[after.index(f'id="v-{sanne["member_id"]}"') :]
        assert "VOG loopt bijna af" in card[: card.index("</li>")]
        assert after.index("Sanne de Vries") < after.index("Youssef Ouali")  # at the top
        # Sanne sees it on her own page, where her reminder's link takes her.
        with closing(web_session(demo_system, "volunteer1@samen.demo")) as own:
            mine = own.get("/volunteer").text
            line = mine[mine.index('id="certificate"') :]
            line = line[: line.index("</p>")]
            assert "VOG loopt bijna af" in line and "Vraag uw coördinator" in line

        bad = web.post(
            f"/board/volunteers/{sanne['member_id']}/certificate",
            data={"csrf_token": csrf_token(page.text), "date": "gisteren"},
        )
        assert bad.status_code == 422
        assert (
            api.put(
                f"/coordinator/volunteers/{sanne['member_id']}/certificate", json={"date": None}
            ).status_code
            == 204
        )
        again = next(
            v for v in api.get("/coordinator/volunteers").json() if v["name"] == "Sanne de Vries"
        )
        assert again["certificate"] == "none"

        # Oost's coordinator cannot touch an Overvecht volunteer.
        oost = login(demo_system, "coordinator.oost@samen.demo")
        refused = api.put(
            f"/coordinator/volunteers/{sanne['member_id']}/certificate",
            json={"date": issued},
            headers=oost,
        )
        assert refused.status_code == 403
