"""Messages a coordinator passes on to residents without e-mail (journey 4 in docs/design.md):
the tasks on the board ("Call Mr Hoekstra: Lotte helps on Tuesday at 10:00"), ticked done once
passed on, and the letter the coordinator prints to hand over or post.

Notify keeps the tasks (it knows what it would have sent, and to whom) and looks up names and
numbers in the registry when a task is read; this module words them and draws the letter, the
use cases that read, tick and print them (audited) are in usecases/coordinators.py.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from fpdf import FPDF
from pydantic import BaseModel, Field

from services.gateway.i18n import N_, category_label, local_time, translate
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.contracts.bounds import Code, Id, Line, Name, Phone

LETTER_LANGUAGE = "nl"  # the letter is in plain Dutch, whatever language the board is in
BODY_PT = 14  # large type: read by people who may see less well
TITLE_PT = 20

Translate = Callable[[str], str]


@dataclass(frozen=True)
class TaskText:
    """A task as the board shows it: whom to call, what to tell them, and how they reach the
    other side (the phone the other agreed to share, else through the coordinator)."""

    call: str
    message: str
    reach: str


def _when(task: nc.PassOnTask, language: str, zone: str) -> str:
    if task.needed_from is None:
        return ""
    text = local_time(task.needed_from, language, True, zone)
    # Inside a sentence a Dutch day has no capital ("op dinsdag"); an English one keeps it.
    return text[:1].lower() + text[1:] if language == "nl" else text


def _what(task: nc.PassOnTask, language: str) -> str:
    return category_label(task.category, language) if task.category else ""


def _other(task: nc.PassOnTask, t: Translate) -> str:
    return task.other.first_name if task.other else t("a volunteer")


def task_text(task: nc.PassOnTask, language: str, zone: str) -> TaskText:
    """The board's words for a task, in the coordinator's language."""

    def t(text: str) -> str:
        return translate(text, language)

    name = task.resident_name or t("the resident")
    call = t("Call {name}").format(name=name)
    if task.resident_phone:
        call += f": {task.resident_phone}"
    values = {
        "name": name,
        "other": _other(task, t),
        "when": _when(task, language, zone) or t("a day still to agree"),
        "what": _what(task, language),
    }
    message = t(MESSAGES.get((task.template, task.side), OTHERWISE)).format(**values)
    reach = t("{other} can be reached through you.").format(**values)
    if task.other and task.other.phone:
        reach = t("Phone of {other}: {phone}").format(phone=task.other.phone, **values)
    return TaskText(call=call, message=message, reach=reach)


MESSAGES: dict[tuple[str, nc.TaskSide], str] = {
    ("request_matched", "requester"): N_("{other} helps {name} on {when}. Help with: {what}."),
    ("reminder", "requester"): N_("Remind {name}: {other} comes on {when}. Help with: {what}."),
    ("match_confirmed", "volunteer"): N_("{name} helps {other} on {when}. Help with: {what}."),
    ("reminder", "volunteer"): N_("Remind {name}: they help {other} on {when}."),
    ("thanks_requester", "requester"): N_("{other} has helped {name}. Ask how it went."),
    ("thanks_volunteer", "volunteer"): N_("Thank {name} for helping."),
    ("proposal_withdrawn", "volunteer"): N_("Tell {name}: someone else already helps."),
}
OTHERWISE = N_("Tell {name} about their request.")

# The letter: short sentences, "u", the cooperative's name, no numbers of the system.
LETTERS: dict[tuple[str, nc.TaskSide], list[str]] = {
    ("request_matched", "requester"): [
        N_("Good news. {other} will help you."),
        N_("Help with: {what}."),
        N_("When: {when}."),
    ],
    ("reminder", "requester"): [
        N_("This is a reminder. {other} will help you."),
        N_("Help with: {what}."),
        N_("When: {when}."),
    ],
    ("match_confirmed", "volunteer"): [
        N_("Thank you for helping {other}."),
        N_("Help with: {what}."),
        N_("When: {when}."),
    ],
    ("reminder", "volunteer"): [N_("This is a reminder. You help {other}."), N_("When: {when}.")],
    ("thanks_requester", "requester"): [
        N_("{other} has helped you. We hope it went well."),
        N_("Do you want to tell us how it went? Then call us."),
    ],
    ("thanks_volunteer", "volunteer"): [N_("Thank you for your help!")],
    ("proposal_withdrawn", "volunteer"): [
        N_("Someone else already helps. Thank you all the same.")
    ],
}


def letter_lines(task: nc.PassOnTask, coordinator: rc.MemberContact | None, zone: str) -> list[str]:
    """The letter's paragraphs, in plain Dutch with "u"; the first is the greeting."""

    def t(text: str) -> str:
        return translate(text, LETTER_LANGUAGE)

    values = {
        "name": task.resident_name,
        "other": _other(task, t),
        "when": _when(task, LETTER_LANGUAGE, zone) or t("a day still to agree"),
        "what": _what(task, LETTER_LANGUAGE),
    }
    lines = [t("Dear {name},").format(**values)]
    lines += [t(line).format(**values) for line in LETTERS.get((task.template, task.side), [])]
    if task.other and task.other.phone:
        lines.append(t("Phone of {other}: {phone}").format(phone=task.other.phone, **values))
    contact = coordinator.phone or coordinator.email if coordinator else None
    if coordinator and contact:
        lines.append(
            t("Do you have a question? Call or write to {coordinator}: {contact}.").format(
                coordinator=coordinator.name, contact=contact
            )
        )
    lines.append(t("Kind regards,"))
    lines.append(coordinator.name if coordinator else "")
    return [line for line in lines if line]


