"""Volunteer profiles: what someone offers, when, how far; announced to matching by event."""

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date

from services.registry.domain.authz import require_manage
from services.registry.domain.cooperatives import most_local_first
from services.registry.domain.members import ROLES, Member, held_consents
from services.registry.domain.volunteers import Profile, draft_profile
from services.registry.service_layer.actors import load_actor
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.areas import AreaRef
from shared.categories import NEEDS_CERTIFICATE_OF_CONDUCT, Category
from shared.certificates import (
    certificate_counts,
    certificate_expires,
    issued_on_or_before_expires,
    issued_on_or_before_warns,
)
from shared.clock import to_local
from shared.contracts.registry import VolunteerProfile
from shared.errors import NotFound
from shared.events import (
    AvailabilitySlot,
    MemberUpdated,
    VolunteerCertificateExpiring,
    VolunteerProfileUpdated,
)


async def _matching_consent(uow: RegistryUnitOfWork, member_id: str) -> bool:
    return held_consents(await uow.members.consents(member_id)).get("matching", False)


def _view(member: Member, profile: Profile, consent: bool) -> VolunteerProfile:
    draft = profile.draft
    return VolunteerProfile(
        member_id=member.member_id,
        categories=list(draft.categories),
        availability=list(draft.availability),
        flexible=draft.flexible,
        radius_km=draft.radius_km,
        languages=list(draft.languages),
        max_open=draft.max_open,
        active=draft.active,
        certificate_of_conduct_date=draft.certificate_of_conduct_date,
        matching_consent=consent,
        neighbourhood=member.neighbourhood,
        updated_at=profile.updated_at,
        paused_until=draft.paused_until,
    )


async def profile_view(uow: RegistryUnitOfWork, member: Member) -> VolunteerProfile | None:
    profile = await uow.volunteers.get(member.member_id)
    if profile is None:
        return None
    return _view(member, profile, await _matching_consent(uow, member.member_id))


def profile_event(view: VolunteerProfile, today: date) -> VolunteerProfileUpdated:
    """The profile as matching needs it; a certificate counts only until it runs out."""
    return VolunteerProfileUpdated(
        member_id=view.member_id,
        categories=view.categories,
        availability=view.availability,
        flexible=view.flexible,
        radius_km=view.radius_km,
        languages=view.languages,
        max_open=view.max_open,
        active=view.active,
        matching_consent=view.matching_consent,
        certificate_of_conduct=certificate_counts(view.certificate_of_conduct_date, today),
    )


async def announce_profile(
    uow: RegistryUnitOfWork, member: Member, *, deactivate: bool = False
) -> None:
    """Emit the whole profile again (after a move, a consent change, or losing the role)."""
    profile = await uow.volunteers.get(member.member_id)
    if profile is None:
        return
    view = _view(member, profile, await _matching_consent(uow, member.member_id))
    if deactivate and view.active:
        view = view.model_copy(update={"active": False})
        stopped = replace(profile.draft, active=False, paused_until=None)
        await uow.volunteers.save(member.member_id, stopped, uow.clock.now())
    uow.emit(profile_event(view, _today(uow)), AreaRef.from_code(member.neighbourhood))


def _today(uow: RegistryUnitOfWork) -> date:
    return to_local(uow.clock.now()).date()


async def get_profile(
    *, member_id: str, uow: RegistryUnitOfWork, actor_id: str | None = None
) -> VolunteerProfile:
    async with uow:
        actor = await load_actor(uow, actor_id)
        member = await uow.members.get(member_id)
        if member is None or member.erased:
            raise NotFound(f"no member {member_id}")
        require_manage(actor, member_id=member_id, area_code=member.neighbourhood)
        view = await profile_view(uow, member)
    if view is None:
        raise NotFound(f"member {member_id} has no volunteer profile")
    return view


