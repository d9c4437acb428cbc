"""Members: validation of what people type, roles, consent and erasure. Pure rules."""

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .areas import Resolution
from .errors import FieldErrors

ROLES: tuple[str, ...] = ("resident", "volunteer", "coordinator", "admin")
PRIVILEGED_ROLES = frozenset({"coordinator", "admin"})
LANGUAGES = ("nl", "en")
CONSENT_PURPOSES = ("matching", "share_phone", "share_email")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_HOUSE_NUMBER = re.compile(
    r"^([1-9][0-9]{0,4})(?:\s*([A-Za-z]{1,6})|\s*[-/ ]\s*([A-Za-z0-9]{1,6}))?$"
)


def normalise_name(raw: str | None) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise ValueError("a name is needed")
    if len(name) > 200:
        raise ValueError("a name is at most 200 characters")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise ValueError("a name cannot hold control characters")
    if not any(ch.isalpha() for ch in name):
        raise ValueError("a name holds at least one letter")
    return name


def first_name_of(name: str) -> str:
    return name.split()[0]


def normalise_email(raw: str | None) -> str | None:
    """Lower-cased and trimmed; e-mail is unique regardless of case."""
    if raw is None or not raw.strip():
        return None
    email = raw.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValueError(f"{raw.strip()!r} is not an e-mail address (name@example.nl)")
    return email


def normalise_phone(raw: str | None) -> str | None:
    """To international form: `06 1234 5678` -> `+31612345678`; `0031 30 ...` -> `+3130...`."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    digits = re.sub(r"[\s\-().]", "", text)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+"):
        number = digits[1:]
        if number.startswith("310"):
            number = "31" + number[3:]
        ok = number.isdigit() and (
            len(number) == 11 if number.startswith("31") else 8 <= len(number) <= 15
        )
        if ok:
            return "+" + number
    elif digits.isdigit() and len(digits) == 10 and digits.startswith("0"):
        return "+31" + digits[1:]
    raise ValueError(f"{text!r} is not a phone number (06 12345678 or +31 6 12345678)")


def normalise_house_number(raw: str | None) -> str:
    """`12`, `12a`, `12 A`, `12-2` -> `12`, `12A`, `12A`, `12-2`."""
    text = (raw or "").strip()
    match = _HOUSE_NUMBER.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a house number (12, 12A or 12-2)")
    number, addition = match.group(1), match.group(2) or match.group(3)
    if not addition:
        return number
    addition = addition.upper()
    return f"{number}{addition}" if addition.isalpha() else f"{number}-{addition}"


def normalise_roles(roles: Iterable[str]) -> list[str]:
    wanted = set(roles)
    unknown = wanted - set(ROLES)
    if unknown:
        raise ValueError(f"unknown role(s) {', '.join(sorted(unknown))}; roles: {', '.join(ROLES)}")
    if not wanted:
        raise ValueError("a member has at least one role")
    return [r for r in ROLES if r in wanted]


def check_reachable(email: str | None, phone: str | None, registered_by: str | None) -> None:
    if not email and not phone and not registered_by:
        raise ValueError(
            "give an e-mail address or a phone number, or have a coordinator register you"
        )


@dataclass(frozen=True)
class ConsentChange:
    """A consent given or withdrawn; the record of a member's consents is a list of these."""

    purpose: str
    granted: bool
    at: datetime
    by: str | None = None


def current_consents(records: Sequence[ConsentChange]) -> dict[str, ConsentChange]:
    """The latest record per purpose (records come oldest first)."""
    latest: dict[str, ConsentChange] = {}
    for record in records:
        latest[record.purpose] = record
    return latest


def held_consents(records: Sequence[ConsentChange]) -> dict[str, bool]:
    """Purpose -> granted, as the latest record of each says."""
    return {p: c.granted for p, c in current_consents(records).items()}


def consent_changes(
    current: Mapping[str, bool],
    wanted: Mapping[str, bool],
    *,
    at: datetime,
    by: str | None = None,
) -> list[ConsentChange]:
    """Only what changes is recorded; each change keeps its own time stamp."""
    unknown = set(wanted) - set(CONSENT_PURPOSES)
    if unknown:
        raise ValueError(f"unknown consent purpose(s): {', '.join(sorted(unknown))}")
    return [
        ConsentChange(purpose, granted, at, by)
        for purpose, granted in sorted(wanted.items())
        if current.get(purpose) is not granted
    ]


@dataclass
class MemberDraft:
    """A validated new member (registration or import)."""

    name: str
    first_name: str
    email: str | None
    phone: str | None
    postcode: str
    house_number: str
    language: str
    roles: list[str]
    consents: dict[str, bool] = field(default_factory=dict)
    registered_by: str | None = None


