"""Volunteer profiles: what they offer, when, how far, in which languages. Pure rules."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shared.categories import NEEDS_CERTIFICATE_OF_CONDUCT, Category
from shared.clock import local_zone, to_local
from shared.events import AvailabilitySlot

from .errors import FieldErrors

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def normalise_slots(slots: Iterable[AvailabilitySlot]) -> list[AvailabilitySlot]:
    """Sorted, each ending after it starts; overlapping or touching slots of a day merged."""
    by_day: dict[int, list[tuple[int, int]]] = {}
    for slot in slots:
        start, end = _minutes(slot.start), _minutes(slot.end)
        if end <= start:
            raise ValueError(f"a slot ends after it starts ({slot.start}-{slot.end})")
        by_day.setdefault(slot.weekday, []).append((start, end))
    merged: list[AvailabilitySlot] = []
    for weekday in sorted(by_day):
        spans = sorted(by_day[weekday])
        current = list(spans[0])
        for start, end in spans[1:]:
            if start <= current[1]:
                current[1] = max(current[1], end)
            else:
                merged.append(
                    AvailabilitySlot(
                        weekday=weekday, start=_hhmm(current[0]), end=_hhmm(current[1])
                    )
                )
                current = [start, end]
        merged.append(
            AvailabilitySlot(weekday=weekday, start=_hhmm(current[0]), end=_hhmm(current[1]))
        )
    return merged


def is_available(
    slots: Sequence[AvailabilitySlot],
    *,
    flexible: bool,
    start: datetime,
    end: datetime | None = None,
) -> bool:
    """Whether the window [start, end) overlaps a weekly slot (local time); flexible always is.

    Without an end the window is the hour from `start`.
    """
    if flexible:
        return True
    end = end or start + timedelta(hours=1)
    if end <= start:
        return False
    local = local_zone()  # weekly slots are in the cooperative's local time
    start_local, end_local = to_local(start, local), to_local(end, local)
    day = start_local.date()
    last = min(end_local.date(), day + timedelta(days=7))
    while day <= last:
        for slot in slots:
            if slot.weekday != day.weekday():
                continue
            slot_start = datetime.combine(day, time(), local) + timedelta(
                minutes=_minutes(slot.start)
            )
            slot_end = datetime.combine(day, time(), local) + timedelta(minutes=_minutes(slot.end))
            if slot_start < end_local and start_local < slot_end:
                return True
        day += timedelta(days=1)
    return False


@dataclass(frozen=True)
class ProfileDraft:
    categories: list[Category]
    availability: list[AvailabilitySlot]
    flexible: bool
    radius_km: float
    languages: list[str]
    max_open: int
    active: bool
    certificate_of_conduct_date: date | None
    paused_until: date | None = None


def draft_profile(
    *,
    categories: Iterable[Category | str],
    availability: Iterable[AvailabilitySlot],
    flexible: bool,
    radius_km: float,
    languages: Iterable[str],
    max_open: int,
    active: bool,
    certificate_of_conduct_date: date | None,
    today: date,
    paused_until: date | None = None,
) -> ProfileDraft:
    """A profile as it will be saved. `today` is the cooperative's local day; a pause may
    name the local day it ends (`paused_until`, after today): the profile resumes by itself
    then."""
    errors = FieldErrors()
    chosen: list[Category] = []
    with errors.checking("categories"):
        for c in categories:
            try:
                category = Category(c)
            except ValueError:
                raise ValueError(f"unknown category {c!r}") from None
            if category not in chosen:
                chosen.append(category)
        if not chosen:
            raise ValueError("offer at least one kind of help")
    slots: list[AvailabilitySlot] = []
    with errors.checking("availability"):
        slots = normalise_slots(availability)
        if not slots and not flexible:
            raise ValueError("give weekly availability, or mark yourself as flexible")
    with errors.checking("radius_km"):
        if not 0 <= radius_km <= 100:
            raise ValueError("travel radius is between 0 and 100 km")
    langs: list[str] = []
    with errors.checking("languages"):
        for lang in languages:
            code = lang.strip().lower()
            if not _LANGUAGE.match(code):
                raise ValueError(f"{lang!r} is not a language code (nl, en, ar, tr, ...)")
            if code not in langs:
                langs.append(code)
        if not langs:
            raise ValueError("give at least one language")
    with errors.checking("max_open"):
        if not 0 <= max_open <= 20:
            raise ValueError("maximum open assignments is between 0 and 20")
    with errors.checking("certificate_of_conduct_date"):
        if certificate_of_conduct_date is not None and certificate_of_conduct_date > today:
            raise ValueError("the certificate of conduct (VOG) date cannot be in the future")
        needing = [c for c in chosen if c in NEEDS_CERTIFICATE_OF_CONDUCT]
        if needing and certificate_of_conduct_date is None:
            raise ValueError(
                f"{', '.join(needing)} needs a certificate of conduct (VOG): record its date"
            )
    with errors.checking("paused_until"):
        if paused_until is not None and active:
            raise ValueError("only a paused profile has a return date")
        if paused_until is not None and paused_until <= today:
            raise ValueError("the return date is after today")
    errors.raise_if_any()
    return ProfileDraft(
        chosen,
        slots,
        flexible,
        float(radius_km),
        langs,
        max_open,
        active,
        certificate_of_conduct_date,
        paused_until,
    )


@dataclass(frozen=True)
class Profile:
    """A member's volunteer profile as stored: the draft saved, when, and the last notice sent
    about its certificate of conduct ("expiring", "expired"; a new date starts afresh)."""

    member_id: str
    draft: ProfileDraft
    updated_at: datetime
    certificate_notice: str | None = None


def resume_day(paused_until: date | None, *, active: bool) -> date | None:
    """The local day a profile resumes by itself: only a paused one has it."""
    return None if active else paused_until
