"""The registry's unit of work held in memory: its use cases run against it as against the
database, without one (nor NATS).

`FakeDatabase` is what the units of work share, like the database: each `FakeRegistryUnitOfWork`
works on its own copy of it from the moment it starts, and a commit writes that copy back (with
the events emitted) unless an e-mail address it stores is another member's by then, which raises
`AlreadyStored` as the database's unique key does. Leaving without a commit forgets it all.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from services.registry.domain.areas import Area, PostcodeEntry
from services.registry.domain.cooperatives import Cooperative
from services.registry.domain.directory import Offer, OfferSearch, Organisation
from services.registry.domain.imports import ImportedMember, MemberImport
from services.registry.domain.members import ConsentChange, Member, MemberSearch
from services.registry.domain.volunteers import Profile, ProfileDraft
from shared.areas import AreaRef
from shared.clock import Clock
from shared.errors import AlreadyStored
from tests.in_memory import InMemoryDatabase, InMemoryUnitOfWork


@dataclass
class Tables:
    """Everything the registry stores: what a unit of work copies, changes and writes back."""

    members: dict[str, Member] = field(default_factory=dict)
    consents: dict[str, list[ConsentChange]] = field(default_factory=dict)
    import_keys: dict[str, str] = field(default_factory=dict)  # key -> member id
    invitations: dict[str, datetime | None] = field(default_factory=dict)  # id -> done at
    profiles: dict[str, Profile] = field(default_factory=dict)
    areas: dict[str, Area] = field(default_factory=dict)
    postcodes: dict[str, PostcodeEntry] = field(default_factory=dict)
    cooperatives: dict[str, Cooperative] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    managers: dict[str, list[str]] = field(default_factory=dict)  # organisation -> members
    offers: dict[str, Offer] = field(default_factory=dict)
    imports: dict[str, MemberImport] = field(default_factory=dict)
    import_parts: dict[str, list[str]] = field(default_factory=dict)


class FakeDatabase(InMemoryDatabase[Tables]):
    def __init__(self, clock: Clock, tables: Tables | None = None) -> None:
        super().__init__(clock, tables or Tables())

    def uow(self) -> FakeRegistryUnitOfWork:
        return FakeRegistryUnitOfWork(self)


class FakeRegistryUnitOfWork(InMemoryUnitOfWork[Tables]):
    """Implements the service layer's `RegistryUnitOfWork` Protocol."""

    source = "registry"
    members: FakeMembers
    volunteers: FakeProfiles
    repo: FakeAreasAndCooperatives
    directory: FakeDirectory
    imports: FakeImports

    def _begin(self) -> None:
        self.members = FakeMembers(self._tables)
        self.volunteers = FakeProfiles(self._tables)
        self.repo = FakeAreasAndCooperatives(self._tables)
        self.directory = FakeDirectory(self._tables)
        self.imports = FakeImports(self._tables)

    def _check(self) -> None:
        """An e-mail address is unique, as the members table's key keeps it."""
        owners = {m.email: m.member_id for m in self._db.tables.members.values() if m.email}
        seen: dict[str, str] = {}
        for member in self._tables.members.values():
            if not member.email:
                continue
            if owners.get(member.email, member.member_id) != member.member_id or (
                seen.setdefault(member.email, member.member_id) != member.member_id
            ):
                raise AlreadyStored("a row with the same unique key is stored already")


def _inside(code: str | None, area_code: str) -> bool:
    return code is not None and AreaRef.from_code(area_code).contains(code)


