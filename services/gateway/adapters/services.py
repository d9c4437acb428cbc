"""The other services as the gateway sees them: typed calls over request/reply.

Each method is one RPC verb from `shared.contracts`; routes never build subjects or payloads.
"""

from datetime import datetime
from typing import Any, Literal

from shared.contracts import matching as mc
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.rpc import RpcClient


class Registry:
    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc

    async def lookup(self, postcode: str) -> rc.PostcodeArea:
        return await self._rpc.call(rc.AREAS_LOOKUP, rc.PostcodeQuery(postcode=postcode))

    async def areas(self, **query: Any) -> list[rc.AreaInfo]:
        reply = await self._rpc.call(rc.AREAS_LIST, rc.AreaQuery(**query))
        return reply.areas

    async def cooperatives(
        self, *, area_code: str | None = None, coordinator_id: str | None = None
    ) -> list[rc.CooperativeInfo]:
        reply = await self._rpc.call(
            rc.COOPERATIVE_LIST,
            rc.CooperativeQuery(area_code=area_code, coordinator_id=coordinator_id),
        )
        return reply.cooperatives

    async def cooperative(self, cooperative_id: str) -> rc.CooperativeInfo:
        return await self._rpc.call(
            rc.COOPERATIVE_GET, rc.CooperativeRef(cooperative_id=cooperative_id)
        )

    async def update_cooperative(self, command: rc.CooperativeUpdate) -> rc.CooperativeInfo:
        return await self._rpc.call(rc.COOPERATIVE_UPDATE, command)

    async def register(self, command: rc.MemberRegister) -> rc.MemberInfo:
        return await self._rpc.call(rc.MEMBER_REGISTER, command)

    async def member(self, member_id: str, *, actor_id: str | None) -> rc.MemberInfo:
        return await self._rpc.call(
            rc.MEMBER_GET, rc.MemberQuery(member_id=member_id, actor_id=actor_id)
        )

    async def member_by_email(self, email: str) -> rc.MemberInfo:
        return await self._rpc.call(rc.MEMBER_FIND_BY_EMAIL, rc.MemberByEmail(email=email))

    async def invitations_due(self, limit: int) -> list[rc.InvitationDue]:
        found = await self._rpc.call(rc.MEMBER_INVITATIONS_DUE, rc.InvitationsQuery(limit=limit))
        return found.invitations

    async def invitation_done(self, member_id: str) -> None:
        await self._rpc.call(rc.MEMBER_INVITATION_DONE, rc.MemberRef(member_id=member_id))

    async def update_member(self, command: rc.MemberUpdate) -> rc.MemberInfo:
        return await self._rpc.call(rc.MEMBER_UPDATE, command)

    async def members(self, query: rc.MemberListQuery) -> rc.MemberList:
        return await self._rpc.call(rc.MEMBER_LIST, query)

    async def contact(self, member_id: str) -> rc.MemberContact:
        return await self._rpc.call(rc.MEMBER_CONTACT, rc.MemberRef(member_id=member_id))

    async def export(self, member_id: str) -> Any:
        return await self._rpc.call(
            rc.MEMBER_EXPORT, rc.MemberQuery(member_id=member_id, actor_id=member_id)
        )

    async def erase(self, member_id: str) -> rc.MemberErasure:
        return await self._rpc.call(
            rc.MEMBER_ERASE, rc.MemberQuery(member_id=member_id, actor_id=member_id)
        )

    async def volunteer_profile(
        self, member_id: str, *, actor_id: str | None = None
    ) -> rc.VolunteerProfile:
        return await self._rpc.call(
            rc.VOLUNTEER_PROFILE_GET,
            rc.MemberQuery(member_id=member_id, actor_id=actor_id or member_id),
        )

    async def set_volunteer_profile(self, command: rc.VolunteerProfileSet) -> rc.VolunteerProfile:
        return await self._rpc.call(rc.VOLUNTEER_PROFILE_SET, command)

    async def import_part(self, part: rc.MemberImportPart) -> rc.MemberImportView:
        return await self._rpc.call(rc.MEMBER_IMPORT_PART, part)

    async def import_status(self, query: rc.MemberImportQuery) -> rc.MemberImportView:
        return await self._rpc.call(rc.MEMBER_IMPORT_GET, query)

    async def directory(self, search: rc.DirectorySearch) -> rc.DirectoryResults:
        return await self._rpc.call(rc.DIRECTORY_SEARCH, search)

    # The social map's organisations and offers: each command carries the actor, the
    # registry decides whether they may.

    async def add_organisation(self, command: rc.OrganisationAdd) -> rc.OrganisationInfo:
        return await self._rpc.call(rc.ORGANISATION_ADD, command)

    async def organisation(self, organisation_id: str) -> rc.OrganisationInfo:
        return await self._rpc.call(
            rc.ORGANISATION_GET, rc.OrganisationRef(organisation_id=organisation_id)
        )

    async def update_organisation(self, command: rc.OrganisationUpdate) -> rc.OrganisationInfo:
        return await self._rpc.call(rc.ORGANISATION_UPDATE, command)

    async def retire_organisation(self, organisation_id: str, actor_id: str) -> rc.OrganisationInfo:
        return await self._rpc.call(
            rc.ORGANISATION_RETIRE,
            rc.OrganisationRef(organisation_id=organisation_id, actor_id=actor_id),
        )

    async def organisations(self, query: rc.OrganisationQuery) -> list[rc.OrganisationInfo]:
        reply = await self._rpc.call(rc.ORGANISATION_LIST, query)
        return reply.organisations

    async def add_offer(self, command: rc.OfferAdd) -> rc.OfferInfo:
        return await self._rpc.call(rc.OFFER_ADD, command)

    async def offer(self, offer_id: str) -> rc.OfferInfo:
        return await self._rpc.call(rc.OFFER_GET, rc.OfferRef(offer_id=offer_id))

    async def update_offer(self, command: rc.OfferUpdate) -> rc.OfferInfo:
        return await self._rpc.call(rc.OFFER_UPDATE, command)

    async def retire_offer(self, offer_id: str, actor_id: str) -> rc.OfferInfo:
        return await self._rpc.call(
            rc.OFFER_RETIRE, rc.OfferRef(offer_id=offer_id, actor_id=actor_id)
        )

    async def offers(self, query: rc.OfferQuery) -> list[rc.OfferInfo]:
        reply = await self._rpc.call(rc.OFFER_LIST, query)
        return reply.offers

    async def import_directory(self, command: rc.DirectoryImport) -> rc.DirectoryImportReport:
        return await self._rpc.call(rc.DIRECTORY_IMPORT, command)