# Letters NFKD does not take apart into a Latin-1 letter and an accent.
PLAIN_LETTERS = str.maketrans({"ı": "i", "İ": "I", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D"})


def _printable(text: str) -> str:
    """The PDF's built-in fonts hold Latin-1: other letters lose their accents first (a
    name in another script prints as question marks)."""
    if text.isascii():
        return text
    kept = "".join(
        c if c.encode("latin-1", "ignore") else unicodedata.normalize("NFKD", c)[:1]
        for c in text.translate(PLAIN_LETTERS)
    )
    return kept.encode("latin-1", "replace").decode("latin-1")


def letter_pdf(task: nc.PassOnTask, coordinator: rc.MemberContact | None, zone: str) -> bytes:
    """An A4 letter in large type, to print and hand over or post."""
    pdf = FPDF(format="A4")
    pdf.set_title(_printable(task.cooperative_name or "Samen"))
    pdf.set_author(_printable(task.cooperative_name or "Samen"))
    pdf.set_margins(25, 25, 25)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", TITLE_PT)
    pdf.multi_cell(0, 10, _printable(task.cooperative_name or "Samen"))
    pdf.ln(8)
    pdf.set_font("Helvetica", size=BODY_PT)
    for line in letter_lines(task, coordinator, zone):
        pdf.multi_cell(0, 8, _printable(line))
        pdf.ln(3)
    return bytes(pdf.output())


class TaskOut(BaseModel):
    """A message to pass on to a resident without e-mail, worded for the coordinator."""

    id: Id
    call: Line = Field(description="whom to call, with their phone number if known")
    message: Line = Field(description="what to tell them")
    reach: Line = Field(description="how they reach the other side of the help")
    resident_name: Name
    resident_phone: Phone | None = None
    request_id: Id | None = None
    area: Code | None = None
    letter: Line = Field(description="the printable letter (PDF) of this task")
    created_at: datetime
    done_at: datetime | None = Field(default=None, description="when it was ticked done")
    done_by: Id | None = Field(default=None, description="who ticked it done")


def task_out(task: nc.PassOnTask, language: str, zone: str) -> TaskOut:
    text = task_text(task, language, zone)
    return TaskOut(
        id=task.task_id,
        call=text.call,
        message=text.message,
        reach=text.reach,
        resident_name=task.resident_name,
        resident_phone=task.resident_phone,
        request_id=task.request_id,
        area=task.area,
        letter=f"/api/v1/coordinator/tasks/{task.task_id}/letter.pdf",
        created_at=task.created_at,
        done_at=task.done_at,
        done_by=task.done_by,
    )


Reach = Literal["phone", "via_you", "email"]


def reach_of(member: rc.MemberInfo) -> Reach:
    """How the volunteer matched with a resident reaches them, as the board tells their
    coordinator: the phone they agreed to share, else through the coordinator when Samen
    cannot write to them, else Samen's e-mails."""
    shared = member.consents.get("share_phone")
    if member.phone and shared is not None and shared.granted:
        return "phone"
    if not member.email:
        return "via_you"
    return "email"


# ------------------------------------------------------------------ use cases
