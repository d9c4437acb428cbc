"""The social map's models (organisations, their standing offers, the HSDS-shaped search),
for the registry's verbs organisation.*, offer.* and directory.* (shared/contracts/registry.py
names the verbs and re-exports these)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from shared.categories import Category
from shared.contracts.bounds import (
    FEW,
    MANY,
    SOME,
    Code,
    Distinct,
    Email,
    Id,
    Line,
    Name,
    Phone,
    Text,
    Url,
)
from shared.contracts.verbs import StrictRequest, Verb

CLOCK_TIME = r"^([01]\d|2[0-3]):[0-5]\d$"


class OpeningHours(BaseModel):
    """Open every `weekday` from `opens` until `closes` (local time, Europe/Amsterdam)."""

    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    opens: str = Field(max_length=5, pattern=CLOCK_TIME, examples=["10:00"])
    closes: str = Field(
        max_length=5, pattern=CLOCK_TIME, examples=["12:00"], description="after opens"
    )


MAX_OPENING_HOURS = 21


class OrganisationAdd(StrictRequest):
    name: str = Field(min_length=2, max_length=200)
    description: Text = ""
    email: Email | None = None
    phone: Phone | None = None
    website: Url | None = None
    address: Line | None = Field(default=None, description="street, number and place")
    area_code: Code = Field(description="where it is based (any CBS level)")
    manager_emails: Annotated[list[Email], Distinct] = Field(
        max_length=FEW,
        default_factory=list,
        description="members (by their e-mail address) who keep it and its offers up to date",
    )
    actor_id: Id | None = Field(default=None, description="a coordinator of area_code or admin")


class OrganisationRef(StrictRequest):
    organisation_id: Id
    actor_id: Id | None = None


class OrganisationUpdate(StrictRequest):
    """Fields left out (None) stay as they are; an empty string removes e-mail, phone,
    website or address."""

    organisation_id: Id
    name: str | None = Field(default=None, min_length=2, max_length=200)
    description: Text | None = None
    email: Email | None = None
    phone: Phone | None = None
    website: Url | None = None
    address: Line | None = None
    area_code: Code | None = None
    manager_emails: Annotated[list[Email], Distinct] | None = Field(
        default=None, max_length=FEW, description="coordinators and admins only"
    )
    actor_id: Id | None = None


class OrganisationInfo(BaseModel):
    """An organisation on the social map."""

    organisation_id: Id
    name: Name
    description: Text = ""
    email: Email | None = None
    phone: Phone | None = None
    website: Url | None = None
    address: Line | None = None
    area_code: Code
    area_name: Name | None = None
    manager_ids: list[Id] = Field(max_length=SOME, default_factory=list)
    active: bool = True
    created_at: datetime
    updated_at: datetime | None = None
    retired_at: datetime | None = None


class OrganisationQuery(StrictRequest):
    area_code: Code | None = None
    manager_id: Id | None = None
    include_retired: bool = False


class OrganisationList(BaseModel):
    """A page of organisations."""

    organisations: list[OrganisationInfo] = Field(max_length=MANY)


class OfferAdd(StrictRequest):
    """A standing offer: an HSDS 'service' of an organisation (grocery delivery, repair café)."""

    organisation_id: Id
    name: str = Field(min_length=2, max_length=200)
    description: Text = ""
    categories: Annotated[list[Category], Distinct] = Field(max_length=FEW, min_length=1)
    languages: Annotated[list[Code], Distinct] = Field(
        max_length=FEW, default_factory=lambda: ["nl"]
    )
    area_codes: list[Code] = Field(max_length=SOME, min_length=1, description="areas it serves")
    opening_hours: list[OpeningHours] = Field(max_length=MAX_OPENING_HOURS, default_factory=list)
    schedule: Line = Field(
        default="", description="a note on the opening hours, e.g. 'not in school holidays'"
    )
    address: Line | None = Field(default=None, description="where it takes place")
    location_area_code: Code | None = None
    email: Email | None = None
    phone: Phone | None = None
    url: Url | None = None
    actor_id: Id | None = None


class OfferRef(StrictRequest):
    offer_id: Id
    actor_id: Id | None = None


class OfferUpdate(StrictRequest):
    """Fields left out (None) stay as they are; an empty string removes an optional text."""

    offer_id: Id
    name: str | None = Field(default=None, min_length=2, max_length=200)
    description: Text | None = None
    categories: Annotated[list[Category], Distinct] | None = Field(
        default=None, max_length=FEW, min_length=1
    )
    languages: Annotated[list[Code], Distinct] | None = Field(default=None, max_length=FEW)
    area_codes: list[Code] | None = Field(default=None, max_length=SOME, min_length=1)
    opening_hours: list[OpeningHours] | None = Field(default=None, max_length=MAX_OPENING_HOURS)
    schedule: Line | None = None
    address: Line | None = None
    location_area_code: Code | None = None
    email: Email | None = None
    phone: Phone | None = None
    url: Url | None = None
    actor_id: Id | None = None


class OfferInfo(BaseModel):
    """An offer of help by an organisation or a neighbour, on the social map."""

    offer_id: Id
    organisation_id: Id
    organisation_name: Name
    name: Name
    description: Text
    categories: list[Category] = Field(max_length=FEW)
    languages: list[Code] = Field(max_length=FEW)
    area_codes: list[Code] = Field(max_length=SOME)
    opening_hours: list[OpeningHours] = Field(max_length=MAX_OPENING_HOURS, default_factory=list)
    schedule: Line
    address: Line | None = None
    location_area_code: Code | None = None
    email: Email | None = None
    phone: Phone | None = None
    url: Url | None = None
    active: bool = True
    created_at: datetime
    updated_at: datetime | None = None
    retired_at: datetime | None = None


class OfferQuery(StrictRequest):
    organisation_id: Id | None = None
    area_code: Code | None = None
    category: Category | None = None
    include_retired: bool = False


class OfferList(BaseModel):
    """A page of offers."""

    offers: list[OfferInfo] = Field(max_length=MANY)


class DirectorySearch(StrictRequest):
    q: Name | None = Field(default=None, description="words in a name or description")
    category: Category | None = None
    area_code: Code | None = Field(default=None, description="offers serving this area")
    language: Code | None = None
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class HsdsOrganization(BaseModel):
    """An organisation, in the Human Services Data Specification."""

    id: Id
    name: Name
    description: Text = ""
    email: Email | None = None
    phone: Phone | None = None
    url: Url | None = None


class HsdsLocation(BaseModel):
    """Where an organisation is, in the Human Services Data Specification."""

    address: Line | None = None
    area_code: Code | None = None
    area_name: Name | None = None
    latitude: float | None = None
    longitude: float | None = None


class HsdsServiceArea(BaseModel):
    """The area a service covers, in the Human Services Data Specification."""

    code: Code
    name: Name


class HsdsService(BaseModel):
    """One entry of the social map, shaped after Open Referral HSDS. `phone` and `email` are
    the offer's own, else its organisation's."""

    id: Id
    name: Name
    description: Text
    status: Literal["active", "inactive"] = "active"
    categories: list[Category] = Field(max_length=FEW)
    languages: list[Code] = Field(max_length=FEW)
    opening_hours: list[OpeningHours] = Field(max_length=MAX_OPENING_HOURS, default_factory=list)
    schedule: Line
    email: Email | None = None
    phone: Phone | None = None
    url: Url | None = None
    organization: HsdsOrganization
    location: HsdsLocation
    service_areas: list[Code] = Field(max_length=SOME)
    service_area_names: list[HsdsServiceArea] = Field(max_length=SOME, default_factory=list)
    updated_at: datetime | None = None


class DirectoryResults(BaseModel):
    """What the social map finds: a page of services, in the Human Services Data Specification."""

    total: int
    services: list[HsdsService] = Field(max_length=MANY)


# ----------------------------------------------------------------- verbs
# fmt: off
_SERVICE = "registry"
ORGANISATION_ADD = Verb(_SERVICE, "organisation.add", OrganisationAdd, OrganisationInfo,
    "Put an organisation on the social map (its area's coordinator or an admin).")
ORGANISATION_GET = Verb(_SERVICE, "organisation.get", OrganisationRef, OrganisationInfo,
    "One organisation, retired or not.")
ORGANISATION_UPDATE = Verb(_SERVICE, "organisation.update", OrganisationUpdate, OrganisationInfo,
    "Change an organisation (its managers, its area's coordinators, an admin).")
ORGANISATION_RETIRE = Verb(_SERVICE, "organisation.retire", OrganisationRef, OrganisationInfo,
    "Take an organisation and its offers off the map (kept for history).")
ORGANISATION_LIST = Verb(_SERVICE, "organisation.list", OrganisationQuery, OrganisationList,
    "Organisations (in an area, or managed by a member).")
OFFER_ADD = Verb(_SERVICE, "offer.add", OfferAdd, OfferInfo,
    "Add a standing offer of an organisation; publishes offer.published.")
OFFER_GET = Verb(_SERVICE, "offer.get", OfferRef, OfferInfo, "One standing offer, retired or not.")
OFFER_UPDATE = Verb(_SERVICE, "offer.update", OfferUpdate, OfferInfo, "Change a standing offer.")
OFFER_RETIRE = Verb(_SERVICE, "offer.retire", OfferRef, OfferInfo,
    "Take a standing offer off the map (kept for history).")
OFFER_LIST = Verb(_SERVICE, "offer.list", OfferQuery, OfferList,
    "Standing offers (of an organisation, in an area, of a category).")
DIRECTORY_SEARCH = Verb(_SERVICE, "directory.search", DirectorySearch, DirectoryResults,
    "Search the social map by words, category, area and language (HSDS-shaped).")
# fmt: on
