"""A volunteer's side: answering the proposals matching makes them, in the app or with the
signed link from their message."""

from services.gateway.bootstrap import Gateway
from shared.contracts import matching as mc
from shared.contracts import notify as nc
from shared.errors import Conflict, Forbidden, NotFound
from shared.texts import N_

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
