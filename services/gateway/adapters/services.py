"""The other services as the gateway sees them: typed calls over request/reply.

Each method is one RPC verb from `shared.contracts`; routes never build subjects or payloads.
"""

from datetime import datetime
from typing import Any

from shared.contracts import matching as mc
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.rpc import RpcClient


class Registry:
    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc

    async def lookup(self, postcode: str) -> rc.PostcodeArea:
        return await self._rpc.call(
            "registry", rc.AREAS_LOOKUP, rc.PostcodeQuery(postcode=postcode), result=rc.PostcodeArea
        )

    async def areas(self, **query: Any) -> list[rc.AreaInfo]:
        reply = await self._rpc.call(
            "registry", rc.AREAS_LIST, rc.AreaQuery(**query), result=rc.AreaList
        )
        return reply.areas

    async def cooperatives(
        self, *, area_code: str | None = None, coordinator_id: str | None = None
    ) -> list[rc.CooperativeInfo]:
        reply = await self._rpc.call(
            "registry",
            rc.COOPERATIVE_LIST,
            rc.CooperativeQuery(area_code=area_code, coordinator_id=coordinator_id),
            result=rc.CooperativeList,
        )
        return reply.cooperatives

    async def cooperative(self, cooperative_id: str) -> rc.CooperativeInfo:
        return await self._rpc.call(
            "registry",
            rc.COOPERATIVE_GET,
            rc.CooperativeRef(cooperative_id=cooperative_id),
            result=rc.CooperativeInfo,
        )

    async def update_cooperative(self, command: rc.CooperativeUpdate) -> rc.CooperativeInfo:
        return await self._rpc.call(
            "registry", rc.COOPERATIVE_UPDATE, command, result=rc.CooperativeInfo
        )

    async def register(self, command: rc.MemberRegister) -> rc.MemberInfo:
        return await self._rpc.call("registry", rc.MEMBER_REGISTER, command, result=rc.MemberInfo)

    async def member(self, member_id: str, *, actor_id: str | None) -> rc.MemberInfo:
        return await self._rpc.call(
            "registry",
            rc.MEMBER_GET,
            rc.MemberQuery(member_id=member_id, actor_id=actor_id),
            result=rc.MemberInfo,
        )

    async def member_by_email(self, email: str) -> rc.MemberInfo:
        return await self._rpc.call(
            "registry", rc.MEMBER_FIND_BY_EMAIL, rc.MemberByEmail(email=email), result=rc.MemberInfo
        )

    async def invitations_due(self, limit: int) -> list[rc.InvitationDue]:
        found = await self._rpc.call(
            "registry",
            rc.MEMBER_INVITATIONS_DUE,
            rc.InvitationsQuery(limit=limit),
            result=rc.InvitationsDue,
        )
        return found.invitations

    async def invitation_done(self, member_id: str) -> None:
        await self._rpc.call(
            "registry", rc.MEMBER_INVITATION_DONE, rc.MemberRef(member_id=member_id)
        )

    async def update_member(self, command: rc.MemberUpdate) -> rc.MemberInfo:
        return await self._rpc.call("registry", rc.MEMBER_UPDATE, command, result=rc.MemberInfo)

    async def members(self, query: rc.MemberListQuery) -> rc.MemberList:
        return await self._rpc.call("registry", rc.MEMBER_LIST, query, result=rc.MemberList)

    async def contact(self, member_id: str) -> rc.MemberContact:
        return await self._rpc.call(
            "registry",
            rc.MEMBER_CONTACT,
            rc.MemberRef(member_id=member_id),
            result=rc.MemberContact,
        )

    async def export(self, member_id: str) -> Any:
        return await self._rpc.call(
            "registry",
            rc.MEMBER_EXPORT,
            rc.MemberQuery(member_id=member_id, actor_id=member_id),
        )

    async def erase(self, member_id: str) -> rc.MemberErasure:
        return await self._rpc.call(
            "registry",
            rc.MEMBER_ERASE,
            rc.MemberQuery(member_id=member_id, actor_id=member_id),
            result=rc.MemberErasure,
        )

    async def volunteer_profile(
        self, member_id: str, *, actor_id: str | None = None
    ) -> rc.VolunteerProfile:
        return await self._rpc.call(
            "registry",
            rc.VOLUNTEER_PROFILE_GET,
            rc.MemberQuery(member_id=member_id, actor_id=actor_id or member_id),
            result=rc.VolunteerProfile,
        )

    async def set_volunteer_profile(self, command: rc.VolunteerProfileSet) -> rc.VolunteerProfile:
        return await self._rpc.call(
            "registry", rc.VOLUNTEER_PROFILE_SET, command, result=rc.VolunteerProfile
        )

    async def import_part(self, part: rc.MemberImportPart) -> rc.MemberImportView:
        return await self._rpc.call(
            "registry", rc.MEMBER_IMPORT_PART, part, result=rc.MemberImportView
        )

    async def import_status(self, query: rc.MemberImportQuery) -> rc.MemberImportView:
        return await self._rpc.call(
            "registry", rc.MEMBER_IMPORT_GET, query, result=rc.MemberImportView
        )

    async def directory(self, search: rc.DirectorySearch) -> rc.DirectoryResults:
        return await self._rpc.call(
            "registry", rc.DIRECTORY_SEARCH, search, result=rc.DirectoryResults
        )

    # The social map's organisations and offers: each command carries the actor, the
    # registry decides whether they may.

    async def add_organisation(self, command: rc.OrganisationAdd) -> rc.OrganisationInfo:
        return await self._rpc.call(
            "registry", rc.ORGANISATION_ADD, command, result=rc.OrganisationInfo
        )

    async def organisation(self, organisation_id: str) -> rc.OrganisationInfo:
        return await self._rpc.call(
            "registry",
            rc.ORGANISATION_GET,
            rc.OrganisationRef(organisation_id=organisation_id),
            result=rc.OrganisationInfo,
        )

    async def update_organisation(self, command: rc.OrganisationUpdate) -> rc.OrganisationInfo:
        return await self._rpc.call(
            "registry", rc.ORGANISATION_UPDATE, command, result=rc.OrganisationInfo
        )

    async def retire_organisation(self, organisation_id: str, actor_id: str) -> rc.OrganisationInfo:
        return await self._rpc.call(
            "registry",
            rc.ORGANISATION_RETIRE,
            rc.OrganisationRef(organisation_id=organisation_id, actor_id=actor_id),
            result=rc.OrganisationInfo,
        )

    async def organisations(self, query: rc.OrganisationQuery) -> list[rc.OrganisationInfo]:
        reply = await self._rpc.call(
            "registry", rc.ORGANISATION_LIST, query, result=rc.OrganisationList
        )
        return reply.organisations

    async def add_offer(self, command: rc.OfferAdd) -> rc.OfferInfo:
        return await self._rpc.call("registry", rc.OFFER_ADD, command, result=rc.OfferInfo)

    async def offer(self, offer_id: str) -> rc.OfferInfo:
        return await self._rpc.call(
            "registry", rc.OFFER_GET, rc.OfferRef(offer_id=offer_id), result=rc.OfferInfo
        )

    async def update_offer(self, command: rc.OfferUpdate) -> rc.OfferInfo:
        return await self._rpc.call("registry", rc.OFFER_UPDATE, command, result=rc.OfferInfo)

    async def retire_offer(self, offer_id: str, actor_id: str) -> rc.OfferInfo:
        return await self._rpc.call(
            "registry",
            rc.OFFER_RETIRE,
            rc.OfferRef(offer_id=offer_id, actor_id=actor_id),
            result=rc.OfferInfo,
        )

    async def offers(self, query: rc.OfferQuery) -> list[rc.OfferInfo]:
        reply = await self._rpc.call("registry", rc.OFFER_LIST, query, result=rc.OfferList)
        return reply.offers

    async def import_directory(self, command: rc.DirectoryImport) -> rc.DirectoryImportReport:
        return await self._rpc.call(
            "registry", rc.DIRECTORY_IMPORT, command, result=rc.DirectoryImportReport
        )


