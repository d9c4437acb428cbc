"""Signed accept/decline links that cannot be misused, against the whole running system.

Real nats-server, real services (`samen up`), the links taken from the proposal e-mails the
system writes as .eml files. A link answers only its own proposal with its own action; a
refused or failed use leaves it as it was; a use whose outcome is unknown can be repeated and
gives the same answer, never a second effect; an answered link's page shows the answer.
"""

import asyncio
import email
import email.policy
import os
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeSerializer

from shared.events import Envelope
from tests.conftest import RunningSystem
from tests.e2e.conftest import Api, caught_up
from tests.privacy import published_events
from tests.support import processes_with_env, wait_until

pytestmark = pytest.mark.integration

OVERVECHT_VOLUNTEER = "3562 AA"
OVERVECHT_RESIDENT = "3561 AB"
ACCEPT_BUTTON = "Ja, ik help"
DECLINE_BUTTON = "Nee, bedankt"
SAID_YES = "U heeft ja gezegd op deze hulpvraag."

Links = dict[str, dict[str, str]]  # proposal id -> action -> token


def volunteer(api: Api, email_address: str, category: str, house: str) -> dict[str, str]:
    """A volunteer in Overvecht who offers `category` (each test its own, so the requests of
    one test are proposed to its own volunteers only)."""
    api.register(email_address, OVERVECHT_VOLUNTEER, house, volunteer=True)
    headers = api.login(email_address)
    consent = api.http.patch("/api/v1/me", json={"consents": {"matching": True}}, headers=headers)
    assert consent.status_code == 200, consent.text
    profile = api.http.put(
        "/api/v1/volunteers/me",
        json={"categories": [category], "flexible": True, "radius_km": 5},
        headers=headers,
    )
    assert profile.status_code == 200, profile.text
    return headers


def ask(api: Api, email_address: str, category: str, house: str) -> str:
    """An urgent request (urgent: never held for quiet hours, whatever the time of day)."""
    caught_up(api.system, "matching")  # matching has seen the volunteers
    api.register(email_address, OVERVECHT_RESIDENT, house)
    created = api.http.post(
        "/api/v1/requests",
        json={"category": category, "description": "Naar de apotheek", "urgent": True},
        headers=api.login(email_address),
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def claim_of(token: str) -> dict[str, Any]:
    """What a token says, read without its key (the signature is not what this checks)."""
    _, payload = URLSafeSerializer("not the key").loads_unsafe(token)
    assert isinstance(payload, dict)
    return payload


def links_for(system: RunningSystem, email_address: str, request_id: str) -> Links:
    """The accept and decline tokens of the proposal e-mails to this volunteer about this
    request, by proposal id."""
    found: Links = {}

    def mailed() -> bool:
        mail = system.data_dir / "mail"
        for path in mail.glob("*/*.eml") if mail.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if email_address not in str(message["To"]):
                continue
            body = message.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            for token in re.findall(r"https?://[^\s\"<>]+/p/([A-Za-z0-9._=-]+)", text):
                claim = claim_of(token)
                if claim["r"] == request_id:
                    found.setdefault(claim["p"], {})[claim["a"]] = token
        return any(len(actions) == 2 for actions in found.values())

    wait_until(mailed, timeout=30, message=f"no proposal e-mail to {email_address}")
    return found


def only_links(system: RunningSystem, email_address: str, request_id: str) -> tuple[str, str, str]:
    ((proposal_id, tokens),) = links_for(system, email_address, request_id).items()
    return proposal_id, tokens["accept"], tokens["decline"]


def answer(api: Api, proposal_id: str, action: str, token: str) -> httpx.Response:
    return api.http.post(f"/api/v1/proposals/{proposal_id}/{action}", params={"token": token})


def proposal_state(api: Api, headers: dict[str, str], proposal_id: str) -> str:
    mine = api.http.get("/api/v1/volunteers/me/proposals", headers=headers)
    assert mine.status_code == 200, mine.text
    return str(next(p["state"] for p in mine.json() if p["id"] == proposal_id))


def events_about(system: RunningSystem, proposal_id: str, request_id: str) -> list[str]:
    """The types of every event published about this proposal or its request."""
    found = []
    for _, payload in asyncio.run(published_events(system.nats_url)):
        event = Envelope.model_validate_json(payload)
        data = event.data or {}
        if data.get("proposal_id") == proposal_id or (
            data.get("request_id") == request_id and "proposal_id" not in data
        ):
            found.append(event.type)
    return found


def service_pid(system: RunningSystem, service: str) -> int:
    for pid in processes_with_env("SAMEN_DATA_DIR", str(system.data_dir.resolve())):
        if f"services.{service}".encode() in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"):
            return pid
    raise LookupError(service)


@contextmanager
def away(system: RunningSystem, service: str) -> Iterator[None]:
    """The service frozen (SIGSTOP: what is asked of it times out) and then killed with what
    it was asked still unread, as when it crashes; `samen up` starts it again."""
    pid = service_pid(system, service)
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGKILL)

    def back() -> bool:
        return (
            service_pid(system, service) != pid
            and httpx.get(f"{system.url}/readyz", timeout=10).status_code == 200
        )

    wait_until(back, timeout=60, message=f"{service} did not come back")


