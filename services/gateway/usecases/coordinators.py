"""A coordinator's work: the board (filters, the request number), matching by hand, handing
a request to another volunteer, cancelling or closing it with a note, the log of their own
looks at personal data, volunteers' certificates of conduct, and the information point:
people registered and requests asked on someone's behalf, a CSV of members, and the messages
to pass on to residents without e-mail."""

import asyncio
from dataclasses import dataclass
from datetime import date

from services.gateway.adapters.store import AuditEntry
from services.gateway.area_names import alphanumeric
from services.gateway.bootstrap import Gateway
from services.gateway.passing_on import letter_pdf
from services.gateway.principal import Principal
from services.gateway.schemas import OnBehalfMember, RequestBody
from services.gateway.usecases.accounts import invite
from services.gateway.usecases.areas import (
    check_in_areas,
    coordinator_areas,
    in_areas,
    postcode_area,
)
from services.gateway.usecases.audit import audit
from services.gateway.usecases.requests import ask_for_help
from shared.certificates import CertificateState, certificate_expires, certificate_state
from shared.contracts import matching as mc
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.errors import Forbidden, Invalid, SamenError
from shared.texts import N_

# ------------------------------------------------------------------ the board

BOARD_STATES: tuple[mc.RequestState, ...] = ("escalated", "open", "proposed", "matched")


@dataclass(frozen=True)
class BoardFilter:
    neighbourhood: str | None = None
    category: str | None = None
    state: str | None = None
    number: str | None = None  # all or part of a request number

    def keeps(self, summary: mc.RequestSummary) -> bool:
        if self.neighbourhood and summary.neighbourhood != self.neighbourhood:
            return False
        if self.category and summary.category != self.category:
            return False
        if self.number:
            wanted = alphanumeric(self.number)
            if wanted and wanted not in alphanumeric(summary.request_id):
                return False
        return True

    @property
    def active(self) -> bool:
        return any((self.neighbourhood, self.category, self.state, self.number))


def board_columns(
    board: mc.Board, areas: list[str], wanted: BoardFilter
) -> list[tuple[str, list[mc.RequestSummary]]]:
    """The board's columns as the coordinator asked for them: within their areas, urgent and
    oldest escalation first (matching's order), filtered."""
    states = [s for s in BOARD_STATES if not wanted.state or s == wanted.state]
    return [
        (
            state,
            [
                r
                for r in board.requests.get(state, [])
                if in_areas(areas, r.neighbourhood) and wanted.keeps(r)
            ],
        )
        for state in states
    ]


async def request_in_my_areas(
    gateway: Gateway, principal: Principal, request_id: str
) -> tuple[list[str], mc.RequestView]:
    """A request of my cooperatives' areas, with those areas; Forbidden for any other."""
    areas = await coordinator_areas(gateway, principal)
    view = await gateway.rpc.call(
        mc.REQUEST_GET,
        mc.RequestQuery(request_id=request_id, actor_id=principal.member_id, area_codes=areas),
    )
    await check_in_areas(areas, view)
    return areas, view


VOLUNTEER_ELSEWHERE = "This volunteer lives outside the areas of your cooperative."
RESIDENT_ELSEWHERE = "This resident lives outside the areas of your cooperative."


async def _member_in_my_areas(
    gateway: Gateway, principal: Principal, member_id: str, refusal: str
) -> tuple[list[str], rc.MemberInfo]:
    """A member who lives in my cooperatives' areas, with those areas; else Forbidden."""
    areas = await coordinator_areas(gateway, principal)
    member = await gateway.rpc.call(
        rc.MEMBER_GET, rc.MemberQuery(member_id=member_id, actor_id=principal.member_id)
    )
    if not in_areas(areas, member.neighbourhood):
        raise Forbidden(refusal)
    return areas, member


async def board(
    gateway: Gateway, principal: Principal, states: list[mc.RequestState] | None = None
) -> tuple[list[str], mc.Board]:
    """The requests of my cooperatives' areas by state (matching's default states unless
    `states` says which), with those areas."""
    areas = await coordinator_areas(gateway, principal)
    found = await gateway.rpc.call(
        mc.COORDINATOR_BOARD,
        mc.BoardQuery(coordinator_id=principal.member_id, area_codes=areas, states=states),
    )
    return areas, found


# How the API lists the board: what needs a coordinator first, what is over last.
LIST_ORDER = ("escalated", "open", "proposed", "matched", "done", "cancelled", "expired")


def board_rows(found: mc.Board, areas: list[str]) -> list[mc.RequestSummary]:
    """The board as one list within my areas: by state in LIST_ORDER, then matching's order."""

    def rank(state: str) -> int:
        return LIST_ORDER.index(state) if state in LIST_ORDER else len(LIST_ORDER)

    return [
        summary
        for state in sorted(found.requests, key=rank)
        for summary in found.requests[state]
        if in_areas(areas, summary.neighbourhood)
    ]


