"""The words of a task on the coordinator's board, its letter, how the board says the
resident is reached, and the use cases over fake services (tick done and letter, audited)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from services.gateway.adapters.store import Account
from services.gateway.passing_on import letter_lines, letter_pdf, reach_of, task_text
from services.gateway.principal import Principal
from services.gateway.usecases import coordinators
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.contracts.verbs import AnyVerb
from shared.errors import Forbidden
from tests.support_pdf import font_sizes, pdf_text

ZONE = "Europe/Amsterdam"
TUESDAY_TEN = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam


def task(**changes: Any) -> nc.PassOnTask:
    values: dict[str, Any] = {
        "task_id": "task-7f3a",
        "template": "request_matched",
        "request_id": "req-91b2",
        "resident_id": "mem-5c1d",
        "resident_name": "Gerrit Hoekstra",
        "resident_phone": "030 765 4321",
        "side": "requester",
        "other": nc.TaskPerson(first_name="Lotte"),
        "category": "transport",
        "needed_from": TUESDAY_TEN,
        "area": "BU03440312",
        "cooperative_name": "Buurtcoöperatie Overvecht",
        "created_at": datetime(2026, 12, 2, tzinfo=UTC),
    }
    return nc.PassOnTask(**(values | changes))


COORDINATOR = rc.MemberContact(
    member_id="joke", name="Joke de Vries", first_name="Joke", phone="030 123 4567"
)


def test_the_board_says_whom_to_call_what_to_tell_and_how_to_reach_the_volunteer() -> None:
    text = task_text(task(), "nl", ZONE)
    assert text.call == "Bel Gerrit Hoekstra: 030 765 4321"
    assert (
        text.message == "Lotte helpt Gerrit Hoekstra op dinsdag 8-12-2026 10:00. Hulp bij: Vervoer."
    )
    assert text.reach == "Lotte is te bereiken via u."
    shared = task(other=nc.TaskPerson(first_name="Lotte", phone="06 1234 5678"))
    assert task_text(shared, "nl", ZONE).reach == "Telefoon van Lotte: 06 1234 5678"


def test_a_task_in_english_and_without_a_day() -> None:
    text = task_text(task(needed_from=None, resident_phone=None), "en", ZONE)
    assert text.call == "Call Gerrit Hoekstra"
    assert "Lotte helps Gerrit Hoekstra on a day still to agree" in text.message


def test_each_kind_of_message_has_its_own_words() -> None:
    thanks = task_text(task(template="thanks_requester"), "nl", ZONE)
    assert thanks.message == "Lotte heeft Gerrit Hoekstra geholpen. Vraag hoe het ging."
    reminder = task_text(task(template="reminder"), "nl", ZONE)
    assert reminder.message.startswith("Herinner Gerrit Hoekstra: Lotte komt op dinsdag")


def test_the_letter_speaks_to_him_formally_names_the_day_and_the_coordinator() -> None:
    lines = letter_lines(task(), COORDINATOR, ZONE)
    assert lines[0] == "Beste Gerrit Hoekstra,"
    assert "Goed nieuws. Lotte helpt u." in lines
    assert "Wanneer: dinsdag 8-12-2026 10:00." in lines
    assert "Heeft u een vraag? Bel of schrijf Joke de Vries: 030 123 4567." in lines
    assert lines[-2:] == ["Met vriendelijke groet,", "Joke de Vries"]
    assert not any(" je " in f" {line} " or "jij" in line for line in lines)


def test_the_letter_is_a_pdf_in_large_type_with_the_cooperative_and_no_system_numbers() -> None:
    pdf = letter_pdf(task(), COORDINATOR, ZONE)
    assert pdf.startswith(b"%PDF")
    assert font_sizes(pdf) and min(font_sizes(pdf)) >= 14  # large type
    text = pdf_text(pdf)
    assert "Buurtcoöperatie Overvecht" in text and "Beste Gerrit Hoekstra," in text
    assert "dinsdag 8-12-2026 10:00" in text
    for number in ("task-7f3a", "req-91b2", "mem-5c1d"):
        assert number not in text


def test_a_name_outside_latin_1_still_prints() -> None:
    pdf = letter_pdf(task(resident_name="Ayşe Yılmaz"), None, ZONE)
    assert "Beste Ayse Yilmaz," in pdf_text(pdf)


def member(**changes: Any) -> rc.MemberInfo:
    values: dict[str, Any] = {
        "member_id": "mem-5c1d",
        "name": "Gerrit Hoekstra",
        "first_name": "Gerrit",
        "phone": "030 765 4321",
        "roles": ["resident"],
        "created_at": TUESDAY_TEN,
        "updated_at": TUESDAY_TEN,
    }
    return rc.MemberInfo(**(values | changes))


def test_the_board_says_how_the_volunteer_reaches_him() -> None:
    assert reach_of(member()) == "via_you"  # no e-mail, phone not shared
    shared = {"share_phone": rc.ConsentState(granted=True, at=TUESDAY_TEN)}
    assert reach_of(member(consents=shared)) == "phone"
    assert reach_of(member(email="gerrit@example.nl")) == "email"


# ------------------------------------------------------------------ use cases over fakes


@dataclass
class FakeServices:
    """Notify's tasks and the registry's cooperatives and contacts, answered verb by verb."""

    tasks_by_coordinator: dict[str, list[nc.PassOnTask]]
    ticked: list[tuple[str, str]] = field(default_factory=list)

    async def call(
        self, verb: AnyVerb, request: Any = None, *, timeout: float | None = None
    ) -> Any:
        if verb == rc.COOPERATIVE_LIST:
            joke = [SimpleNamespace(area_codes=["WK034403"])]
            return SimpleNamespace(cooperatives=joke if request.coordinator_id == "joke" else [])
        if verb == rc.MEMBER_CONTACT:
            return COORDINATOR
        if verb == nc.TASKS_LIST:
            return nc.TaskList(tasks=self.tasks_by_coordinator.get(request.coordinator_id, []))
        if verb == nc.TASK_GET:
            return self._task(request)
        if verb == nc.TASK_DONE:
            self.ticked.append((request.task_id, request.coordinator_id))
            return self._task(request).model_copy(
                update={"done_at": TUESDAY_TEN, "done_by": request.coordinator_id}
            )
        raise AssertionError(f"unexpected call: {verb}")

    def _task(self, ref: nc.TaskRef) -> nc.PassOnTask:
        tasks = self.tasks_by_coordinator[ref.coordinator_id]
        return next(t for t in tasks if t.task_id == ref.task_id)


@dataclass
class FakeStore:
    audits: list[dict[str, Any]] = field(default_factory=list)

    async def audit(self, **entry: Any) -> None:
        self.audits.append(entry)


def fake_gateway() -> Any:
    return SimpleNamespace(
        rpc=FakeServices({"joke": [task()]}),
        store=FakeStore(),
        settings=SimpleNamespace(time_zone=ZONE),
    )


def principal(member_id: str, roles: list[str]) -> Principal:
    account = Account(
        account_id=f"acc-{member_id}",
        member_id=member_id,
        email=f"{member_id}@example.nl",
        password_hash="",
        roles=roles,
        language="nl",
    )
    return Principal(account=account, via="bearer", token_hash="", csrf_secret="")


async def test_reading_the_tasks_is_a_look_at_each_residents_details() -> None:
    gateway = fake_gateway()
    found = await coordinators.open_tasks(gateway, principal("joke", ["coordinator"]))
    assert [t.task_id for t in found] == ["task-7f3a"]
    assert [(a["action"], a["subject_ids"]) for a in gateway.store.audits] == [
        ("member.view", ["mem-5c1d"])
    ]


async def test_ticking_done_and_printing_are_audited() -> None:
    gateway = fake_gateway()
    joke = principal("joke", ["coordinator"])
    done = await coordinators.tick_done(gateway, joke, "task-7f3a")
    assert (done.done_by, gateway.rpc.ticked) == ("joke", [("task-7f3a", "joke")])
    pdf = await coordinators.letter(gateway, joke, "task-7f3a")
    assert "Joke de Vries" in pdf_text(pdf)
    assert [a["action"] for a in gateway.store.audits] == ["task.done", "task.letter"]


async def test_only_coordinators_have_tasks() -> None:
    gateway = fake_gateway()
    with pytest.raises(Forbidden):
        await coordinators.open_tasks(gateway, principal("lotte", ["volunteer"]))
    assert gateway.store.audits == []