class Notify:
    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc

    async def inbox(
        self, member_id: str, *, unread_only: bool = False, language: nc.Language | None = None
    ) -> nc.InboxPage:
        return await self._rpc.call(
            nc.INBOX_LIST,
            nc.InboxQuery(member_id=member_id, unread_only=unread_only, language=language),
        )

    async def mark_read(self, member_id: str, item_ids: list[str] | None) -> nc.MarkedRead:
        return await self._rpc.call(
            nc.INBOX_MARK_READ, nc.MarkRead(member_id=member_id, item_ids=item_ids)
        )

    async def cooperative_channels(self, cooperative_id: str) -> nc.CooperativeChannels:
        return await self._rpc.call(
            nc.COOPERATIVE_CHANNELS_GET, nc.CooperativeQuery(cooperative_id=cooperative_id)
        )

    async def set_cooperative_channels(
        self, channels: nc.CooperativeChannels
    ) -> nc.CooperativeChannels:
        return await self._rpc.call(nc.COOPERATIVE_CHANNELS_SET, channels)

    async def preferences(self, member_id: str) -> nc.Preferences:
        return await self._rpc.call(nc.PREFERENCES_GET, nc.MemberQuery(member_id=member_id))

    async def set_preferences(self, update: nc.PreferencesUpdate) -> nc.Preferences:
        return await self._rpc.call(nc.PREFERENCES_SET, update)

    async def verify_link(self, token: str) -> nc.ProposalLink:
        return await self._rpc.call(nc.TOKEN_VERIFY, nc.TokenRequest(token=token))

    async def redeem_link(self, token: str) -> nc.ProposalLink:
        return await self._rpc.call(nc.TOKEN_REDEEM, nc.TokenRequest(token=token))

    async def export(self, member_id: str) -> nc.MemberExport:
        return await self._rpc.call(nc.MEMBER_EXPORT, nc.MemberQuery(member_id=member_id))

    async def confirm_erasure(self, member_id: str) -> None:
        await self._rpc.call(nc.ERASURE_CONFIRM, nc.ErasureConfirmation(member_id=member_id))

    async def erase(self, member_id: str) -> None:
        await self._rpc.call(nc.MEMBER_ERASE, nc.MemberQuery(member_id=member_id))

    async def account_notice(
        self,
        member_id: str,
        kind: nc.AccountNoticeKind,
        *,
        link: str | None = None,
        expires_at: datetime | None = None,
        email: str | None = None,
    ) -> None:
        await self._rpc.call(
            nc.ACCOUNT_NOTICE,
            nc.AccountNotice(
                member_id=member_id, kind=kind, link=link, expires_at=expires_at, email=email
            ),
        )

    async def test_message(self, member_id: str) -> nc.ChannelCheckQueued:
        return await self._rpc.call(nc.TEST_MESSAGE, nc.ChannelCheck(member_id=member_id))

    async def tasks(self, coordinator_id: str, *, open_only: bool = True) -> nc.TaskList:
        return await self._rpc.call(
            nc.TASKS_LIST, nc.TaskQuery(coordinator_id=coordinator_id, open_only=open_only)
        )

    async def task(self, task_id: str, coordinator_id: str) -> nc.PassOnTask:
        return await self._rpc.call(
            nc.TASK_GET, nc.TaskRef(task_id=task_id, coordinator_id=coordinator_id)
        )

    async def task_done(self, task_id: str, coordinator_id: str) -> nc.PassOnTask:
        return await self._rpc.call(
            nc.TASK_DONE, nc.TaskRef(task_id=task_id, coordinator_id=coordinator_id)
        )