@dataclass(frozen=True)
class BoardRequest:
    """One request as the board shows it: who asked (None when the registry is away), the
    volunteers who could help, nearest first, and their first names."""

    view: mc.RequestView
    requester: rc.MemberInfo | None
    candidates: list[mc.Candidate]
    names: dict[str, str]


async def board_request(gateway: Gateway, principal: Principal, request_id: str) -> BoardRequest:
    """A request of my areas with its requester and candidates; a look at the request and at
    each of those people, audited."""
    areas, view = await request_in_my_areas(gateway, principal, request_id)
    # Made apart from the gather: inside it, mypy would take the verbs' results for
    # "result or exception".
    member = gateway.rpc.call(
        rc.MEMBER_GET, rc.MemberQuery(member_id=view.requester_id, actor_id=principal.member_id)
    )
    nearest = gateway.rpc.call(
        mc.COORDINATOR_CANDIDATES,
        mc.CandidatesQuery(
            coordinator_id=principal.member_id, area_codes=areas, request_id=request_id
        ),
    )
    requester, candidates = await asyncio.gather(member, nearest, return_exceptions=True)
    names: dict[str, str] = {}
    if not isinstance(candidates, BaseException):
        found = await asyncio.gather(
            *(
                gateway.rpc.call(rc.MEMBER_CONTACT, rc.MemberRef(member_id=c.volunteer_id))
                for c in candidates.candidates
            ),
            return_exceptions=True,
        )
        # First names only: enough to choose, and the volunteer may live outside the area.
        names = {m.member_id: m.first_name for m in found if not isinstance(m, BaseException)}
    await audit(gateway, principal, "request.view", [view.request_id], area=view.neighbourhood)
    await audit(
        gateway, principal, "member.view", [view.requester_id, *names], area=view.neighbourhood
    )
    return BoardRequest(
        view=view,
        requester=None if isinstance(requester, BaseException) else requester,
        candidates=[] if isinstance(candidates, BaseException) else candidates.candidates,
        names=names,
    )


# ------------------------------------------------------------------ matching by hand, ending


async def candidates(gateway: Gateway, principal: Principal, request_id: str) -> mc.CandidateList:
    """Volunteers who could help with a request of my areas, nearest first."""
    areas, _ = await request_in_my_areas(gateway, principal, request_id)
    return await gateway.rpc.call(
        mc.COORDINATOR_CANDIDATES,
        mc.CandidatesQuery(
            coordinator_id=principal.member_id, area_codes=areas, request_id=request_id
        ),
    )


async def coordinator_match(
    gateway: Gateway, principal: Principal, request_id: str, volunteer_id: str
) -> mc.RequestView:
    """Match a request of my areas to a volunteer by hand."""
    return await _hand_to(gateway, principal, request_id, volunteer_id, reassign=False)


async def reassign(
    gateway: Gateway, principal: Principal, request_id: str, volunteer_id: str
) -> mc.RequestView:
    """Hand a matched request to another volunteer (the first one is told it is off)."""
    return await _hand_to(gateway, principal, request_id, volunteer_id, reassign=True)


async def _hand_to(
    gateway: Gateway,
    principal: Principal,
    request_id: str,
    volunteer_id: str,
    *,
    reassign: bool,
) -> mc.RequestView:
    """Give a request of my areas to a volunteer; the answer shows them, so it is a look at
    their details (audited)."""
    areas, view = await request_in_my_areas(gateway, principal, request_id)
    changed = await gateway.rpc.call(
        mc.COORDINATOR_REASSIGN if reassign else mc.COORDINATOR_MATCH,
        mc.CoordinatorMatch(
            coordinator_id=principal.member_id,
            area_codes=areas,
            request_id=request_id,
            volunteer_id=volunteer_id,
        ),
    )
    await audit(gateway, principal, "member.view", [volunteer_id], area=view.neighbourhood)
    return changed


async def cancel(
    gateway: Gateway, principal: Principal, request_id: str, note: str | None
) -> mc.RequestView:
    """Cancel on the requester's behalf (they called to say it is no longer needed)."""
    areas, _ = await request_in_my_areas(gateway, principal, request_id)
    return await gateway.rpc.call(
        mc.COORDINATOR_CANCEL,
        mc.CoordinatorCancel(
            coordinator_id=principal.member_id,
            area_codes=areas,
            request_id=request_id,
            note=note or None,
        ),
    )


