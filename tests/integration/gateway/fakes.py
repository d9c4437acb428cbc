"""Stand-ins for registry, matching and notify on a real nats-server, for the gateway's tests.

They answer the real RPC verbs with the contract models but check nothing themselves (in
particular, fake matching does not limit coordinators to their areas), so a test proves that
the gateway's own checks hold. The full flow with the real services is in tests/e2e.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from faststream.nats import NatsBroker

from shared.contracts import matching as mc
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.contracts.verbs import AnyVerb
from shared.errors import Conflict, Invalid, NotFound, SamenError, Unavailable
from shared.events import MatchingPolicy
from shared.ids import new_id
from shared.rpc import Handler, register_rpc
from tests.registry_areas import list_areas, utrecht_areas

OVERVECHT = "BU03440312"
OOST = "BU03440510"
POSTCODES = {"3561": OVERVECHT, "3583": OOST}


def area(code: str, level: str, name: str) -> rc.AreaInfo:
    return rc.AreaInfo(code=code, level=level, name=name, municipality_code="GM0344")


@dataclass
class FakeWorld:
    members: dict[str, rc.MemberInfo] = field(default_factory=dict)
    cooperatives: dict[str, rc.CooperativeInfo] = field(default_factory=dict)
    requests: dict[str, mc.RequestView] = field(default_factory=dict)
    matched: list[tuple[str, str]] = field(default_factory=list)
    request_reads: list[str] = field(default_factory=list)  # request ids, one per request.get
    matching_delay: float = 0.0  # seconds request.create takes
    notices: list[nc.AccountNotice] = field(default_factory=list)  # account.notice calls
    shares_email: set[str] = field(default_factory=set)  # members who gave share_email
    created: list[mc.RequestCreate] = field(default_factory=list)  # request.create calls
    # member id -> inbox items by language (None: the member's own), as notify keeps them
    inbox: dict[str, dict[str | None, list[nc.InboxItem]]] = field(default_factory=dict)
    link_refusals: dict[str, SamenError] = field(default_factory=dict)  # token -> token.verify
    feedback: list[mc.RequestFeedback] = field(default_factory=list)  # request.feedback calls
    proposals: dict[str, mc.ProposalView] = field(default_factory=dict)
    links: dict[str, nc.ProposalLink] = field(default_factory=dict)  # token -> what it is for
    erased: list[str] = field(default_factory=list)  # member ids, one per member.erase
    preferences: dict[str, nc.Preferences] = field(default_factory=dict)
    registrations: list[rc.MemberRegister] = field(default_factory=list)  # member.register calls
    invitations: list[rc.InvitationDue] = field(default_factory=list)  # imported, to invite
    test_messages: list[str] = field(default_factory=list)  # member ids, one per test message
    areas: tuple[rc.AreaInfo, ...] = field(default_factory=utrecht_areas)  # Utrecht's, real
    area_lists: list[rc.AreaQuery] = field(default_factory=list)  # areas.list calls
    areas_away: bool = False  # areas.list is not answered

    def __post_init__(self) -> None:
        for coop_id, code in (("overvecht", "WK034403"), ("oost", "WK034405")):
            self.cooperatives[coop_id] = rc.CooperativeInfo(
                cooperative_id=coop_id,
                name=coop_id.title(),
                level="district",
                area_codes=[code],
                coordinator_ids=[],
                policy=MatchingPolicy(),
            )

    def make_coordinator(self, member_id: str, cooperative_id: str) -> None:
        member = self.members[member_id]
        self.members[member_id] = member.model_copy(
            update={"roles": [*member.roles, "coordinator"], "coordinates": [cooperative_id]}
        )
        self.cooperatives[cooperative_id].coordinator_ids.append(member_id)

    def add_request(self, requester_id: str, neighbourhood: str, state: str = "escalated") -> str:
        now = datetime.now(UTC)
        request_id = new_id()
        self.requests[request_id] = mc.RequestView(
            request_id=request_id,
            requester_id=requester_id,
            category="groceries",
            description="Boodschappen",
            state=state,
            needed_from=None,
            needed_until=None,
            flexible=True,
            urgent=False,
            languages=["nl"],
            neighbourhood=neighbourhood,
            district="WK" + neighbourhood[2:8],
            municipality="GM0344",
            entered_by=None,
            created_at=now,
            expires_at=None,
            round=0,
            matched_volunteer_id=None,
            matched_at=None,
            matched_by=None,
            escalated_at=now if state == "escalated" else None,
            escalation_reason="no_candidates" if state == "escalated" else None,
            escalated_to=None,
            completed_at=None,
            hours=None,
            score=None,
            comment=None,
            closed_by=None,
            note=None,
            cancelled_at=None,
            cancelled_by=None,
        )
        return request_id

    def add_proposal(self, request_id: str, volunteer_id: str) -> str:
        request = self.requests[request_id]
        now = datetime.now(UTC)
        proposal_id = new_id()
        self.proposals[proposal_id] = mc.ProposalView(
            proposal_id=proposal_id,
            request_id=request_id,
            volunteer_id=volunteer_id,
            state="pending",
            round=1,
            category=request.category,
            urgent=request.urgent,
            needed_from=request.needed_from,
            needed_until=request.needed_until,
            flexible=request.flexible,
            neighbourhood=request.neighbourhood,
            proposed_at=now,
            expires_at=now + timedelta(hours=24),
            description=request.description,
            distance_km=1.2,
        )
        return proposal_id

    def summary(self, view: mc.RequestView) -> mc.RequestSummary:
        return mc.RequestSummary(**view.model_dump(include=set(mc.RequestSummary.model_fields)))

    def register(self, broker: NatsBroker) -> None:
        world = self

        async def lookup(q: rc.PostcodeQuery) -> rc.PostcodeArea:
            code = POSTCODES.get(q.postcode.replace(" ", "")[:4])
            if code is None:  # as the registry answers (services/registry/service_layer/areas.py)
                message = f"postcode {q.postcode} is not in a known municipality"
                error = {"field": "postcode", "message": message, "reason": "unknown_municipality"}
                raise NotFound(
                    message, details={"reason": "unknown_municipality", "errors": [error]}
                )
            return rc.PostcodeArea(
                postcode=q.postcode,
                pc4=q.postcode[:4],
                municipality=area("GM0344", "municipality", "Utrecht"),
                district=area("WK" + code[2:8], "district", "District"),
                neighbourhood=area(code, "neighbourhood", "Buurt"),
                district_confidence=1,
                neighbourhood_confidence=1,
                confidence="high",
            )

        async def areas_list(q: rc.AreaQuery) -> rc.AreaList:
            world.area_lists.append(q)
            if world.areas_away:
                raise Unavailable("the registry did not answer")
            return list_areas(world.areas, q)

        async def member_register(cmd: rc.MemberRegister) -> rc.MemberInfo:
            world.registrations.append(cmd)
            try:
                place = await lookup(rc.PostcodeQuery(postcode=cmd.postcode))
            except NotFound as exc:  # registering, the registry answers each field's problem
                errors = exc.details["errors"]
                assert isinstance(errors, list)
                raise Invalid(f"postcode: {exc.message}", details={"errors": errors}) from None
            # As the registry does: every field is checked before a known address is refused.
            if cmd.email and any(m.email == cmd.email for m in world.members.values()):
                raise Conflict("e-mail already registered")
            now = datetime.now(UTC)
            member = rc.MemberInfo(
                member_id=new_id(),
                name=cmd.name,
                first_name=cmd.name.split()[0],
                email=cmd.email,
                phone=cmd.phone,
                postcode=cmd.postcode,
                house_number=cmd.house_number,
                language=cmd.language,
                roles=cmd.roles,
                municipality="GM0344",
                district=place.district.code,
                neighbourhood=place.neighbourhood.code,
                created_at=now,
                updated_at=now,
            )
            world.members[member.member_id] = member
            return member

        async def member_get(q: rc.MemberQuery) -> rc.MemberInfo:
            if q.member_id not in world.members:
                raise NotFound("no such member")
            return world.members[q.member_id]

        async def member_by_email(q: rc.MemberByEmail) -> rc.MemberInfo:
            for member in world.members.values():
                if member.email == q.email:
                    return member
            raise NotFound("no such member")

        async def member_contact(q: rc.MemberRef) -> rc.MemberContact:
            member = world.members[q.member_id]
            return rc.MemberContact(
                member_id=member.member_id,
                name=member.name,
                first_name=member.first_name,
                email=member.email,
                share_email_with_match=member.member_id in world.shares_email,
            )

        async def volunteer_profile_get(q: rc.MemberQuery) -> rc.VolunteerProfile:
            raise NotFound("no volunteer profile")  # the gateway's tests offer no help

        async def cooperative_list(q: rc.CooperativeQuery) -> rc.CooperativeList:
            coops = [
                c
                for c in world.cooperatives.values()
                if q.coordinator_id is None or q.coordinator_id in c.coordinator_ids
            ]
            return rc.CooperativeList(cooperatives=coops)

        async def request_create(cmd: mc.RequestCreate) -> mc.RequestView:
            await asyncio.sleep(world.matching_delay)  # a busy matching service
            world.created.append(cmd)
            member = world.members[cmd.requester_id]
            request_id = world.add_request(cmd.requester_id, member.neighbourhood or "", "open")
            world.requests[request_id] = world.requests[request_id].model_copy(
                update={
                    "needed_from": cmd.needed_from,
                    "needed_until": cmd.needed_until,
                    "flexible": cmd.flexible,
                }
            )
            return world.requests[request_id]

        async def request_get(q: mc.RequestQuery) -> mc.RequestView:
            world.request_reads.append(q.request_id)
            if q.request_id not in world.requests:
                raise NotFound("no such request")
            return world.requests[q.request_id]  # no area check here, on purpose

        async def list_mine(q: mc.MyRequestsQuery) -> mc.RequestList:
            return mc.RequestList(
                requests=[
                    world.summary(r)
                    for r in world.requests.values()
                    if r.requester_id == q.member_id
                ]
            )

        async def board(q: mc.BoardQuery) -> mc.Board:
            # Everything, whatever the areas: the gateway must filter.
            by_state: dict[str, list[mc.RequestSummary]] = {}
            for view in world.requests.values():
                by_state.setdefault(view.state, []).append(world.summary(view))
            return mc.Board(
                area_codes=q.area_codes,
                requests=by_state,
                counts={k: len(v) for k, v in by_state.items()},
            )

        async def match(cmd: mc.CoordinatorMatch) -> mc.RequestView:
            world.matched.append((cmd.request_id, cmd.volunteer_id))
            view = world.requests[cmd.request_id].model_copy(
                update={"state": "matched", "matched_volunteer_id": cmd.volunteer_id}
            )
            world.requests[cmd.request_id] = view
            return view

        async def candidates(q: mc.CandidatesQuery) -> mc.CandidateList:
            return mc.CandidateList(request_id=q.request_id, candidates=[])

        async def inbox(q: nc.InboxQuery) -> nc.InboxPage:
            kept = world.inbox.get(q.member_id, {})
            items = kept.get(q.language) or kept.get(None) or []
            return nc.InboxPage(items=items, unread=sum(1 for i in items if i.read_at is None))

        async def preferences(q: nc.MemberQuery) -> nc.Preferences:
            return world.preferences.get(q.member_id) or nc.Preferences(member_id=q.member_id)

        async def set_preferences(update: nc.PreferencesUpdate) -> nc.Preferences:
            # As notify merges: only the fields given change; addresses one by one.
            current = await preferences(nc.MemberQuery(member_id=update.member_id))
            values = update.model_dump(exclude_none=True, exclude={"member_id"})
            removed = set(values.pop("apprise_remove", []))
            urls = [u for u in current.apprise_urls if nc.apprise_id(u) not in removed]
            urls += values.pop("apprise_add", [])
            merged = current.model_copy(update={**values, "apprise_urls": urls})
            world.preferences[update.member_id] = merged
            return merged

        async def invitations_due(q: rc.InvitationsQuery) -> rc.InvitationsDue:
            return rc.InvitationsDue(invitations=world.invitations[: q.limit])

        async def invitation_done(ref: rc.MemberRef) -> rc.MemberRef:
            world.invitations = [i for i in world.invitations if i.member_id != ref.member_id]
            return ref

        async def test_message(request: nc.ChannelCheck) -> nc.ChannelCheckQueued:
            world.test_messages.append(request.member_id)
            return nc.ChannelCheckQueued(
                member_id=request.member_id, notification_id=new_id(), channels=["inbox"]
            )

        async def account_notice(notice: nc.AccountNotice) -> nc.AccountNoticeQueued:
            world.notices.append(notice)
            return nc.AccountNoticeQueued(member_id=notice.member_id, notification_id=new_id())

        async def request_feedback(cmd: mc.RequestFeedback) -> mc.RequestView:
            world.feedback.append(cmd)
            view = world.requests[cmd.request_id]
            side = "requester" if cmd.actor_id == view.requester_id else "volunteer"
            given = mc.FeedbackView(side=side, given_at=datetime.now(UTC))
            world.requests[cmd.request_id] = view.model_copy(
                update={"feedback": [*view.feedback, given]}
            )
            return world.requests[cmd.request_id]

        async def request_cancel(cmd: mc.RequestCancel) -> mc.RequestView:
            view = world.requests[cmd.request_id].model_copy(update={"state": "cancelled"})
            world.requests[cmd.request_id] = view
            return view

        async def proposal_list(q: mc.ProposalQuery) -> mc.ProposalList:
            return mc.ProposalList(
                proposals=[p for p in world.proposals.values() if p.volunteer_id == q.volunteer_id]
            )

        async def answer(cmd: mc.ProposalAnswer, accept: bool) -> mc.ProposalView:
            proposal = world.proposals[cmd.proposal_id].model_copy(
                update={"state": "accepted" if accept else "declined"}
            )
            world.proposals[cmd.proposal_id] = proposal
            if accept:
                world.requests[proposal.request_id] = world.requests[
                    proposal.request_id
                ].model_copy(update={"state": "matched", "matched_volunteer_id": cmd.volunteer_id})
            return proposal

        async def accept(cmd: mc.ProposalAnswer) -> mc.ProposalView:
            return await answer(cmd, True)

        async def decline(cmd: mc.ProposalAnswer) -> mc.ProposalView:
            return await answer(cmd, False)

        async def token_verify(q: nc.TokenRequest) -> nc.ProposalLink:
            if q.token in world.link_refusals:
                raise world.link_refusals[q.token]
            if q.token not in world.links:
                raise NotFound("this link is no longer known")
            return world.links[q.token]

        async def token_redeem(q: nc.TokenRequest) -> nc.ProposalLink:
            link = world.links[q.token]
            world.links[q.token] = link.model_copy(update={"used": True, "answer": link.action})
            return world.links[q.token]

        async def member_erase(q: rc.MemberQuery) -> rc.MemberErasure:
            world.erased.append(q.member_id)
            return rc.MemberErasure(member_id=q.member_id, erased_at=datetime.now(UTC))

        async def erasure_confirm(q: nc.ErasureConfirmation) -> nc.ErasureConfirmationQueued:
            return nc.ErasureConfirmationQueued(member_id=q.member_id)

        answers: tuple[tuple[AnyVerb, Handler], ...] = (
            (rc.AREAS_LOOKUP, lookup),
            (rc.AREAS_LIST, areas_list),
            (rc.MEMBER_REGISTER, member_register),
            (rc.MEMBER_GET, member_get),
            (rc.MEMBER_CONTACT, member_contact),
            (rc.MEMBER_FIND_BY_EMAIL, member_by_email),
            (rc.COOPERATIVE_LIST, cooperative_list),
            (rc.VOLUNTEER_PROFILE_GET, volunteer_profile_get),
            (rc.MEMBER_INVITATIONS_DUE, invitations_due),
            (rc.MEMBER_INVITATION_DONE, invitation_done),
            (mc.REQUEST_CREATE, request_create),
            (mc.REQUEST_GET, request_get),
            (mc.REQUEST_LIST_MINE, list_mine),
            (mc.COORDINATOR_BOARD, board),
            (mc.COORDINATOR_MATCH, match),
            (mc.COORDINATOR_CANDIDATES, candidates),
            (mc.REQUEST_FEEDBACK, request_feedback),
            (mc.REQUEST_CANCEL, request_cancel),
            (mc.PROPOSAL_LIST_FOR_VOLUNTEER, proposal_list),
            (mc.PROPOSAL_ACCEPT, accept),
            (mc.PROPOSAL_DECLINE, decline),
            (nc.TOKEN_VERIFY, token_verify),
            (nc.TOKEN_REDEEM, token_redeem),
            (nc.ERASURE_CONFIRM, erasure_confirm),
            (rc.MEMBER_ERASE, member_erase),
            (nc.INBOX_LIST, inbox),
            (nc.PREFERENCES_GET, preferences),
            (nc.PREFERENCES_SET, set_preferences),
            (nc.ACCOUNT_NOTICE, account_notice),
            (nc.TEST_MESSAGE, test_message),
        )
        for verb, handler in answers:
            register_rpc(broker, verb, handler)