class Notify:
    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc

    async def inbox(
        self, member_id: str, *, unread_only: bool = False, language: nc.Language | None = None
    ) -> nc.InboxPage:
        return await self._rpc.call(
            "notify",
            nc.INBOX_LIST,
            nc.InboxQuery(member_id=member_id, unread_only=unread_only, language=language),
            result=nc.InboxPage,
        )

    async def mark_read(self, member_id: str, item_ids: list[str] | None) -> nc.MarkedRead:
        return await self._rpc.call(
            "notify",
            nc.INBOX_MARK_READ,
            nc.MarkRead(member_id=member_id, item_ids=item_ids),
            result=nc.MarkedRead,
        )

    async def cooperative_channels(self, cooperative_id: str) -> nc.CooperativeChannels:
        return await self._rpc.call(
            "notify",
            nc.COOPERATIVE_CHANNELS_GET,
            nc.CooperativeQuery(cooperative_id=cooperative_id),
            result=nc.CooperativeChannels,
        )

    async def set_cooperative_channels(
        self, channels: nc.CooperativeChannels
    ) -> nc.CooperativeChannels:
        return await self._rpc.call(
            "notify", nc.COOPERATIVE_CHANNELS_SET, channels, result=nc.CooperativeChannels
        )

    async def preferences(self, member_id: str) -> nc.Preferences:
        return await self._rpc.call(
            "notify", nc.PREFERENCES_GET, nc.MemberQuery(member_id=member_id), result=nc.Preferences
        )

    async def set_preferences(self, update: nc.PreferencesUpdate) -> nc.Preferences:
        return await self._rpc.call("notify", nc.PREFERENCES_SET, update, result=nc.Preferences)

    async def verify_link(self, token: str) -> nc.ProposalLink:
        return await self._rpc.call(
            "notify", nc.TOKEN_VERIFY, nc.TokenRequest(token=token), result=nc.ProposalLink
        )

    async def redeem_link(self, token: str) -> nc.ProposalLink:
        return await self._rpc.call(
            "notify", nc.TOKEN_REDEEM, nc.TokenRequest(token=token), result=nc.ProposalLink
        )

    async def export(self, member_id: str) -> nc.MemberExport:
        return await self._rpc.call(
            "notify", nc.MEMBER_EXPORT, nc.MemberQuery(member_id=member_id), result=nc.MemberExport
        )

    async def confirm_erasure(self, member_id: str) -> None:
        await self._rpc.call(
            "notify", nc.ERASURE_CONFIRM, nc.ErasureConfirmation(member_id=member_id)
        )

    async def erase(self, member_id: str) -> None:
        await self._rpc.call("notify", nc.MEMBER_ERASE, nc.MemberQuery(member_id=member_id))

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
            "notify",
            nc.ACCOUNT_NOTICE,
            nc.AccountNotice(
                member_id=member_id, kind=kind, link=link, expires_at=expires_at, email=email
            ),
        )

    async def test_message(self, member_id: str) -> nc.ChannelCheckQueued:
        return await self._rpc.call(
            "notify",
            nc.TEST_MESSAGE,
            nc.ChannelCheck(member_id=member_id),
            result=nc.ChannelCheckQueued,
        )

    async def tasks(self, coordinator_id: str, *, open_only: bool = True) -> nc.TaskList:
        return await self._rpc.call(
            "notify",
            nc.TASKS_LIST,
            nc.TaskQuery(coordinator_id=coordinator_id, open_only=open_only),
            result=nc.TaskList,
        )

    async def task(self, task_id: str, coordinator_id: str) -> nc.PassOnTask:
        return await self._rpc.call(
            "notify",
            nc.TASK_GET,
            nc.TaskRef(task_id=task_id, coordinator_id=coordinator_id),
            result=nc.PassOnTask,
        )

    async def task_done(self, task_id: str, coordinator_id: str) -> nc.PassOnTask:
        return await self._rpc.call(
            "notify",
            nc.TASK_DONE,
            nc.TaskRef(task_id=task_id, coordinator_id=coordinator_id),
            result=nc.PassOnTask,
        )


