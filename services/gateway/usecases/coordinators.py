"""Use cases of the coordinator's board beyond matching: finding a request (filters, the
request number), handing it to another volunteer, cancelling or closing it with a note, and the
log of their own looks at personal data."""

import asyncio
from dataclasses import dataclass
from datetime import date

from services.gateway.adapters.store import AuditEntry
from services.gateway.area_names import alphanumeric
from services.gateway.bootstrap import Gateway
from services.gateway.principal import Principal
from services.gateway.usecases import check_in_areas, coordinator_areas, in_areas
from shared.certificates import CertificateState, certificate_expires, certificate_state
from shared.contracts import matching as mc
from shared.contracts import registry as rc
from shared.errors import Forbidden

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


async def _checked(
    gateway: Gateway, principal: Principal, request_id: str
) -> tuple[list[str], mc.RequestView]:
    areas = await coordinator_areas(gateway, principal)
    view = await gateway.rpc.call(
        mc.REQUEST_GET,
        mc.RequestQuery(request_id=request_id, actor_id=principal.member_id, area_codes=areas),
    )
    await check_in_areas(areas, view)
    return areas, view


async def reassign(
    gateway: Gateway, principal: Principal, request_id: str, volunteer_id: str
) -> mc.RequestView:
    """Hand a matched request to another volunteer (the first one is told it is off)."""
    areas, view = await _checked(gateway, principal, request_id)
    changed = await gateway.rpc.call(
        mc.COORDINATOR_REASSIGN,
        mc.CoordinatorMatch(
            coordinator_id=principal.member_id,
            area_codes=areas,
            request_id=request_id,
            volunteer_id=volunteer_id,
        ),
    )
    await gateway.store.audit(
        actor_id=principal.member_id,
        action="member.view",
        subject_type="member",
        subject_ids=[volunteer_id],
        area=view.neighbourhood,
    )
    return changed


async def cancel(
    gateway: Gateway, principal: Principal, request_id: str, note: str | None
) -> mc.RequestView:
    """Cancel on the requester's behalf (they called to say it is no longer needed)."""
    areas, _ = await _checked(gateway, principal, request_id)
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
    areas, _ = await _checked(gateway, principal, request_id)
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
    await gateway.store.audit(
        actor_id=principal.member_id,
        action="member.view",
        subject_type="member",
        subject_ids=[m.member_id for m in members],
    )
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
    areas = await coordinator_areas(gateway, principal)
    member = await gateway.rpc.call(
        rc.MEMBER_GET, rc.MemberQuery(member_id=member_id, actor_id=principal.member_id)
    )
    if not in_areas(areas, member.neighbourhood):
        raise Forbidden("This volunteer lives outside the areas of your cooperative.")
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
