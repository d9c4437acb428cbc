"""The audit log: each look a coordinator or admin takes at someone's personal data, and each
change to a cooperative, written here and only here, so what an entry holds is decided once.

An entry names who acted (the signed-in member), what they did, what it was about (one
entry per subject: a member, a request, a task, an import, a cooperative), in which area,
and for a change what changed. Members read the looks at their own data in their export,
coordinators their own looks, admins everyone's, a cooperative its changes.
"""

from collections.abc import Sequence
from typing import Literal

from services.gateway.bootstrap import Gateway
from services.gateway.principal import Principal

AuditAction = Literal[
    "member.view",
    "request.view",
    "members.import",
    "task.done",
    "task.letter",
    "cooperative.change",
]
# What each action is about, so no entry can name the one without the other.
SUBJECT_TYPES: dict[AuditAction, str] = {
    "member.view": "member",
    "request.view": "request",
    "members.import": "import",
    "task.done": "task",
    "task.letter": "member",  # the resident the printed letter is for
    "cooperative.change": "cooperative",
}


async def audit(
    gateway: Gateway,
    principal: Principal,
    action: AuditAction,
    subject_ids: Sequence[str],
    *,
    area: str | None = None,
    detail: str | None = None,
) -> None:
    """Write one entry per subject (none without a subject), by the member acting now."""
    await gateway.store.audit(
        actor_id=principal.member_id,
        action=action,
        subject_type=SUBJECT_TYPES[action],
        subject_ids=list(subject_ids),
        area=area,
        detail=detail,
    )
