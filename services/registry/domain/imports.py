"""Bulk import of members from a CSV file (the information point's list): reading one row.

Columns (a header line first; only name, postcode and house_number are required):

    name, first_name, email, phone, postcode, house_number, language (nl|en),
    roles (resident;volunteer), consent_matching, consent_share_phone, consent_share_email
    (yes/no), and for volunteers: categories (groceries;transport), availability
    (mon 09:00-12:00;thu 14:00-17:00), flexible (yes/no), radius_km, languages (nl;en),
    max_open, certificate_of_conduct_date (YYYY-MM-DD)

Each person gets an import key (their e-mail, else name + postcode + house number), so running
the same file again adds nobody twice.
"""

import csv
import hashlib
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from shared.events import AvailabilitySlot

from .areas import PostcodeError, Resolution
from .errors import FieldErrors
from .members import ConsentChange, Member, MemberDraft, draft_member
from .volunteers import ProfileDraft, draft_profile

COLUMNS = (
    "name",
    "first_name",
    "email",
    "phone",
    "postcode",
    "house_number",
    "language",
    "roles",
    "consent_matching",
    "consent_share_phone",
    "consent_share_email",
    "categories",
    "availability",
    "flexible",
    "radius_km",
    "languages",
    "max_open",
    "certificate_of_conduct_date",
)
REQUIRED = ("name", "postcode", "house_number")
IMPORTABLE_ROLES = frozenset({"resident", "volunteer"})

