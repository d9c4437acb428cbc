"""A cooperative run from its own pages' API, through the real services: an admin sets the
matching policy (and matching keeps to its rings), invites a coordinator by e-mail, gives the
cooperative a channel of its own and a digest time; a coordinator may change the policy but
not the areas and invites nobody; every change is in the cooperative's log and the audit."""

import email
import email.policy

import pytest

from tests.conftest import RunningSystem
from tests.e2e.conftest import Api, caught_up
from tests.support import wait_until

pytestmark = pytest.mark.integration

TELEGRAM = "tgram://123456789:abcdefghijklmnopqrstuvwxyz_ABCDEFGH/987654321"
RESIDENT_HOME = ("3561 AB", "70")  # Overvecht


def mails_to(system: RunningSystem, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted((system.data_dir / "mail").glob("*/*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in str(message["To"]):
            found.append(message)
    return found


def most_local(api: Api, postcode: str) -> str:
    area = api.http.get("/api/v1/areas/lookup", params={"postcode": postcode}).json()
    code = area["neighbourhood"]["code"]
    found = api.http.get("/api/v1/cooperatives", params={"area": code}).json()["cooperatives"]
    return str(found[0]["cooperative_id"])


def test_an_admin_runs_the_cooperative_and_a_coordinator_only_what_is_theirs(
    system: RunningSystem,
) -> None:
    api = Api(system)
    api.admin_create("anouk.admin@example.nl", "admin")
    admin = api.login("anouk.admin@example.nl")
    coop_id = most_local(api, RESIDENT_HOME[0])

    mine = api.http.get("/api/v1/admin/cooperatives", headers=admin)
    assert mine.status_code == 200, mine.text
    assert coop_id in {c["cooperative_id"] for c in mine.json()["cooperatives"]}

    # Only its own neighbourhood: a volunteer in Oost (within her own 10 km) is not asked.
    policy = api.http.get(f"/api/v1/admin/cooperatives/{coop_id}", headers=admin).json()["policy"]
    assert policy["rings"] == 3 and policy["radius_cap_km"] is None
    changed = api.http.put(
        f"/api/v1/admin/cooperatives/{coop_id}/policy",
        json={**policy, "rings": 1, "proposals_per_round": 2},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["policy"]["rings"] == 1
    assert "rings: 3 → 1" in changed.json()["changes"][0]["detail"]
    refused = api.http.put(
        f"/api/v1/admin/cooperatives/{coop_id}/policy",
        json={**policy, "proposals_per_round": 0},
        headers=admin,
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")

    api.register("ruud.oost@example.nl", "3583 AA", "7", name="Ruud Kok", volunteer=True)
    oost = api.login("ruud.oost@example.nl")
    profile = api.http.put(
        "/api/v1/volunteers/me",
        json={"categories": ["garden"], "flexible": True, "radius_km": 10},
        headers=oost,
    )
    assert profile.status_code == 200, profile.text
    caught_up(system, "matching")
    api.register("greet.tuin@example.nl", *RESIDENT_HOME, name="Greet Tuin")
    greet = api.login("greet.tuin@example.nl")
    asked = api.http.post(
        "/api/v1/requests",
        json={"category": "garden", "description": "De heg snoeien"},
        headers=greet,
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    state = wait_until(
        lambda: (
            s
            if (s := api.http.get(f"/api/v1/requests/{request_id}", headers=greet).json()["state"])
            in ("escalated", "proposed")
            else None
        ),
        timeout=30,
        message="the request was neither proposed nor escalated",
    )
    assert state == "escalated"  # nobody in the neighbourhood itself

    # The whole municipality: now Ruud in Oost is asked.
    wider = api.http.put(
        f"/api/v1/admin/cooperatives/{coop_id}/policy",
        json={**changed.json()["policy"], "rings": 3},
        headers=admin,
    )
    assert wider.status_code == 200, wider.text
    caught_up(system, "matching")
    again = api.http.post(
        "/api/v1/requests",
        json={"category": "garden", "description": "Het gras maaien"},
        headers=greet,
    )
    assert again.status_code == 201, again.text

    def asked_of_ruud() -> bool:
        mine = api.http.get("/api/v1/volunteers/me/proposals", headers=oost).json()
        return any(p["request_id"] == again.json()["id"] for p in mine)

    wait_until(asked_of_ruud, timeout=30, message="Ruud was not asked with three rings")

    # A coordinator by e-mail: someone new is registered with the role and invited.
    invited = api.http.post(
        f"/api/v1/admin/cooperatives/{coop_id}/coordinators",
        json={
            "email": "Bram.Nieuw@example.nl",
            "name": "Bram Nieuw",
            "postcode": "3561 AB",
            "house_number": "3",
        },
        headers=admin,
    )
    assert invited.status_code == 201, invited.text
    bram = invited.json()["member_id"]

    def invitations() -> list[str]:
        # The welcome may come first: the invitation is the one with the link.
        texts = [
            str(body.get_content())
            for m in mails_to(system, "bram.nieuw@example.nl")
            if (body := m.get_body(preferencelist=("plain",))) is not None
        ]
        return [t for t in texts if "/reset/" in t]

    wait_until(invitations, timeout=30, message="no invitation with its link")
    half = api.http.post(
        f"/api/v1/admin/cooperatives/{coop_id}/coordinators",
        json={"email": "nog.niemand@example.nl"},
        headers=admin,
    )
    assert half.status_code == 422, half.text
    fields = {e["field"] for e in half.json()["errors"]}
    assert {"name", "postcode", "house_number"} <= fields

    # The cooperative's own channel and digest time; the URL is a secret, shown masked.
    channels = api.http.patch(
        f"/api/v1/admin/cooperatives/{coop_id}/channels",
        json={"apprise_add": [TELEGRAM], "digest_time": "17:30"},
        headers=admin,
    )
    assert channels.status_code == 200, channels.text
    view = channels.json()
    assert view["digest_time"] == "17:30"
    assert [a["scheme"] for a in view["apprise"]] == ["tgram"]
    assert TELEGRAM not in channels.text
    bad_time = api.http.patch(
        f"/api/v1/admin/cooperatives/{coop_id}/channels",
        json={"digest_time": "25:00"},
        headers=admin,
    )
    assert bad_time.status_code == 422
    assert bram in {c["member_id"] for c in view["coordinators"]}

    # A coordinator of the district: the policy yes; areas and invitations no.
    district = api.cooperative_of("WK034403")
    api.admin_create("mirjam.wijk@example.nl", "coordinator", district)
    coordinator = api.login("mirjam.wijk@example.nl")
    theirs = api.http.get(f"/api/v1/admin/cooperatives/{coop_id}", headers=coordinator)
    assert theirs.status_code == 200, theirs.text
    assert theirs.json()["may_change_areas"] is False
    tuned = api.http.put(
        f"/api/v1/admin/cooperatives/{coop_id}/policy",
        json={**wider.json()["policy"], "radius_cap_km": 3},
        headers=coordinator,
    )
    assert tuned.status_code == 200, tuned.text
    areas = api.http.patch(
        f"/api/v1/admin/cooperatives/{coop_id}",
        json={"area_codes": ["WK034403"]},
        headers=coordinator,
    )
    assert areas.status_code == 403
    assert (
        api.http.post(
            f"/api/v1/admin/cooperatives/{coop_id}/coordinators",
            json={"email": "iemand@example.nl"},
            headers=coordinator,
        ).status_code
        == 403
    )
    elsewhere = api.cooperative_of("WK034405")  # Oost
    assert (
        api.http.get(f"/api/v1/admin/cooperatives/{elsewhere}", headers=coordinator).status_code
        == 403
    )
    gone = api.http.delete(
        f"/api/v1/admin/cooperatives/{coop_id}/coordinators/{bram}", headers=coordinator
    )
    assert gone.status_code == 204

    log = api.http.get(f"/api/v1/admin/cooperatives/{coop_id}", headers=admin).json()["changes"]
    details = [c["detail"] for c in log]
    assert f"coordinator removed: {bram}" in details[0]
    assert any("radius_cap_km: None → 3.0" in d for d in details)
    assert any(f"coordinator added: {bram}" in d for d in details)
    assert any("digest time: 17:30" in d for d in details)
    audit = api.http.get("/api/v1/coordinator/audit", headers=admin).json()
    assert "cooperative.change" in {entry["action"] for entry in audit}
