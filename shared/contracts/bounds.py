"""Bounded strings for the contracts and the API: every text a client or a service sends has
a most it may be, so no message or body is large because one of its fields is.

Lists and dicts carry their own `max_length` where they are declared; `FEW`, `SOME` and
`MANY` are the usual ones (a handful of codes; the ids of a cooperative's coordinators; the
rows of a reply)."""

from datetime import UTC, datetime
from typing import Annotated, TypeVar

from pydantic import AfterValidator, Field

T = TypeVar("T")

Id = Annotated[str, Field(max_length=64)]  # member, request, cooperative ids (slugs too)
Code = Annotated[str, Field(max_length=16)]  # CBS area codes, language codes, postcodes, states
Key = Annotated[str, Field(max_length=64)]  # keys of the figures' dicts
Name = Annotated[str, Field(max_length=200)]
Line = Annotated[str, Field(max_length=500)]  # a subject, an address, a schedule, an error
Email = Annotated[str, Field(max_length=320)]
Phone = Annotated[str, Field(max_length=40)]
HouseNumber = Annotated[str, Field(max_length=20)]
Url = Annotated[str, Field(max_length=2000)]
Token = Annotated[str, Field(max_length=2000)]
Text = Annotated[str, Field(max_length=10_000)]  # descriptions, message bodies, notes

FEW = 20  # languages, categories, roles, states, channels, slots of a week
SOME = 1000  # area codes of a coordinator's cooperatives, ids of coordinators or managers
MANY = 100_000  # rows of a reply (areas of a country, a member's whole history)


def distinct(items: list[T]) -> list[T]:
    """The items once each, in their first order: a profile sent with 150,000 copies of
    "nl" is a profile in Dutch (and the list's `max_length` refuses it long before that)."""
    return list(dict.fromkeys(items))


Distinct = AfterValidator(distinct)  # collapses repeated codes (languages, categories)


def in_utc(moment: datetime) -> datetime:
    """The moment in UTC: whatever offset a client wrote (+01:00, +02:00, Z) names the same
    instant, and every service stores and compares UTC. A time without an offset is refused:
    guessing its zone is how a morning becomes an hour late."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times need a time zone (ISO 8601 with offset)")
    return moment.astimezone(UTC)


UtcTime = Annotated[datetime, AfterValidator(in_utc)]  # a moment, always aware and in UTC
