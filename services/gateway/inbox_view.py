"""An inbox message as a page shows it: paragraphs and line breaks kept, addresses as buttons.

A message's text is the plain text of its e-mail, addresses written out in full. On a phone a
long address does not wrap and pushes the page sideways, and nobody wants to read one: the page
shows a button instead (pure functions, no I/O).
"""

import re
from dataclasses import dataclass

from services.gateway.web import web_link
from shared.texts import N_

ADDRESS = re.compile(r"https?://[^\s<>\"']+")
# What a message's own link (`InboxItem.link`) is a button for, by the message's template.
LINK_LABELS: dict[str, str] = {
    "proposal": N_("View the proposal"),
    "proposal_withdrawn": N_("View my proposals"),
    "request_matched": N_("View the request"),
    "match_confirmed": N_("View the request"),
    "reminder": N_("View the request"),
    "thanks_requester": N_("View the request"),
    "thanks_volunteer": N_("View the request"),
    "escalation": N_("View the board"),
    "digest": N_("View the board"),
    "welcome": N_("View my details"),
    "registration_attempt": N_("Log in"),
}
OTHER_LINK = N_("Open the link")


@dataclass(frozen=True)
class Segment:
    """A piece of a line: text, or an address shown as a button labelled `label`."""

    text: str = ""
    href: str | None = None
    label: str = ""


@dataclass(frozen=True)
class Message:
    paragraphs: list[list[list[Segment]]]  # paragraphs of lines of segments
    link: Segment | None  # the message's own link, when the text does not name it already


def link_label(template: str) -> str:
    return LINK_LABELS.get(template, OTHER_LINK)


def _segments(line: str, template: str, link: str | None) -> list[Segment]:
    out: list[Segment] = []
    at = 0
    for found in ADDRESS.finditer(line):
        address = found.group(0).rstrip(".,;:!?)")
        if found.start() > at:
            out.append(Segment(text=line[at : found.start()]))
        href = web_link(address)
        if href is None:
            out.append(Segment(text=address))
        else:
            label = link_label(template) if address == link else OTHER_LINK
            out.append(Segment(href=href, label=label))
        at = found.start() + len(address)
    if at < len(line):
        out.append(Segment(text=line[at:]))
    return out


def message(body: str, template: str, link: str | None) -> Message:
    """`body` in paragraphs (split at blank lines) of lines, addresses as buttons; the message's
    own `link` as one more button unless the text already has it."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", body.replace("\r\n", "\n").strip()):
        lines = [_segments(line.strip(), template, link) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            paragraphs.append(lines)
    named = bool(link) and any(
        found.group(0).rstrip(".,;:!?)") == link for found in ADDRESS.finditer(body)
    )
    href = web_link(link)
    own = Segment(href=href, label=link_label(template)) if href and not named else None
    return Message(paragraphs=paragraphs, link=own)