class FakeMembers:
    """Implements `MemberRepository` over a unit of work's copy."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def get(self, member_id: str) -> Member | None:
        return copy.deepcopy(self._t.members.get(member_id))

    async def by_ids(self, member_ids: Sequence[str]) -> list[Member]:
        return [copy.deepcopy(self._t.members[i]) for i in member_ids if i in self._t.members]

    async def by_email(self, email: str) -> Member | None:
        found = [m for m in self._t.members.values() if m.email == email]
        return copy.deepcopy(found[0]) if found else None

    async def emails_taken(self, emails: Sequence[str]) -> set[str]:
        return {m.email for m in self._t.members.values() if m.email in set(emails)}

    async def add(self, member: Member) -> None:
        if member.member_id in self._t.members:
            raise AlreadyStored(f"member {member.member_id} is stored already")
        self._t.members[member.member_id] = copy.deepcopy(member)

    async def save(self, member: Member) -> None:
        self._t.members[member.member_id] = copy.deepcopy(member)

    async def search(self, query: MemberSearch) -> tuple[int, list[Member]]:
        areas, category, q = query.area_codes, query.category, query.q
        found = [
            m
            for m in self._t.members.values()
            if not m.erased
            and (areas is None or any(_inside(m.neighbourhood, c) for c in areas))
            and (not query.role or query.role in m.roles)
            and (
                not category
                or (
                    m.member_id in self._t.profiles
                    and category in self._t.profiles[m.member_id].draft.categories
                )
            )
            and (not q or q.lower() in (m.name or "").lower())
        ]
        found.sort(key=lambda m: (m.name or "", m.member_id))
        return len(found), copy.deepcopy(found[query.offset : query.offset + query.limit])

    async def registered_by(self, member_id: str) -> list[str]:
        return sorted(m.member_id for m in self._t.members.values() if m.registered_by == member_id)

    async def consents(self, member_id: str) -> list[ConsentChange]:
        return list(self._t.consents.get(member_id, []))

    async def consents_of(self, member_ids: Sequence[str]) -> dict[str, list[ConsentChange]]:
        return {i: list(self._t.consents[i]) for i in member_ids if self._t.consents.get(i)}

    async def add_consents(self, member_id: str, changes: Sequence[ConsentChange]) -> None:
        self._t.consents.setdefault(member_id, []).extend(changes)

    async def delete_consents(self, member_id: str) -> None:
        self._t.consents.pop(member_id, None)

    async def import_keys_known(self, keys: Sequence[str]) -> set[str]:
        return set(keys) & set(self._t.import_keys)

    async def delete_import_keys(self, member_id: str) -> None:
        for key in [k for k, m in self._t.import_keys.items() if m == member_id]:
            del self._t.import_keys[key]

    async def add_imported(self, imported: Sequence[ImportedMember], now: datetime) -> None:
        for i in imported:
            await self.add(i.member)
            self._t.consents.setdefault(i.member.member_id, []).extend(i.consents)
            self._t.import_keys[i.key] = i.member.member_id
            if i.invite:
                self._t.invitations[i.member.member_id] = None

    async def refresh_statistics(self) -> None:
        return None

    async def invitations_due(self, limit: int) -> list[Member]:
        due = [
            self._t.members[i]
            for i, done in self._t.invitations.items()
            if done is None and not self._t.members[i].erased and self._t.members[i].email
        ]
        return copy.deepcopy(due[:limit])

    async def invitation_done(self, member_id: str, now: datetime) -> None:
        if member_id in self._t.invitations and self._t.invitations[member_id] is None:
            self._t.invitations[member_id] = now


class FakeProfiles:
    """Implements `ProfileRepository` over a unit of work's copy."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def get(self, member_id: str) -> Profile | None:
        return self._t.profiles.get(member_id)

    async def save(self, member_id: str, draft: ProfileDraft, now: datetime) -> None:
        if draft.active and draft.paused_until is not None:
            draft = replace(draft, paused_until=None)
        existing = self._t.profiles.get(member_id)
        notice = existing.certificate_notice if existing else None
        if existing and existing.draft.certificate_of_conduct_date != (
            draft.certificate_of_conduct_date
        ):
            notice = None
        self._t.profiles[member_id] = Profile(member_id, draft, now, notice)

    async def add_imported(self, profiles: Sequence[Profile]) -> None:
        self._t.profiles.update({p.member_id: p for p in profiles})

    async def to_resume(self, today: date, limit: int) -> list[str]:
        due = [
            p
            for p in self._t.profiles.values()
            if p.draft.paused_until is not None and p.draft.paused_until <= today
        ]
        due.sort(key=lambda p: (p.draft.paused_until, p.member_id))
        return [p.member_id for p in due[:limit]]

    async def resume(self, member_id: str, today: date, now: datetime) -> bool:
        profile = self._t.profiles.get(member_id)
        until = profile.draft.paused_until if profile else None
        if profile is None or until is None or until > today:
            return False
        resumed = replace(profile.draft, active=True, paused_until=None)
        self._t.profiles[member_id] = Profile(member_id, resumed, now, profile.certificate_notice)
        return True

    async def certificates_to_remind(
        self, *, warn_issued_by: date, expired_issued_by: date, limit: int
    ) -> list[Profile]:
        def due(p: Profile) -> bool:
            issued = p.draft.certificate_of_conduct_date
            if issued is None:
                return False
            warn = issued <= warn_issued_by and p.certificate_notice is None
            return warn or (issued <= expired_issued_by and p.certificate_notice != "expired")

        found = sorted(
            (p for p in self._t.profiles.values() if due(p)),
            key=lambda p: (p.draft.certificate_of_conduct_date, p.member_id),
        )
        return found[:limit]

    async def mark_certificate_notice(self, member_id: str, issued: date, notice: str) -> bool:
        profile = self._t.profiles.get(member_id)
        if profile is None or profile.draft.certificate_of_conduct_date != issued:
            return False
        self._t.profiles[member_id] = Profile(member_id, profile.draft, profile.updated_at, notice)
        return True

    async def delete(self, member_id: str) -> None:
        self._t.profiles.pop(member_id, None)