_YES = {"yes", "y", "ja", "j", "true", "1", "x"}
_NO = {"no", "n", "nee", "false", "0", ""}
WEEKDAYS = {
    **{d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{d: i for i, d in enumerate(("ma", "di", "wo", "do", "vr", "za", "zo"))},
}


def split_values(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").replace(",", ";").split(";") if v.strip()]


def parse_yes_no(value: str | None, field: str) -> bool | None:
    text = (value or "").strip().lower()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(f"{field} is yes or no, not {value!r}")


def parse_availability(value: str | None) -> list[AvailabilitySlot]:
    """`mon 09:00-12:00; do 14:00-17:00` -> slots."""
    slots = []
    for part in split_values(value):
        try:
            day, hours = part.split(maxsplit=1)
            start, end = (h.strip() for h in hours.split("-"))
            if len(start) == 4:
                start = "0" + start
            if len(end) == 4:
                end = "0" + end
            key = day.lower().rstrip(".")
            weekday = WEEKDAYS[key[:3]] if key[:3] in WEEKDAYS else WEEKDAYS[key[:2]]
            slots.append(AvailabilitySlot(weekday=weekday, start=start, end=end))
        except (ValueError, KeyError):
            raise ValueError(
                f"availability {part!r} is not like 'mon 09:00-12:00' (or 'ma 09:00-12:00')"
            ) from None
    return slots


def import_key(draft: MemberDraft) -> str:
    """Who this row is, so the same person is not imported twice."""
    if draft.email:
        basis = f"email:{draft.email}"
    else:
        basis = f"person:{draft.name.lower()}|{draft.postcode}|{draft.house_number}"
    return hashlib.sha256(basis.encode()).hexdigest()


@dataclass
class ImportRow:
    line: int
    member: MemberDraft
    place: Resolution
    profile: ProfileDraft | None
    key: str


@dataclass(frozen=True)
class ImportedMember:
    """A member an import adds: with the import key that knows them again, the consents the
    file gave, and whether they are to be invited to set a password (they have an e-mail)."""

    member: Member
    key: str
    consents: list[ConsentChange]
    invite: bool


@dataclass
class MemberImport:
    """A members file uploaded in the web, and how far its import is: receiving its parts,
    waiting, checking, importing, then done (with its report) or failed (with why)."""

    import_id: str
    actor_id: str
    file_name: str | None
    state: str
    created_at: datetime
    updated_at: datetime
    phase: str | None = None
    rows: int = 0
    done: int = 0
    imported: int = 0
    volunteers: int = 0
    already_imported: int = 0
    rejected_count: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {"line": ..., "reason": ...}
    error: str | None = None
    finished_at: datetime | None = None


def parse_member_row(
    row: Mapping[str, str | None],
    *,
    line: int,
    place: Callable[[str], Resolution],
    registered_by: str | None,
    today: date,
) -> ImportRow:
    """One CSV row -> a validated member (and profile); raises Invalid naming every field."""
    errors = FieldErrors()

    def text(column: str) -> str:
        return (row.get(column) or "").strip()

    for column in REQUIRED:
        if not text(column):
            errors.add(column, "is empty")
    roles = split_values(text("roles")) or ["resident"]
    with errors.checking("roles"):
        privileged = set(roles) - IMPORTABLE_ROLES
        if privileged & {"coordinator", "admin"}:
            raise ValueError("coordinators and admins are not imported; an admin adds them")
    consents: dict[str, bool] = {}
    for purpose in ("matching", "share_phone", "share_email"):
        with errors.checking(f"consent_{purpose}"):
            answer = parse_yes_no(text(f"consent_{purpose}"), f"consent_{purpose}")
            if answer is not None:
                consents[purpose] = answer
    resolution: Resolution | None = None
    if text("postcode"):
        try:
            resolution = place(text("postcode"))
        except PostcodeError as exc:
            errors.add("postcode", str(exc))
    member = draft_member(
        name=text("name") or None,
        first_name=text("first_name") or None,
        email=text("email") or None,
        phone=text("phone") or None,
        postcode=str(resolution.postcode) if resolution else text("postcode"),
        house_number=text("house_number") or None,
        language=text("language").lower() or "nl",
        roles=roles,
        consents=consents,
        registered_by=registered_by,
        errors=errors,
    )
    profile: ProfileDraft | None = None
    if "volunteer" in roles and text("categories"):
        try:
            availability = parse_availability(text("availability"))
            flexible = bool(parse_yes_no(text("flexible"), "flexible"))
            radius = float(text("radius_km") or 2)
            max_open = int(text("max_open") or 3)
            vog_text = text("certificate_of_conduct_date")
            vog = date.fromisoformat(vog_text) if vog_text else None
        except ValueError as exc:
            message = str(exc)
            if "could not convert" in message or "invalid literal" in message:
                message = "radius_km and max_open are numbers"
            elif "isoformat" in message:
                message = "certificate_of_conduct_date is a date (YYYY-MM-DD)"
            errors.add("volunteer", message)
        else:
            with errors.checking("volunteer"):
                profile = draft_profile(
                    categories=split_values(text("categories")),
                    availability=availability,
                    flexible=flexible,
                    radius_km=radius,
                    languages=split_values(text("languages")) or ["nl"],
                    max_open=max_open,
                    active=True,
                    certificate_of_conduct_date=vog,
                    today=today,
                )
    errors.raise_if_any()
    assert member is not None and resolution is not None
    return ImportRow(line, member, resolution, profile, import_key(member))


class UnreadableFile(ValueError):
    """The file is not a CSV this import can read."""


REQUIRED_COLUMNS = frozenset({"name", "postcode", "house_number"})  # of a members file


def rows_from_csv(text: str, required: frozenset[str] = frozenset()) -> list[dict[str, str | None]]:
    """The rows of a CSV file's text (comma, semicolon or tab separated; the header line names
    the columns, `required` ones among them)."""
    text = text.removeprefix("\ufeff")  # a byte order mark, as spreadsheet programs write it
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = (
            csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
        )
        rows: list[dict[str, str | None]] = list(csv.DictReader(io.StringIO(text), dialect=dialect))
    except csv.Error as exc:
        raise UnreadableFile(f"this is not a CSV file that can be read: {exc}") from exc
    missing = required - set(rows[0].keys() if rows else ())
    if missing:
        raise UnreadableFile(f"the file lacks the column(s) {', '.join(sorted(missing))}")
    return rows
