"""What the registry's use cases need of its storage, in the domain's words: members with their
consents, volunteer profiles, areas and cooperatives, the social map, the web imports. The SQL
adapters (services/registry/adapters/) implement these; unit tests hold them in memory."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from services.registry.domain.areas import Area, PostcodeEntry
from services.registry.domain.cooperatives import Cooperative
from services.registry.domain.directory import Offer, OfferSearch, Organisation
from services.registry.domain.imports import ImportedMember, MemberImport
from services.registry.domain.members import ConsentChange, Member, MemberSearch
from services.registry.domain.volunteers import Profile, ProfileDraft


class MemberRepository(Protocol):
    """Members, their consent records (oldest first), import keys and invitations."""

    async def get(self, member_id: str) -> Member | None:
        """The member, erased or not; None when never registered."""
        ...

    async def by_ids(self, member_ids: Sequence[str]) -> list[Member]: ...

    async def by_email(self, email: str) -> Member | None: ...

    async def emails_taken(self, emails: Sequence[str]) -> set[str]: ...

    async def add(self, member: Member) -> None: ...

    async def save(self, member: Member) -> None:
        """Write a changed member back (all but its id and creation time)."""
        ...

    async def search(self, query: MemberSearch) -> tuple[int, list[Member]]:
        """(how many match, the page asked for)."""
        ...

    async def registered_by(self, member_id: str) -> list[str]:
        """The ids of the members this member registered on their behalf."""
        ...

    async def consents(self, member_id: str) -> list[ConsentChange]: ...

    async def consents_of(self, member_ids: Sequence[str]) -> dict[str, list[ConsentChange]]: ...

    async def add_consents(self, member_id: str, changes: Sequence[ConsentChange]) -> None: ...

    async def delete_consents(self, member_id: str) -> None: ...

    async def import_keys_known(self, keys: Sequence[str]) -> set[str]: ...

    async def delete_import_keys(self, member_id: str) -> None: ...

    async def add_imported(self, imported: Sequence[ImportedMember], now: datetime) -> None:
        """One batch of an import, with its consents, import keys and invitations."""
        ...

    async def refresh_statistics(self) -> None:
        """Have the database count what an import added (its planner's figures)."""
        ...

    async def invitations_due(self, limit: int) -> list[Member]:
        """Members not erased, with an e-mail address, still to be invited; oldest first."""
        ...

    async def invitation_done(self, member_id: str, now: datetime) -> None: ...


class ProfileRepository(Protocol):
    """Volunteer profiles, one per member at most."""

    async def get(self, member_id: str) -> Profile | None: ...

    async def save(self, member_id: str, draft: ProfileDraft, now: datetime) -> None:
        """Create or replace; a new certificate date clears the notice sent about the old."""
        ...

    async def add_imported(self, profiles: Sequence[Profile]) -> None: ...

    async def to_resume(self, today: date, limit: int) -> list[str]:
        """Members whose pause ends on or before `today` (the cooperative's local day)."""
        ...

    async def resume(self, member_id: str, today: date, now: datetime) -> bool:
        """Active again, if its pause is still the one that ended (not changed meanwhile)."""
        ...

    async def certificates_to_remind(
        self, *, warn_issued_by: date, expired_issued_by: date, limit: int
    ) -> list[Profile]:
        """Profiles whose certificate entered its warning time without a reminder yet, or
        ran out without the notice that it did (`shared.certificates` gives the bounds)."""
        ...

    async def mark_certificate_notice(self, member_id: str, issued: date, notice: str) -> bool:
        """Note the reminder sent, if the certificate is still the one it was about."""
        ...

    async def delete(self, member_id: str) -> None: ...


class AreaAndCooperativeRepository(Protocol):
    """The areas (with their postcodes) and the cooperatives that cover them."""

    async def area(self, code: str) -> Area | None: ...

    async def areas_by_code(self, codes: Iterable[str]) -> dict[str, Area]: ...

    async def list_areas(
        self,
        *,
        parent_code: str | None = None,
        level: str | None = None,
        municipality_code: str | None = None,
    ) -> list[Area]: ...

    async def has_municipality(self, code: str) -> bool: ...

    async def replace_municipality(
        self, areas: Sequence[Area], postcodes: Sequence[PostcodeEntry]
    ) -> None: ...

    async def postcode(self, pc4: str) -> PostcodeEntry | None: ...

    async def all_postcodes(self, municipality_code: str | None = None) -> dict[str, PostcodeEntry]:
        """Every stored PC4 (of one municipality)."""
        ...

    async def cooperative(self, cooperative_id: str) -> Cooperative | None: ...

    async def cooperatives(self, *, coordinator_id: str | None = None) -> list[Cooperative]: ...

    async def save_cooperative(self, coop: Cooperative, now: datetime, *, new: bool) -> None: ...

    async def coordinated_areas(self, member_id: str) -> tuple[list[str], list[str]]:
        """(cooperative ids, area codes) of the cooperatives this member coordinates."""
        ...

    async def remove_coordinator_everywhere(self, member_id: str) -> list[str]:
        """Take the member off every cooperative; the ids of those they coordinated."""
        ...


class DirectoryRepository(Protocol):
    """The social map: organisations, the members who manage them, their offers. A change
    names the fields it changes (`changes`: field -> new value)."""

    async def organisation(self, organisation_id: str) -> Organisation | None: ...

    async def organisation_named(self, name: str, area_code: str) -> Organisation | None:
        """A listed organisation of this name (any case) based in this area."""
        ...

    async def managers(self, organisation_ids: Sequence[str]) -> dict[str, list[str]]: ...

    async def organisations(
        self,
        *,
        area_codes: Sequence[str] | None = None,
        manager_id: str | None = None,
        include_retired: bool = True,
    ) -> list[Organisation]:
        """By name; `area_codes`: those based inside one of them, or in an area containing it."""
        ...

    async def organisations_by_id(self, ids: Sequence[str]) -> dict[str, Organisation]: ...

    async def add_organisation(self, org: Organisation, manager_ids: Sequence[str]) -> None: ...

    async def update_organisation(
        self, organisation_id: str, changes: Mapping[str, Any]
    ) -> None: ...

    async def set_managers(self, organisation_id: str, manager_ids: Sequence[str]) -> None: ...

    async def remove_manager_everywhere(self, member_id: str) -> None: ...

    async def offer(self, offer_id: str) -> Offer | None: ...

    async def add_offer(self, offer: Offer) -> None: ...

    async def update_offer(
        self, offer_id: str, changes: Mapping[str, Any], area_codes: Sequence[str] | None
    ) -> None:
        """`area_codes`: the areas it serves now (None: unchanged)."""
        ...

    async def retire_offers_of(self, organisation_id: str, at: datetime) -> list[str]: ...

    async def search_offers(self, query: OfferSearch) -> tuple[int, list[Offer]]:
        """(how many match, the page asked for)."""
        ...


class MemberImportRepository(Protocol):
    """The imports uploaded in the web: each job and the parts of its file. A change names the
    fields it changes (`changes`: field -> new value)."""

    async def add(self, job: MemberImport) -> None: ...

    async def get(self, import_id: str, *, for_update: bool = False) -> MemberImport | None: ...

    async def change(self, import_id: str, changes: Mapping[str, Any]) -> None: ...

    async def change_while_running(self, import_id: str, changes: Mapping[str, Any]) -> None:
        """Change an import still being checked or imported, never one finished meanwhile."""
        ...

    async def add_part(self, import_id: str, seq: int, text: str) -> None: ...

    async def part_count_and_size(self, import_id: str) -> tuple[int, int]: ...

    async def text(self, import_id: str) -> str: ...

    async def delete_parts(self, import_id: str) -> None: ...

    async def claim_next(self, now: datetime, *, stale_before: datetime) -> str | None:
        """Take the oldest waiting import, or a running one nobody has moved on since
        `stale_before`, for this process; None when there is none (or another took it)."""
        ...