def page_csrf(api: Api, path: str = "/login") -> str:
    page = api.http.get(path, headers={"Accept": "text/html"})
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def post_page(api: Api, token: str) -> httpx.Response:
    return api.http.post(
        f"/p/{token}", data={"csrf_token": page_csrf(api)}, headers={"Accept": "text/html"}
    )


def show_page(api: Api, token: str) -> str:
    page = api.http.get(f"/p/{token}", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    return page.text


# ---------------------------------------------------------------- tests


def test_a_link_tried_on_another_proposal_is_refused_and_still_works_for_its_own(
    system: RunningSystem,
) -> None:
    api = Api(system)
    anna = volunteer(api, "anna.links@example.nl", "garden", "41")
    volunteer(api, "bram.links@example.nl", "garden", "43")
    request_id = ask(api, "cor.links@example.nl", "garden", "45")
    anna_proposal, anna_accept, anna_decline = only_links(
        system, "anna.links@example.nl", request_id
    )
    bram_proposal, _, _ = only_links(system, "bram.links@example.nl", request_id)
    assert anna_proposal != bram_proposal

    # Looking at the link page answers nothing (mail scanners open links).
    assert ACCEPT_BUTTON in show_page(api, anna_accept)
    assert proposal_state(api, anna, anna_proposal) == "pending"

    # Anna's link on Bram's proposal, and her accept link used to decline: refused ...
    other = answer(api, bram_proposal, "accept", anna_accept)
    assert other.status_code == 403, other.text
    wrong_action = answer(api, anna_proposal, "decline", anna_accept)
    assert wrong_action.status_code == 403, wrong_action.text
    assert answer(api, bram_proposal, "decline", anna_decline).status_code == 403

    # ... and spent nothing: its page still asks, and it works for its own proposal and action.
    assert ACCEPT_BUTTON in show_page(api, anna_accept)
    assert DECLINE_BUTTON in show_page(api, anna_decline)
    assert proposal_state(api, anna, anna_proposal) == "pending"
    own = answer(api, anna_proposal, "accept", anna_accept)
    assert own.status_code == 200, own.text
    assert own.json()["id"] == anna_proposal and own.json()["state"] == "accepted"


def test_a_link_used_while_matching_does_not_answer_gives_503_and_then_works(
    system: RunningSystem,
) -> None:
    api = Api(system)
    dirk = volunteer(api, "dirk.links@example.nl", "paperwork", "51")
    request_id = ask(api, "els.links@example.nl", "paperwork", "53")
    proposal_id, accept, _ = only_links(system, "dirk.links@example.nl", request_id)

    with away(system, "matching"):
        unanswered = answer(api, proposal_id, "accept", accept)
    assert unanswered.status_code == 503, unanswered.text
    assert unanswered.headers["content-type"].startswith("application/problem+json")
    assert ACCEPT_BUTTON in show_page(api, accept)  # not spent: matching never answered

    back = answer(api, proposal_id, "accept", accept)
    assert back.status_code == 200, back.text
    assert back.json()["state"] == "accepted"
    assert proposal_state(api, dirk, proposal_id) == "accepted"


def test_a_repeated_use_after_success_gives_the_same_answer_and_no_second_effect(
    system: RunningSystem,
) -> None:
    api = Api(system)
    fenna = volunteer(api, "fenna.links@example.nl", "digital", "61")
    request_id = ask(api, "gijs.links@example.nl", "digital", "63")
    proposal_id, accept, _ = only_links(system, "fenna.links@example.nl", request_id)

    first = answer(api, proposal_id, "accept", accept)
    assert first.status_code == 200, first.text
    again = answer(api, proposal_id, "accept", accept)  # the first reply was lost, say
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.json()["state"] == "accepted"
    # The same through the page's button: thanked again, nothing answered again.
    page = post_page(api, accept)
    assert page.status_code == 200, page.text
    assert "Dank u wel" in page.text
    assert proposal_state(api, fenna, proposal_id) == "accepted"

    caught_up(system, "notify")
    events = events_about(system, proposal_id, request_id)
    assert events.count("match.accepted") == 1, events
    assert events.count("request.matched") == 1, events


def test_a_decline_link_after_the_accept_is_refused_and_the_pages_show_the_answer(
    system: RunningSystem,
) -> None:
    api = Api(system)
    hanna = volunteer(api, "hanna.links@example.nl", "meals", "71")
    request_id = ask(api, "ivo.links@example.nl", "meals", "73")
    proposal_id, accept, decline = only_links(system, "hanna.links@example.nl", request_id)
    assert answer(api, proposal_id, "accept", accept).status_code == 200

    refused = answer(api, proposal_id, "decline", decline)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "conflict"
    by_page = post_page(api, decline)
    assert by_page.status_code == 409, by_page.text
    assert SAID_YES in by_page.text and DECLINE_BUTTON not in by_page.text
    assert proposal_state(api, hanna, proposal_id) == "accepted"

    # Both links' pages tell the answer given, and offer no button any more.
    for token in (accept, decline):
        shown = show_page(api, token)
        assert SAID_YES in shown
        assert ACCEPT_BUTTON not in shown and DECLINE_BUTTON not in shown