class Matching:
    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc

    async def create(self, command: mc.RequestCreate) -> mc.RequestView:
        return await self._rpc.call(mc.REQUEST_CREATE, command)

    async def get(
        self, request_id: str, *, actor_id: str, area_codes: list[str] | None = None
    ) -> mc.RequestView:
        return await self._rpc.call(
            mc.REQUEST_GET,
            mc.RequestQuery(request_id=request_id, actor_id=actor_id, area_codes=area_codes or []),
        )

    async def mine(
        self,
        member_id: str,
        *,
        role: Literal["requester", "volunteer"] = "requester",
        states: list[mc.RequestState] | None = None,
    ) -> list[mc.RequestSummary]:
        reply = await self._rpc.call(
            mc.REQUEST_LIST_MINE, mc.MyRequestsQuery(member_id=member_id, role=role, states=states)
        )
        return reply.requests

    async def cancel(self, request_id: str, *, actor_id: str) -> mc.RequestView:
        return await self._rpc.call(
            mc.REQUEST_CANCEL, mc.RequestCancel(request_id=request_id, actor_id=actor_id)
        )

    async def complete(self, command: mc.RequestComplete) -> mc.RequestView:
        return await self._rpc.call(mc.REQUEST_COMPLETE, command)

    async def feedback(self, command: mc.RequestFeedback) -> mc.RequestView:
        return await self._rpc.call(mc.REQUEST_FEEDBACK, command)

    async def notice_board(self, area_code: str) -> mc.NoticeBoard:
        return await self._rpc.call(mc.NOTICE_BOARD, mc.NoticeBoardQuery(area_code=area_code))

    async def proposals(
        self, volunteer_id: str, *, states: list[mc.ProposalState] | None = None
    ) -> list[mc.ProposalView]:
        reply = await self._rpc.call(
            mc.PROPOSAL_LIST_FOR_VOLUNTEER,
            mc.ProposalQuery(volunteer_id=volunteer_id, states=states),
        )
        return reply.proposals

    async def answer(self, proposal_id: str, *, volunteer_id: str, accept: bool) -> mc.ProposalView:
        return await self._rpc.call(
            mc.PROPOSAL_ACCEPT if accept else mc.PROPOSAL_DECLINE,
            mc.ProposalAnswer(proposal_id=proposal_id, volunteer_id=volunteer_id),
        )

    async def board(
        self, *, coordinator_id: str, area_codes: list[str], states: list[str] | None = None
    ) -> mc.Board:
        return await self._rpc.call(
            mc.COORDINATOR_BOARD,
            mc.BoardQuery(
                coordinator_id=coordinator_id,
                area_codes=area_codes,
                states=states,
            ),
        )

    async def candidates(
        self, *, coordinator_id: str, area_codes: list[str], request_id: str
    ) -> mc.CandidateList:
        return await self._rpc.call(
            mc.COORDINATOR_CANDIDATES,
            mc.CandidatesQuery(
                coordinator_id=coordinator_id, area_codes=area_codes, request_id=request_id
            ),
        )

    async def reassign(self, command: mc.CoordinatorMatch) -> mc.RequestView:
        return await self._rpc.call(mc.COORDINATOR_REASSIGN, command)

    async def cancel_for_requester(self, command: mc.CoordinatorCancel) -> mc.RequestView:
        return await self._rpc.call(mc.COORDINATOR_CANCEL, command)

    async def close(self, command: mc.CoordinatorClose) -> mc.RequestView:
        return await self._rpc.call(mc.COORDINATOR_CLOSE, command)

    async def match(
        self, *, coordinator_id: str, area_codes: list[str], request_id: str, volunteer_id: str
    ) -> mc.RequestView:
        return await self._rpc.call(
            mc.COORDINATOR_MATCH,
            mc.CoordinatorMatch(
                coordinator_id=coordinator_id,
                area_codes=area_codes,
                request_id=request_id,
                volunteer_id=volunteer_id,
            ),
        )

    async def figures(self, query: mc.FiguresQuery) -> mc.Figures:
        return await self._rpc.call(mc.REPORT_FIGURES, query)

    async def export(self, member_id: str) -> mc.MemberData:
        return await self._rpc.call(mc.MEMBER_EXPORT, mc.MemberQuery(member_id=member_id))

    async def erase(self, member_id: str) -> mc.MemberErasure:
        return await self._rpc.call(mc.MEMBER_ERASE, mc.MemberQuery(member_id=member_id))
