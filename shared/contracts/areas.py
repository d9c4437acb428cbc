"""The registry's areas (`samen.rpc.registry.areas.*`): the CBS municipalities, districts and
neighbourhoods, where a postcode lies, and how far two areas are apart. Re-exported by
shared.contracts.registry, whose verbs these are."""

from typing import Literal

from pydantic import BaseModel, Field

from shared.contracts.bounds import MANY, Code, Name, Text
from shared.contracts.verbs import StrictRequest, Verb

AreaLevel = Literal["municipality", "district", "neighbourhood"]


class AreaInfo(BaseModel):
    """An area of the CBS registry (municipality, district or neighbourhood) with where it lies."""

    code: Code
    level: AreaLevel
    name: Name
    parent_code: Code | None = None
    municipality_code: Code
    population: int | None = None
    lat: float | None = None
    lon: float | None = None
    cbs_year: int | None = Field(
        default=None, ge=1900, le=2100, description="the CBS classification the code is of"
    )


class PostcodeQuery(StrictRequest):
    postcode: Code = Field(examples=["3561 AB", "3561AB", "3561"])


class NeighbourhoodCandidate(BaseModel):
    """A neighbourhood a postcode may lie in, with the share of its inhabitants."""

    code: Code
    name: Name
    share: float = Field(description="share of this postcode's inhabitants living there (0-1)")


class PostcodeArea(BaseModel):
    """Where a postcode lies. At four digits the neighbourhood is the most likely one; where
    the data do not know it (neighbourhood_known false) `neighbourhood` is the district."""

    postcode: Code = Field(description="normalised: '3561 AB' or '3561'")
    pc4: Code
    municipality: AreaInfo
    district: AreaInfo
    neighbourhood: AreaInfo
    district_confidence: float = Field(ge=0, le=1)
    neighbourhood_confidence: float = Field(ge=0, le=1)
    confidence: Literal["high", "medium", "low"] = Field(
        description="how sure the neighbourhood is: high >= 0.8, medium >= 0.5, else low"
    )
    candidates: list[NeighbourhoodCandidate] = Field(max_length=MANY, default_factory=list)
    note: Text | None = None
    district_reliability: Literal["high", "medium", "low"] | None = Field(
        default=None,
        description="how reliable the district is; low: the postcode spans several districts",
    )
    neighbourhood_known: bool = Field(
        default=True,
        description="false: only the district is known, and `neighbourhood` is that district",
    )
    municipality_share: float | None = Field(
        default=None, ge=0, le=1, description="share of the postcode's addresses in it"
    )


class AreaQuery(StrictRequest):
    parent_code: Code | None = Field(default=None, description="children of this area")
    level: AreaLevel | None = None
    municipality_code: Code | None = None


class AreaList(BaseModel):
    areas: list[AreaInfo] = Field(max_length=MANY)


class AreaCode(StrictRequest):
    code: Code


class AreaPair(StrictRequest):
    from_code: Code
    to_code: Code


class AreaDistance(BaseModel):
    from_code: Code
    to_code: Code
    km: float


# ----------------------------------------------------------------- verbs
# fmt: off
_SERVICE = "registry"
AREAS_LOOKUP = Verb(_SERVICE, "areas.lookup", PostcodeQuery, PostcodeArea,
    "Postcode -> municipality, district and most likely neighbourhood, with confidence.")
AREAS_LIST = Verb(_SERVICE, "areas.list", AreaQuery, AreaList,
    "Areas, filtered by parent, level or municipality.")
AREAS_GET = Verb(_SERVICE, "areas.get", AreaCode, AreaInfo, "One area by its CBS code.")
AREAS_DISTANCE = Verb(_SERVICE, "areas.distance", AreaPair, AreaDistance,
    "Distance in km between the centroids of two areas.")
# fmt: on