async def close(
    gateway: Gateway, principal: Principal, request_id: str, note: str, hours: float | None
) -> mc.RequestView:
    """Close as done with a note, e.g. help arranged outside Samen."""
    areas, _ = await request_in_my_areas(gateway, principal, request_id)
    return await gateway.rpc.call(
        mc.COORDINATOR_CLOSE,
        mc.CoordinatorClose(
            coordinator_id=principal.member_id,
            area_codes=areas,
            request_id=request_id,
            note=note,
            hours=hours,
        ),
    )


# ------------------------------------------------------------------ the audit log


async def audit_log(gateway: Gateway, principal: Principal, limit: int) -> list[AuditEntry]:
    """Looks at personal data: an admin sees everyone's, a coordinator their own."""
    await coordinator_areas(gateway, principal)  # coordinators and admins only
    return await gateway.store.audit_entries(
        actor_id=None if principal.has("admin") else principal.member_id, limit=limit
    )


# ------------------------------------------------------------------ certificates of conduct


@dataclass(frozen=True)
class VolunteerRow:
    member: rc.MemberSummary
    profile: rc.VolunteerProfile | None
    certificate: CertificateState
    expires: date | None


async def volunteers(gateway: Gateway, principal: Principal, today: date) -> list[VolunteerRow]:
    """The volunteers of my areas with their certificate of conduct, expired ones first."""
    areas = await coordinator_areas(gateway, principal)
    lists = await asyncio.gather(
        *(
            gateway.rpc.call(
                rc.MEMBER_LIST,
                rc.MemberListQuery(
                    actor_id=principal.member_id, area_code=code, role="volunteer", limit=500
                ),
            )
            for code in areas
        )
    )
    members = list({m.member_id: m for found in lists for m in found.members}.values())
    profiles = await asyncio.gather(
        *(
            gateway.rpc.call(
                rc.VOLUNTEER_PROFILE_GET,
                rc.MemberQuery(member_id=m.member_id, actor_id=principal.member_id),
            )
            for m in members
        ),
        return_exceptions=True,
    )
    await audit(gateway, principal, "member.view", [m.member_id for m in members])
    rows = []
    for member, profile in zip(members, profiles, strict=True):
        known = None if isinstance(profile, BaseException) else profile
        issued = known.certificate_of_conduct_date if known else None
        rows.append(
            VolunteerRow(
                member=member,
                profile=known,
                certificate=certificate_state(issued, today),
                expires=certificate_expires(issued) if issued else None,
            )
        )
    order = {"expired": 0, "expiring": 1, "none": 2, "valid": 3}
    return sorted(rows, key=lambda r: (order[r.certificate], r.member.name))


async def set_certificate(
    gateway: Gateway, principal: Principal, member_id: str, issued: date | None
) -> rc.VolunteerProfile:
    """Record the date of a volunteer's certificate of conduct (VOG), seen by the coordinator."""
    await _member_in_my_areas(gateway, principal, member_id, VOLUNTEER_ELSEWHERE)
    profile = await gateway.rpc.call(
        rc.VOLUNTEER_PROFILE_GET,
        rc.MemberQuery(member_id=member_id, actor_id=principal.member_id),
    )
    return await gateway.rpc.call(
        rc.VOLUNTEER_PROFILE_SET,
        rc.VolunteerProfileSet(
            member_id=member_id,
            actor_id=principal.member_id,
            categories=profile.categories,
            availability=profile.availability,
            flexible=profile.flexible,
            radius_km=profile.radius_km,
            languages=profile.languages,
            max_open=profile.max_open,
            active=profile.active,
            certificate_of_conduct_date=issued,
            paused_until=profile.paused_until,
        ),
    )


# ------------------------------------------------------------------ the information point


async def register_on_behalf(
    gateway: Gateway, principal: Principal, body: OnBehalfMember
) -> rc.MemberInfo:
    """The information point registers a resident (who may have no e-mail) of its own area.
    A resident with an e-mail address gets a log-in without a password and an invitation to
    set one (the same single-use link as a reset, working longer)."""
    areas = await coordinator_areas(gateway, principal)
    place = await postcode_area(gateway, body.postcode)
    if not in_areas(areas, place.neighbourhood.code):
        raise Forbidden("This address lies outside the areas of your cooperative.")
    member = await gateway.rpc.call(
        rc.MEMBER_REGISTER,
        rc.MemberRegister(
            name=body.name,
            email=body.email,
            phone=body.phone,
            postcode=body.postcode,
            house_number=body.house_number,
            language=body.language,
            roles=["resident"],
            consents={"matching": True, "share_phone": body.share_phone and bool(body.phone)},
            registered_by=principal.member_id,
            actor_id=principal.member_id,
        ),
    )
    if body.email:
        await invite(gateway, member, body.email)
    return member