class Matching:
    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc

    async def create(self, command: mc.RequestCreate) -> mc.RequestView:
        return await self._rpc.call("matching", mc.REQUEST_CREATE, command, result=mc.RequestView)

    async def get(
        self, request_id: str, *, actor_id: str, area_codes: list[str] | None = None
    ) -> mc.RequestView:
        return await self._rpc.call(
            "matching",
            mc.REQUEST_GET,
            mc.RequestQuery(request_id=request_id, actor_id=actor_id, area_codes=area_codes or []),
            result=mc.RequestView,
        )

    async def mine(
        self, member_id: str, *, role: str = "requester", states: list[str] | None = None
    ) -> list[mc.RequestSummary]:
        reply = await self._rpc.call(
            "matching",
            mc.REQUEST_LIST_MINE,
            {"member_id": member_id, "role": role, "states": states},
            result=mc.RequestList,
        )
        return reply.requests

    async def cancel(self, request_id: str, *, actor_id: str) -> mc.RequestView:
        return await self._rpc.call(
            "matching",
            mc.REQUEST_CANCEL,
            mc.RequestCancel(request_id=request_id, actor_id=actor_id),
            result=mc.RequestView,
        )

    async def complete(self, command: mc.RequestComplete) -> mc.RequestView:
        return await self._rpc.call("matching", mc.REQUEST_COMPLETE, command, result=mc.RequestView)

    async def feedback(self, command: mc.RequestFeedback) -> mc.RequestView:
        return await self._rpc.call("matching", mc.REQUEST_FEEDBACK, command, result=mc.RequestView)

    async def notice_board(self, area_code: str) -> mc.NoticeBoard:
        return await self._rpc.call(
            "matching",
            mc.NOTICE_BOARD,
            mc.NoticeBoardQuery(area_code=area_code),
            result=mc.NoticeBoard,
        )

    async def proposals(
        self, volunteer_id: str, *, states: list[str] | None = None
    ) -> list[mc.ProposalView]:
        reply = await self._rpc.call(
            "matching",
            mc.PROPOSAL_LIST_FOR_VOLUNTEER,
            {"volunteer_id": volunteer_id, "states": states},
            result=mc.ProposalList,
        )
        return reply.proposals

    async def answer(self, proposal_id: str, *, volunteer_id: str, accept: bool) -> mc.ProposalView:
        return await self._rpc.call(
            "matching",
            mc.PROPOSAL_ACCEPT if accept else mc.PROPOSAL_DECLINE,
            mc.ProposalAnswer(proposal_id=proposal_id, volunteer_id=volunteer_id),
            result=mc.ProposalView,
        )

    async def board(
        self, *, coordinator_id: str, area_codes: list[str], states: list[str] | None = None
    ) -> mc.Board:
        return await self._rpc.call(
            "matching",
            mc.COORDINATOR_BOARD,
            mc.BoardQuery(
                coordinator_id=coordinator_id,
                area_codes=area_codes,
                states=states,
            ),
            result=mc.Board,
        )

    async def candidates(
        self, *, coordinator_id: str, area_codes: list[str], request_id: str
    ) -> mc.CandidateList:
        return await self._rpc.call(
            "matching",
            mc.COORDINATOR_CANDIDATES,
            mc.CandidatesQuery(
                coordinator_id=coordinator_id, area_codes=area_codes, request_id=request_id
            ),
            result=mc.CandidateList,
        )

    async def reassign(self, command: mc.CoordinatorMatch) -> mc.RequestView:
        return await self._rpc.call(
            "matching", mc.COORDINATOR_REASSIGN, command, result=mc.RequestView
        )

    async def cancel_for_requester(self, command: mc.CoordinatorCancel) -> mc.RequestView:
        return await self._rpc.call(
            "matching", mc.COORDINATOR_CANCEL, command, result=mc.RequestView
        )

    async def close(self, command: mc.CoordinatorClose) -> mc.RequestView:
        return await self._rpc.call(
            "matching", mc.COORDINATOR_CLOSE, command, result=mc.RequestView
        )

    async def match(
        self, *, coordinator_id: str, area_codes: list[str], request_id: str, volunteer_id: str
    ) -> mc.RequestView:
        return await self._rpc.call(
            "matching",
            mc.COORDINATOR_MATCH,
            mc.CoordinatorMatch(
                coordinator_id=coordinator_id,
                area_codes=area_codes,
                request_id=request_id,
                volunteer_id=volunteer_id,
            ),
            result=mc.RequestView,
        )

    async def figures(self, query: mc.FiguresQuery) -> mc.Figures:
        return await self._rpc.call("matching", mc.REPORT_FIGURES, query, result=mc.Figures)

    async def export(self, member_id: str) -> mc.MemberData:
        return await self._rpc.call(
            "matching", mc.MEMBER_EXPORT, mc.MemberQuery(member_id=member_id), result=mc.MemberData
        )

    async def erase(self, member_id: str) -> mc.MemberErasure:
        return await self._rpc.call(
            "matching",
            mc.MEMBER_ERASE,
            mc.MemberQuery(member_id=member_id),
            result=mc.MemberErasure,
        )