class FakeAreasAndCooperatives:
    """Implements `AreaAndCooperativeRepository` over a unit of work's copy."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def area(self, code: str) -> Area | None:
        return self._t.areas.get(code)

    async def areas_by_code(self, codes: Iterable[str]) -> dict[str, Area]:
        return {c: self._t.areas[c] for c in set(codes) if c in self._t.areas}

    async def list_areas(
        self,
        *,
        parent_code: str | None = None,
        level: str | None = None,
        municipality_code: str | None = None,
    ) -> list[Area]:
        return [
            a
            for code, a in sorted(self._t.areas.items())
            if (not parent_code or a.parent_code == parent_code)
            and (not level or a.level == level)
            and (not municipality_code or a.municipality_code == municipality_code)
        ]

    async def has_municipality(self, code: str) -> bool:
        return code in self._t.areas

    async def replace_municipality(
        self, areas: Sequence[Area], postcodes: Sequence[PostcodeEntry]
    ) -> None:
        municipality = areas[0].municipality_code
        self._t.areas = {
            c: a for c, a in self._t.areas.items() if a.municipality_code != municipality
        }
        self._t.areas.update({a.code: a for a in areas})
        self._t.postcodes = {
            pc4: p for pc4, p in self._t.postcodes.items() if p.municipality_code != municipality
        }
        self._t.postcodes.update({p.pc4: p for p in postcodes})

    async def postcode(self, pc4: str) -> PostcodeEntry | None:
        return self._t.postcodes.get(pc4)

    async def all_postcodes(self, municipality_code: str | None = None) -> dict[str, PostcodeEntry]:
        return {
            pc4: p
            for pc4, p in self._t.postcodes.items()
            if municipality_code is None or p.municipality_code == municipality_code
        }

    async def cooperative(self, cooperative_id: str) -> Cooperative | None:
        return copy.deepcopy(self._t.cooperatives.get(cooperative_id))

    async def cooperatives(self, *, coordinator_id: str | None = None) -> list[Cooperative]:
        return [
            copy.deepcopy(c)
            for _, c in sorted(self._t.cooperatives.items())
            if coordinator_id is None or coordinator_id in c.coordinator_ids
        ]

    async def save_cooperative(self, coop: Cooperative, now: datetime, *, new: bool) -> None:
        if new and coop.cooperative_id in self._t.cooperatives:
            raise AlreadyStored(f"cooperative {coop.cooperative_id} is stored already")
        self._t.cooperatives[coop.cooperative_id] = copy.deepcopy(coop)

    async def coordinated_areas(self, member_id: str) -> tuple[list[str], list[str]]:
        coops = await self.cooperatives(coordinator_id=member_id)
        return [c.cooperative_id for c in coops], [code for c in coops for code in c.area_codes]

    async def remove_coordinator_everywhere(self, member_id: str) -> list[str]:
        ids = []
        for coop in self._t.cooperatives.values():
            if member_id in coop.coordinator_ids:
                coop.coordinator_ids = [m for m in coop.coordinator_ids if m != member_id]
                ids.append(coop.cooperative_id)
        return ids


class FakeDirectory:
    """Implements `DirectoryRepository` over a unit of work's copy."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def _read(self, offer: Offer) -> Offer:
        org = self._t.organisations[offer.organisation_id]
        return replace(offer, organisation_name=org.name)

    async def organisation(self, organisation_id: str) -> Organisation | None:
        return copy.deepcopy(self._t.organisations.get(organisation_id))

    async def organisation_named(self, name: str, area_code: str) -> Organisation | None:
        for org in self._t.organisations.values():
            same = org.name.lower() == name.lower() and org.area_code == area_code
            if same and org.retired_at is None:
                return copy.deepcopy(org)
        return None

    async def managers(self, organisation_ids: Sequence[str]) -> dict[str, list[str]]:
        return {i: sorted(self._t.managers.get(i, [])) for i in organisation_ids}

    async def organisations(
        self,
        *,
        area_codes: Sequence[str] | None = None,
        manager_id: str | None = None,
        include_retired: bool = True,
    ) -> list[Organisation]:
        def near(code: str) -> bool:  # based inside one of the areas, or in one containing it
            assert area_codes is not None
            return any(_inside(code, c) or _inside(c, code) for c in area_codes)

        found = [
            o
            for o in self._t.organisations.values()
            if (include_retired or o.retired_at is None)
            and (area_codes is None or near(o.area_code))
            and (manager_id is None or manager_id in self._t.managers.get(o.organisation_id, []))
        ]
        return copy.deepcopy(sorted(found, key=lambda o: (o.name, o.organisation_id)))

    async def organisations_by_id(self, ids: Sequence[str]) -> dict[str, Organisation]:
        return {
            i: copy.deepcopy(self._t.organisations[i]) for i in ids if i in self._t.organisations
        }

    async def add_organisation(self, org: Organisation, manager_ids: Sequence[str]) -> None:
        self._t.organisations[org.organisation_id] = copy.deepcopy(org)
        await self.set_managers(org.organisation_id, manager_ids)

    async def update_organisation(self, organisation_id: str, changes: Mapping[str, Any]) -> None:
        org = self._t.organisations[organisation_id]
        self._t.organisations[organisation_id] = replace(org, **changes)

    async def set_managers(self, organisation_id: str, manager_ids: Sequence[str]) -> None:
        self._t.managers[organisation_id] = list(manager_ids)

    async def remove_manager_everywhere(self, member_id: str) -> None:
        for org_id, managers in self._t.managers.items():
            self._t.managers[org_id] = [m for m in managers if m != member_id]

    async def offer(self, offer_id: str) -> Offer | None:
        offer = self._t.offers.get(offer_id)
        return self._read(offer) if offer else None

    async def add_offer(self, offer: Offer) -> None:
        self._t.offers[offer.offer_id] = copy.deepcopy(offer)

    async def update_offer(
        self, offer_id: str, changes: Mapping[str, Any], area_codes: Sequence[str] | None
    ) -> None:
        self._t.offers[offer_id] = replace(self._t.offers[offer_id], **changes)

    async def retire_offers_of(self, organisation_id: str, at: datetime) -> list[str]:
        ids = [
            i
            for i, o in self._t.offers.items()
            if o.organisation_id == organisation_id and o.active
        ]
        for i in ids:
            self._t.offers[i] = replace(
                self._t.offers[i], active=False, retired_at=at, updated_at=at
            )
        return ids

    async def search_offers(self, query: OfferSearch) -> tuple[int, list[Offer]]:
        def matches(o: Offer) -> bool:
            live = o.active and self._t.organisations[o.organisation_id].retired_at is None
            area, language = query.area_code, query.language
            return (
                (query.include_retired or live)
                and (not query.organisation_id or o.organisation_id == query.organisation_id)
                and (not query.category or query.category in o.categories)
                and all(w in o.search_text for w in query.words)
                and (not language or language in [lang.lower() for lang in o.languages])
                and (not area or any(_inside(c, area) or _inside(area, c) for c in o.area_codes))
            )

        found = sorted(
            (self._read(o) for o in self._t.offers.values() if matches(o)),
            key=lambda o: (o.name, o.offer_id),
        )
        end = None if query.limit is None else query.offset + query.limit
        return len(found), found[query.offset : end]