def draft_member(
    *,
    name: str | None,
    first_name: str | None,
    email: str | None,
    phone: str | None,
    postcode: str,
    house_number: str | None,
    language: str | None,
    roles: Iterable[str],
    consents: Mapping[str, bool] | None,
    registered_by: str | None,
    errors: FieldErrors | None = None,
) -> MemberDraft | None:
    """Validate every field; errors go into `errors` (raised at once when none is given)."""
    own = errors is None
    errors = errors if errors is not None else FieldErrors()
    values: dict[str, object] = {}
    with errors.checking("name"):
        values["name"] = normalise_name(name)
    with errors.checking("first_name"):
        values["first_name"] = normalise_name(first_name) if first_name else None
    with errors.checking("email"):
        values["email"] = normalise_email(email)
    with errors.checking("phone"):
        values["phone"] = normalise_phone(phone)
    with errors.checking("house_number"):
        values["house_number"] = normalise_house_number(house_number)
    with errors.checking("language"):
        if (language or "nl") not in LANGUAGES:
            raise ValueError(f"language is one of {', '.join(LANGUAGES)}")
    with errors.checking("roles"):
        values["roles"] = normalise_roles(roles)
    with errors.checking("consents"):
        unknown = set(consents or {}) - set(CONSENT_PURPOSES)
        if unknown:
            raise ValueError(f"unknown consent purpose(s): {', '.join(sorted(unknown))}")
    if "email" in values and "phone" in values:
        with errors.checking("email"):
            check_reachable(values["email"], values["phone"], registered_by)  # type: ignore[arg-type]
    if own:
        errors.raise_if_any()
    if errors:
        return None
    full = str(values["name"])
    return MemberDraft(
        name=full,
        first_name=str(values["first_name"] or first_name_of(full)),
        email=values["email"],  # type: ignore[arg-type]
        phone=values["phone"],  # type: ignore[arg-type]
        postcode=postcode,
        house_number=str(values["house_number"]),
        language=language or "nl",
        roles=values["roles"],  # type: ignore[arg-type]
        consents=dict(consents or {}),
        registered_by=registered_by,
    )


@dataclass
class Member:
    """A registered member as stored. Erased: the personal fields are None, the rest stays."""

    member_id: str
    name: str | None
    first_name: str | None
    email: str | None
    phone: str | None
    postcode: str | None
    house_number: str | None
    language: str
    roles: list[str]
    municipality: str | None
    district: str | None
    neighbourhood: str | None
    area_confidence: float | None
    registered_by: str | None
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None = None

    @property
    def erased(self) -> bool:
        return self.erased_at is not None


def new_member(member_id: str, draft: MemberDraft, place: Resolution, at: datetime) -> Member:
    """A member registered (or imported) at `at`, living where their postcode places them."""
    return Member(
        member_id=member_id,
        name=draft.name,
        first_name=draft.first_name,
        email=draft.email,
        phone=draft.phone,
        postcode=str(place.postcode),
        house_number=draft.house_number,
        language=draft.language,
        roles=list(draft.roles),
        registered_by=draft.registered_by,
        created_at=at,
        updated_at=at,
        **placed(place),
    )


def placed(place: Resolution) -> dict[str, Any]:
    """A member's area fields as the postcode's resolution gives them."""
    return {
        "municipality": place.municipality_code,
        "district": place.district_code,
        "neighbourhood": place.neighbourhood_code,
        "area_confidence": place.neighbourhood_confidence,
    }


@dataclass(frozen=True)
class MemberSearch:
    """Which members to list: those not erased living in one of `area_codes` (None: anywhere),
    with the role, offering the category, whose name holds `q`; a page of them, by name."""

    area_codes: Sequence[str] | None = None
    role: str | None = None
    category: str | None = None
    q: str | None = None
    limit: int = 50
    offset: int = 0


# Erasure: what is wiped, and what stays as anonymous figures.
ERASED_FIELDS = ("name", "first_name", "email", "phone", "postcode", "house_number")
KEPT_AFTER_ERASURE = (
    "member_id",
    "municipality",
    "district",
    "neighbourhood",
    "roles",
    "created_at",
)


def erased_values(at: datetime) -> dict[str, object]:
    """The fields of an erased member: personal data gone, area and times kept."""
    values: dict[str, object] = dict.fromkeys(ERASED_FIELDS)
    values["erased_at"] = at
    values["updated_at"] = at
    values["registered_by"] = None
    return values


def erased(member: Member, at: datetime) -> Member:
    """The member as erasure leaves them."""
    return replace(member, **erased_values(at))  # type: ignore[arg-type]