async def set_profile(
    *,
    member_id: str,
    uow: RegistryUnitOfWork,
    categories: Sequence[Category | str],
    availability: Sequence[AvailabilitySlot] = (),
    flexible: bool = False,
    radius_km: float = 2.0,
    languages: Sequence[str] = ("nl",),
    max_open: int = 3,
    active: bool = True,
    certificate_of_conduct_date: date | None = None,
    actor_id: str | None = None,
    paused_until: date | None = None,
) -> VolunteerProfile:
    """Create or replace a profile; the member gets the volunteer role if they lacked it.
    A paused profile (active false) with `paused_until` resumes by itself that local day
    (`resume_due_profiles`)."""
    async with uow:
        actor = await load_actor(uow, actor_id)
        member = await uow.members.get(member_id)
        if member is None or member.erased:
            raise NotFound(f"no member {member_id}")
        require_manage(actor, member_id=member_id, area_code=member.neighbourhood)
        now = uow.clock.now()
        draft = draft_profile(
            categories=categories,
            availability=availability,
            flexible=flexible,
            radius_km=radius_km,
            languages=languages,
            max_open=max_open,
            active=active,
            certificate_of_conduct_date=certificate_of_conduct_date,
            today=to_local(now).date(),
            paused_until=paused_until,
        )
        area = AreaRef.from_code(member.neighbourhood)
        if "volunteer" not in member.roles:
            roles = [r for r in ROLES if r in {*member.roles, "volunteer"}]
            await uow.members.save(replace(member, roles=roles, updated_at=now))
            uow.emit(
                MemberUpdated(
                    member_id=member_id,
                    roles=roles,
                    language=member.language,
                    changed=["roles"],
                    consents=held_consents(await uow.members.consents(member_id)),
                ),
                area,
            )
        await uow.volunteers.save(member_id, draft, now)
        view = await profile_view(uow, member)
        assert view is not None
        uow.emit(profile_event(view, to_local(now).date()), area)
        await uow.commit()
    return view


async def resume_due_profiles(
    uow_factory: Callable[[], RegistryUnitOfWork], *, batch: int = 100
) -> int:
    """Resume every paused profile whose return day has come (the cooperative's local day,
    by the service's clock), each announced to matching as it is now; returns how many.
    The day is in the database, so a restart loses none; a profile changed meanwhile (resumed
    by hand, paused anew) is judged as it is then."""
    resumed = 0
    while True:
        async with uow_factory() as uow:
            now = uow.clock.now()
            today = to_local(now).date()
            due = await uow.volunteers.to_resume(today, batch)
            for member_id in due:
                if not await uow.volunteers.resume(member_id, today, now):
                    continue
                member = await uow.members.get(member_id)
                if member is None or member.erased:
                    continue
                view = await profile_view(uow, member)
                if view is None:
                    continue
                uow.emit(profile_event(view, today), AreaRef.from_code(member.neighbourhood))
                resumed += 1
            await uow.commit()
        if len(due) < batch:
            return resumed


async def remind_certificates(
    uow_factory: Callable[[], RegistryUnitOfWork], *, batch: int = 100
) -> int:
    """Tell of each certificate of conduct that enters its warning time or runs out today
    (the cooperative's local day, by the service's clock), once per stage; returns how many
    notices went out. A certificate that ran out no longer counts for matching, which hears of
    it by the profile's event. Only volunteers offering work that needs one are reminded."""
    notices = 0
    while True:
        async with uow_factory() as uow:
            today = _today(uow)
            due = await uow.volunteers.certificates_to_remind(
                warn_issued_by=issued_on_or_before_warns(today),
                expired_issued_by=issued_on_or_before_expires(today),
                limit=batch,
            )
            for profile in due:
                issued = profile.draft.certificate_of_conduct_date
                assert issued is not None  # only profiles with a certificate are due
                expires = certificate_expires(issued)
                expired = expires <= today
                notice = "expired" if expired else "expiring"
                if not await uow.volunteers.mark_certificate_notice(
                    profile.member_id, issued, notice
                ):
                    continue
                member = await uow.members.get(profile.member_id)
                if member is None or member.erased:
                    continue
                area = AreaRef.from_code(member.neighbourhood)
                if expired:
                    view = await profile_view(uow, member)
                    if view is not None:
                        uow.emit(profile_event(view, today), area)
                if not set(profile.draft.categories) & NEEDS_CERTIFICATE_OF_CONDUCT:
                    continue
                uow.emit(
                    VolunteerCertificateExpiring(
                        member_id=profile.member_id,
                        expires_on=expires,
                        expired=expired,
                        cooperative_id=await _telling_cooperative(uow, member.neighbourhood or ""),
                    ),
                    area,
                )
                notices += 1
            await uow.commit()
        if len(due) < batch:
            return notices


async def _telling_cooperative(uow: RegistryUnitOfWork, neighbourhood: str) -> str | None:
    """The most local cooperative of the neighbourhood that has coordinators to tell."""
    covering = most_local_first(c for c in await uow.repo.cooperatives() if c.covers(neighbourhood))
    for coop in covering:
        if coop.coordinator_ids:
            return coop.cooperative_id
    return covering[0].cooperative_id if covering else None
