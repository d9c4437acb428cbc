"""Messages a coordinator passes on: for a member Samen cannot write to (no e-mail address,
no other channel of their own), what notify would have sent becomes a task on the board of
their coordinator, who calls them or hands them a letter.

Pure: the service layer fetches the member's contact and cooperative first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from services.notify.domain.model import Template

PASSED_ON_TEMPLATES = frozenset(
    {
        Template.request_matched,
        Template.match_confirmed,
        Template.reminder,
        Template.thanks_requester,
        Template.thanks_volunteer,
        Template.proposal_withdrawn,
    }
)
"""What a member hears about their own help. Not: the welcome (the coordinator registered
them and told them), account links and address changes (for an e-mail address only),
proposals (answered with their links) and what only coordinators get."""

PASSED_ON = "coordinator"
"""The channel a notification is recorded as sent over when it became a task."""

Side = Literal["requester", "volunteer"]
VOLUNTEER_TEMPLATES = frozenset(
    {Template.match_confirmed, Template.thanks_volunteer, Template.proposal_withdrawn}
)


def passed_on(template: Template, *, own_email: bool, own_channels: bool) -> bool:
    """True when a coordinator passes this message on instead of Samen sending it: the member
    has neither an e-mail address nor a channel of their own (Apprise), and the message is
    one they need to hear."""
    return not own_email and not own_channels and template in PASSED_ON_TEMPLATES


def task_holders(registered_by: str | None, coordinators: Iterable[str]) -> list[str]:
    """Who gets the task: the coordinator who registered the member first, then those of the
    cooperative of the member's area; each once."""
    return list(dict.fromkeys([*([registered_by] if registered_by else []), *coordinators]))


def side_of(template: Template, context: Mapping[str, Any]) -> Side:
    """The member's side of the help the message is about."""
    if template in VOLUNTEER_TEMPLATES:
        return "volunteer"
    if template is Template.reminder and context.get("role") == "volunteer":
        return "volunteer"
    return "requester"


def other_party(template: Template, context: Mapping[str, Any]) -> str | None:
    """The id of the other side of the help, whom the member is to hear of (if any)."""
    if template is Template.proposal_withdrawn:
        return None
    key = "requester_id" if side_of(template, context) == "volunteer" else "volunteer_id"
    value = context.get(key)
    return str(value) if value else None
