"""Bulk import of members (`samen members import FILE.csv`).

Every row is validated first. Then either all valid rows land, with their events, in one
transaction, or (`all_or_nothing`) nothing lands when any row is rejected. Rows already
imported (same import key) are skipped, so running a file twice adds nobody twice.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from services.registry.domain.areas import Resolution, normalise_postcode, resolve_postcode
from services.registry.domain.imports import ImportedMember, ImportRow, parse_member_row
from services.registry.domain.members import (
    CONSENT_PURPOSES,
    PRIVILEGED_ROLES,
    consent_changes,
    new_member,
)
from services.registry.domain.volunteers import Profile
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.areas import AreaRef
from shared.certificates import certificate_counts
from shared.clock import to_local
from shared.errors import Invalid
from shared.events import MemberRegistered, VolunteerProfileUpdated
from shared.ids import new_id
from shared.logging import get_logger

log = get_logger(__name__)

Progress = Callable[[str, int, int], None]
"""progress(phase, done, total): phase is 'validate' or 'import'."""

CHUNK = 1000


@dataclass
class Rejected:
    line: int
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    already_imported: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    volunteers: int = 0
    events: int = 0
    applied: bool = True


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


async def import_members(
    rows: Iterable[Mapping[str, str | None]],
    *,
    uow_factory: Callable[[], RegistryUnitOfWork],
    registered_by: str | None = None,
    all_or_nothing: bool = False,
    progress: Progress | None = None,
    first_line: int = 2,
    may_place: Callable[[str], bool] | None = None,
) -> ImportReport:
    """`may_place(neighbourhood code)`: whether the importer may register someone living
    there (a coordinator: their cooperative's areas); rows it refuses are rejected."""
    report_progress = progress or _no_progress
    records = list(rows)
    report = ImportReport(rows=len(records))

    uow = uow_factory()
    async with uow:
        postcodes = await uow.repo.all_postcodes()
        if registered_by is not None:
            registrar = await uow.members.get(registered_by)
            if registrar is None or registrar.erased:
                raise Invalid(f"registered_by: no member {registered_by}")
            if not set(registrar.roles) & PRIVILEGED_ROLES:
                raise Invalid("registered_by: that member is not a coordinator or admin")
        today: date = uow.clock.now().date()

    def place(raw: str) -> Resolution:
        postcode = normalise_postcode(raw)
        return resolve_postcode(postcode, postcodes.get(postcode.pc4))

    # 1. Validate every row.
    valid: list[ImportRow] = []
    first_seen: dict[str, int] = {}
    for index, record in enumerate(records):
        line = first_line + index
        try:
            row = parse_member_row(
                record, line=line, place=place, registered_by=registered_by, today=today
            )
        except Invalid as exc:
            report.rejected.append(Rejected(line, exc.message))
        else:
            if may_place is not None and not may_place(row.place.neighbourhood_code):
                report.rejected.append(
                    Rejected(line, "postcode: this address lies outside your cooperative's areas")
                )
            elif row.key in first_seen:
                report.rejected.append(
                    Rejected(line, f"the same person as line {first_seen[row.key]}")
                )
            else:
                first_seen[row.key] = line
                valid.append(row)
        if index % 250 == 0 or index == len(records) - 1:
            report_progress("validate", index + 1, len(records))

    # 2. Leave out who is there already; an e-mail address someone else uses is a rejection.
    uow = uow_factory()
    async with uow:
        known = await uow.members.import_keys_known([r.key for r in valid])
        emails = [r.member.email for r in valid if r.member.email and r.key not in known]
        taken = await uow.members.emails_taken(emails)
    fresh: list[ImportRow] = []
    for row in valid:
        if row.key in known:
            report.already_imported += 1
        elif row.member.email in taken:
            report.rejected.append(
                Rejected(row.line, "email: this e-mail address is registered already")
            )
        else:
            fresh.append(row)
    report.rejected.sort(key=lambda r: r.line)
    if all_or_nothing and report.rejected:
        report.applied = False
        return report

    # 3. One transaction: the members, their consents and profiles, and their events.
    uow = uow_factory()
    async with uow:
        now = uow.clock.now()
        report_progress("import", 0, len(fresh))
        for start in range(0, len(fresh), CHUNK):
            chunk = fresh[start : start + CHUNK]
            members: list[ImportedMember] = []
            profiles: list[Profile] = []
            for row in chunk:
                member_id = new_id()
                m = row.member
                members.append(
                    ImportedMember(
                        new_member(member_id, m, row.place, now),
                        row.key,
                        consent_changes({}, m.consents, at=now, by=registered_by),
                        invite=bool(m.email),  # the gateway invites them to set a password, once
                    )
                )
                area = AreaRef.from_code(row.place.neighbourhood_code)
                uow.emit(
                    MemberRegistered(
                        member_id=member_id,
                        roles=m.roles,
                        language=m.language,
                        registered_by=registered_by,
                        consents={p: bool(m.consents.get(p)) for p in CONSENT_PURPOSES},
                    ),
                    area,
                )
                if row.profile is not None:
                    p = row.profile
                    profiles.append(Profile(member_id, p, now))
                    uow.emit(
                        VolunteerProfileUpdated(
                            member_id=member_id,
                            categories=p.categories,
                            availability=p.availability,
                            flexible=p.flexible,
                            radius_km=p.radius_km,
                            languages=p.languages,
                            max_open=p.max_open,
                            active=p.active,
                            matching_consent=bool(m.consents.get("matching")),
                            certificate_of_conduct=certificate_counts(
                                p.certificate_of_conduct_date, to_local(now).date()
                            ),
                        ),
                        area,
                    )
            await uow.members.add_imported(members, now)
            await uow.volunteers.add_imported(profiles)
            report.volunteers += len(profiles)
            report_progress("import", start + len(chunk), len(fresh))
        report.events = len(fresh) + report.volunteers
        await uow.commit()
    report.imported = len(fresh)
    if fresh:
        await _refresh_statistics(uow_factory)
    return report


async def _refresh_statistics(uow_factory: Callable[[], RegistryUnitOfWork]) -> None:
    """The planner's statistics still describe the tables as they were; until autovacuum
    catches up (a minute or more), look-ups of many members at once (notify's contact look-up
    per delivery round) would read whole tables instead of their indexes. The import has
    landed by now: a failure here only leaves that to autovacuum."""
    try:
        uow = uow_factory()
        async with uow:
            await uow.members.refresh_statistics()
            await uow.commit()
    except Exception as exc:  # only the planner's figures are behind: the import stands
        log.warning("could not analyse the imported tables", error=str(exc))
