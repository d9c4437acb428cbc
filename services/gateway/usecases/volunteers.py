"""A volunteer's side: offering help (the profile; becoming a volunteer), the proposals
matching makes them, and answering those, in the app or with the signed link from their
message."""

from dataclasses import dataclass

from services.gateway.bootstrap import Gateway
from services.gateway.principal import Principal
from services.gateway.schemas import RequestOut
from services.gateway.usecases.requests import matched_job
from shared.contracts import matching as mc
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.errors import Conflict, Forbidden, NotFound, SamenError
from shared.texts import N_

# ------------------------------------------------------------------ the profile


async def profile(gateway: Gateway, principal: Principal) -> rc.VolunteerProfile:
    """My volunteer profile; NotFound before I made one."""
    return await gateway.rpc.call(
        rc.VOLUNTEER_PROFILE_GET,
        rc.MemberQuery(member_id=principal.member_id, actor_id=principal.member_id),
    )


class NotRead:
    """The profile on file has not been read yet."""


NOT_READ = NotRead()


async def offer_help(
    gateway: Gateway,
    principal: Principal,
    offer: rc.VolunteerOffer,
    *,
    matching_consent: bool | None = None,
    on_file: rc.VolunteerProfile | NotRead | None = NOT_READ,
) -> rc.VolunteerProfile:
    """Save my profile, becoming a volunteer if I was not one yet. The consent to be matched
    (when the form asks it) and the role go first, so the profile's event carries both; the
    gateway's copy of the roles follows the registry's. The certificate of conduct is not the
    volunteer's to set (a coordinator records it): the one on file is kept. `on_file`: the
    profile as the caller read it already (None: there is none), so it is not read twice."""
    if isinstance(on_file, NotRead):
        try:
            on_file = await profile(gateway, principal)
        except NotFound:  # becoming a volunteer now
            on_file = None
    command = rc.VolunteerProfileSet(
        member_id=principal.member_id,
        actor_id=principal.member_id,
        certificate_of_conduct_date=on_file.certificate_of_conduct_date if on_file else None,
        **offer.model_dump(include=set(rc.VolunteerOffer.model_fields)),
    )
    joining = "volunteer" not in principal.roles
    roles = [*principal.roles, "volunteer"] if joining else None
    if joining or matching_consent is not None:
        await gateway.rpc.call(
            rc.MEMBER_UPDATE,
            rc.MemberUpdate(
                member_id=principal.member_id,
                actor_id=principal.member_id,
                consents=None if matching_consent is None else {"matching": matching_consent},
                roles=roles,
            ),
        )
    if roles is not None:
        await gateway.store.set_roles_for_member(principal.member_id, roles)
    return await gateway.rpc.call(rc.VOLUNTEER_PROFILE_SET, command)


# ------------------------------------------------------------------ proposals


async def proposals(gateway: Gateway, principal: Principal) -> list[mc.ProposalView]:
    """The requests proposed to me, newest first."""
    found = await gateway.rpc.call(
        mc.PROPOSAL_LIST_FOR_VOLUNTEER, mc.ProposalQuery(volunteer_id=principal.member_id)
    )
    return list(found.proposals)


ANSWERED_ALREADY = {
    "accept": N_("You said yes to this request already."),
    "decline": N_("You declined this request already."),
}


async def answer_by_link(
    gateway: Gateway,
    token: str,
    *,
    proposal_id: str | None = None,
    action: nc.LinkAction | None = None,
) -> tuple[nc.ProposalLink, mc.ProposalView]:
    """Answer a proposal with the signed link from its message, in the order that keeps the
    link usable until its answer is in: look at the link (spends nothing), check that it is
    for this proposal and this answer, have matching answer, and only then spend the link.
    Matching and notify both take the same answer again as the same success, so a use whose
    outcome is unknown (a timeout, a 503) is simply repeated."""
    link = await gateway.rpc.call(nc.TOKEN_VERIFY, nc.TokenRequest(token=token))
    if (proposal_id is not None and link.proposal_id != proposal_id) or (
        action is not None and link.action != action
    ):
        raise Forbidden("This link is for another proposal or answer.")
    if link.answer is not None and link.answer != link.action:
        raise Conflict(ANSWERED_ALREADY[link.answer], details={"reason": "answered"})
    view = await answer_proposal(
        gateway, link.proposal_id, volunteer_id=link.volunteer_id, accept=link.action == "accept"
    )
    return await gateway.rpc.call(nc.TOKEN_REDEEM, nc.TokenRequest(token=token)), view


async def answer_proposal(
    gateway: Gateway, proposal_id: str, *, volunteer_id: str, accept: bool
) -> mc.ProposalView:
    """Accept or decline a proposal as its volunteer; NotFound for anyone else."""
    try:
        return await gateway.rpc.call(
            mc.PROPOSAL_ACCEPT if accept else mc.PROPOSAL_DECLINE,
            mc.ProposalAnswer(proposal_id=proposal_id, volunteer_id=volunteer_id),
        )
    except Forbidden as exc:  # the volunteer is no longer who the proposal was made to
        raise NotFound("No such proposal for you.") from exc


# ------------------------------------------------------------------ the link's page


@dataclass(frozen=True)
class LinkView:
    """What the page of an accept/decline link shows: the proposal (None when matching is
    away), the answer it got whichever way it was given, whether it can still be answered
    here, and for its own volunteer, signed in, the job they took."""

    link: nc.ProposalLink
    proposal: mc.ProposalView | None
    answer: str | None
    open: bool
    job: RequestOut | None


async def link_view(
    gateway: Gateway, token: str, *, viewer_id: str | None, closed: bool = False
) -> LinkView:
    """Look at a link without answering (mail scanners open links); `closed`: matching refused
    the answer (409), whatever notify has heard of it yet."""
    link = await gateway.rpc.call(nc.TOKEN_VERIFY, nc.TokenRequest(token=token))
    proposal = None
    try:
        found = await gateway.rpc.call(
            mc.PROPOSAL_LIST_FOR_VOLUNTEER, mc.ProposalQuery(volunteer_id=link.volunteer_id)
        )
        proposal = next((p for p in found.proposals if p.proposal_id == link.proposal_id), None)
    except SamenError:
        pass
    # The answer the proposal got, whichever way and whatever notify has heard of it yet.
    answer = link.answer or (
        {"accepted": "accept", "declined": "decline"}.get(proposal.state) if proposal else None
    )
    job = None
    if answer == "accept" and viewer_id == link.volunteer_id:
        job = await matched_job(gateway, link.request_id, link.volunteer_id)
    return LinkView(
        link=link,
        proposal=proposal,
        answer=answer,
        open=answer is None
        and not closed
        and not link.used
        and link.state == "open"
        and (proposal is None or proposal.state == "pending"),
        job=job,
    )
