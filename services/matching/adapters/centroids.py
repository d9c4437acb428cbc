"""Centroids of neighbourhoods and districts for distances (read-only reference tables).

The registry owns areas; matching only needs a point per area to measure travel distance, and
needs it on every match, so it keeps its own copy instead of asking over the network.
`data/centroids.csv` holds Utrecht's neighbourhoods (CBS codes, WGS84 centroids derived from the
CBS 2024 polygons); `national()` adds every district of the country and the neighbourhoods
with an outline of their own (Rijnmond) from the national tables in shared/data/nl, so that a
member known only by district (where a postcode does not give the buurt) is measured from its
district's centre. Operators may pass their own `Centroids` to `build()`.
"""

import csv
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from services.matching.domain.rules import LatLon
from shared.data import NL_DISTRICTS_CSV, NL_NEIGHBOURHOODS_CSV

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "data" / "centroids.csv"


class Centroids(Mapping[str, LatLon]):
    """Neighbourhood code -> (lat, lon)."""

    def __init__(self, points: Mapping[str, LatLon] | None = None) -> None:
        self._points: dict[str, LatLon] = dict(points or {})

    @classmethod
    def from_csv(cls, path: Path = DEFAULT_FILE) -> "Centroids":
        with path.open(newline="") as f:
            return cls({r["code"]: (float(r["lat"]), float(r["lon"])) for r in csv.DictReader(f)})

    @classmethod
    def national(cls) -> "Centroids":
        """Utrecht's neighbourhoods, and the country's districts and measured neighbourhoods."""
        centroids = cls.from_csv()
        for path, code in ((NL_DISTRICTS_CSV, "wijk_code"), (NL_NEIGHBOURHOODS_CSV, "buurt_code")):
            with path.open(newline="", encoding="utf-8") as f:
                centroids.add(
                    (row[code], (float(row["centroid_lat"]), float(row["centroid_lon"])))
                    for row in csv.DictReader(f)
                    if row["centroid_lat"] and row[code] not in centroids
                )
        return centroids

    def add(self, points: Iterable[tuple[str, LatLon]]) -> None:
        self._points.update(points)

    def __getitem__(self, code: str) -> LatLon:
        return self._points[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._points)

    def __len__(self) -> int:
        return len(self._points)
