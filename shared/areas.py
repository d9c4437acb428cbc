"""CBS area codes: municipality (GM), district (WK, 'wijk') and neighbourhood (BU, 'buurt').

The codes are national, so one deployment can serve several municipalities. A district code
embeds its municipality (WK0344_03), a neighbourhood code its district (BU0344_03_05). Since
2022 Amsterdam numbers its districts with letters (WK0363AF, BU0363AF01).
"""

import functools
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

_MUNICIPALITY = re.compile(r"^GM\d{4}$")
_DISTRICT = re.compile(r"^WK\d{4}[0-9A-Z]{2}$")
_NEIGHBOURHOOD = re.compile(r"^BU\d{4}[0-9A-Z]{2}\d{2}$")


def _checked(pattern: re.Pattern[str], kind: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{value!r} is not a CBS {kind} code")
        return value

    return AfterValidator(check)


MunicipalityCode = Annotated[str, _checked(_MUNICIPALITY, "municipality (GMnnnn)")]
DistrictCode = Annotated[str, _checked(_DISTRICT, "district (WKnnnnnn)")]
NeighbourhoodCode = Annotated[str, _checked(_NEIGHBOURHOOD, "neighbourhood (BUnnnnnnnn)")]


def is_municipality(code: str) -> bool:
    return bool(_MUNICIPALITY.match(code))


def is_district(code: str) -> bool:
    return bool(_DISTRICT.match(code))


def is_neighbourhood(code: str) -> bool:
    return bool(_NEIGHBOURHOOD.match(code))


def area_level(code: str) -> str:
    if is_municipality(code):
        return "municipality"
    if is_district(code):
        return "district"
    if is_neighbourhood(code):
        return "neighbourhood"
    raise ValueError(f"{code!r} is not a CBS area code")


class AreaRef(BaseModel):
    """Where an event happened; a level that does not apply is None (`_` in subjects)."""

    model_config = ConfigDict(frozen=True)

    municipality: MunicipalityCode | None = None
    district: DistrictCode | None = None
    neighbourhood: NeighbourhoodCode | None = None

    @classmethod
    def from_code(cls, code: str | None) -> "AreaRef":
        """The full area path of one code, derived from the code itself."""
        if not code:
            return cls()
        if is_neighbourhood(code):
            return cls(municipality=f"GM{code[2:6]}", district=f"WK{code[2:8]}", neighbourhood=code)
        if is_district(code):
            return cls(municipality=f"GM{code[2:6]}", district=code)
        if is_municipality(code):
            return cls(municipality=code)
        raise ValueError(f"{code!r} is not a CBS area code")

    def most_specific(self) -> str | None:
        return self.neighbourhood or self.district or self.municipality

    def contains(self, code: str) -> bool:
        """Whether the area `code` lies inside (or is) this area."""
        other = AreaRef.from_code(code)
        for mine, theirs in (
            (self.municipality, other.municipality),
            (self.district, other.district),
            (self.neighbourhood, other.neighbourhood),
        ):
            if mine is not None and mine != theirs:
                return False
        return True


@functools.lru_cache(maxsize=4096)
def area_of(municipality: str | None, district: str | None, neighbourhood: str | None) -> AreaRef:
    """The (frozen, validated) AreaRef of three stored codes, made once per distinct area: a
    query that returns many rows returns few areas."""
    return AreaRef(municipality=municipality, district=district, neighbourhood=neighbourhood)