class FakeImports:
    """Implements `MemberImportRepository` over a unit of work's copy."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, job: MemberImport) -> None:
        self._t.imports[job.import_id] = copy.deepcopy(job)

    async def get(self, import_id: str, *, for_update: bool = False) -> MemberImport | None:
        return copy.deepcopy(self._t.imports.get(import_id))

    async def change(self, import_id: str, changes: Mapping[str, Any]) -> None:
        self._t.imports[import_id] = replace(self._t.imports[import_id], **changes)

    async def change_while_running(self, import_id: str, changes: Mapping[str, Any]) -> None:
        if self._t.imports[import_id].state in ("checking", "importing"):
            await self.change(import_id, changes)

    async def add_part(self, import_id: str, seq: int, text: str) -> None:
        self._t.import_parts.setdefault(import_id, []).append(text)

    async def part_count_and_size(self, import_id: str) -> tuple[int, int]:
        parts = self._t.import_parts.get(import_id, [])
        return len(parts), sum(len(p) for p in parts)

    async def text(self, import_id: str) -> str:
        return "".join(self._t.import_parts.get(import_id, []))

    async def delete_parts(self, import_id: str) -> None:
        self._t.import_parts.pop(import_id, None)

    async def claim_next(self, now: datetime, *, stale_before: datetime) -> str | None:
        for job in sorted(self._t.imports.values(), key=lambda j: j.created_at):
            stale = job.state in ("checking", "importing") and job.updated_at < stale_before
            if job.state == "waiting" or stale:
                job.state, job.updated_at = "checking", now
                return job.import_id
        return None