async def resident(gateway: Gateway, principal: Principal, member_id: str) -> rc.MemberInfo:
    """A resident of my areas, to ask for help on their behalf."""
    _, member = await _member_in_my_areas(gateway, principal, member_id, RESIDENT_ELSEWHERE)
    return member


async def ask_on_behalf(
    gateway: Gateway,
    principal: Principal,
    body: RequestBody,
    requester_id: str,
    *,
    idempotency_key: str | None = None,
) -> mc.RequestView:
    areas, member = await _member_in_my_areas(gateway, principal, requester_id, RESIDENT_ELSEWHERE)
    await audit(gateway, principal, "member.view", [member.member_id], area=member.neighbourhood)
    # The registry knows where they live now; matching may not have heard of them yet.
    return await ask_for_help(
        gateway,
        principal,
        body,
        requester_id=requester_id,
        area_codes=areas,
        neighbourhood=member.neighbourhood,
        idempotency_key=idempotency_key,
    )


# ------------------------------------------------------------------ member imports

# The registry's words for a row or an import it refused, shown on the page in its language.
REGISTRY_TEXTS = (
    N_("postcode: this address lies outside your cooperative's areas"),
    N_("the import stopped on an error; upload it again"),
)


def parts_of(text: str, size: int = rc.IMPORT_PART_CHARS) -> list[str]:
    """The file cut into parts of at most `size` characters, at line ends where the lines
    allow; joined they are the file again."""
    parts: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            line_end = text.rfind("\n", start, end)
            if line_end >= start:
                end = line_end + 1
        parts.append(text[start:end])
        start = end
    return parts or [""]


def file_text(data: bytes) -> str:
    """The uploaded bytes as text: UTF-8 (with or without the mark spreadsheets write), else
    the Windows encoding older spreadsheets save CSV in."""
    if b"\x00" in data:
        raise Invalid("not a CSV file", details={"field": "file", "reason": "not_csv"})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


async def upload_members(
    gateway: Gateway, principal: Principal, data: bytes, file_name: str | None
) -> rc.MemberImportView:
    await coordinator_areas(gateway, principal)  # coordinators and admins only
    text = file_text(data)
    if not text.strip():
        raise Invalid("the file is empty", details={"field": "file", "reason": "empty_file"})
    parts = parts_of(text)
    answer: rc.MemberImportView | None = None
    for seq, part in enumerate(parts):
        answer = await gateway.rpc.call(
            rc.MEMBER_IMPORT_PART,
            rc.MemberImportPart(
                actor_id=principal.member_id,
                import_id=answer.import_id if answer else None,
                file_name=(file_name or "")[:200] or None,
                seq=seq,
                text=part,
                last=seq == len(parts) - 1,
            ),
        )
    assert answer is not None
    await audit(gateway, principal, "members.import", [answer.import_id])
    return answer


async def member_import(
    gateway: Gateway, principal: Principal, import_id: str
) -> rc.MemberImportView:
    return await gateway.rpc.call(
        rc.MEMBER_IMPORT_GET,
        rc.MemberImportQuery(import_id=import_id, actor_id=principal.member_id),
    )


# ------------------------------------------------------------------ passing on


async def open_tasks(gateway: Gateway, principal: Principal) -> list[nc.PassOnTask]:
    """My open tasks (a coordinator's only); each resident on them is a look at their data."""
    await coordinator_areas(gateway, principal)
    found = await gateway.rpc.call(nc.TASKS_LIST, nc.TaskQuery(coordinator_id=principal.member_id))
    for task in found.tasks:
        await audit(gateway, principal, "member.view", [task.resident_id], area=task.area)
    return found.tasks


async def tick_done(gateway: Gateway, principal: Principal, task_id: str) -> nc.PassOnTask:
    await coordinator_areas(gateway, principal)
    task = await gateway.rpc.call(
        nc.TASK_DONE, nc.TaskRef(task_id=task_id, coordinator_id=principal.member_id)
    )
    await audit(gateway, principal, "task.done", [task.task_id], area=task.area)
    return task


async def letter(gateway: Gateway, principal: Principal, task_id: str) -> bytes:
    """The letter of one of my tasks, signed with my name and how to reach me."""
    await coordinator_areas(gateway, principal)
    task = await gateway.rpc.call(
        nc.TASK_GET, nc.TaskRef(task_id=task_id, coordinator_id=principal.member_id)
    )
    try:
        me: rc.MemberContact | None = await gateway.rpc.call(
            rc.MEMBER_CONTACT, rc.MemberRef(member_id=principal.member_id)
        )
    except SamenError:
        me = None
    await audit(gateway, principal, "task.letter", [task.resident_id], area=task.area)
    return letter_pdf(task, me, gateway.settings.time_zone)
