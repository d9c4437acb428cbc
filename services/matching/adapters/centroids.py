"""Neighbourhood centroids for distances (a read-only reference table shipped with the service).

The registry owns areas; matching only needs a point per neighbourhood to measure travel
distance, and needs it on every match, so it keeps its own copy instead of asking over the
network. `data/centroids.csv` holds Utrecht's neighbourhoods (CBS codes, WGS84 centroids derived
from the CBS 2024 polygons). Operators serving more municipalities add rows to that file, or
pass their own `Centroids` to `build()`.
"""

import csv
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from services.matching.domain.rules import LatLon

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "data" / "centroids.csv"


class Centroids(Mapping[str, LatLon]):
    """Neighbourhood code -> (lat, lon)."""

    def __init__(self, points: Mapping[str, LatLon] | None = None) -> None:
        self._points: dict[str, LatLon] = dict(points or {})

    @classmethod
    def from_csv(cls, path: Path = DEFAULT_FILE) -> "Centroids":
        with path.open(newline="") as f:
            return cls({r["code"]: (float(r["lat"]), float(r["lon"])) for r in csv.DictReader(f)})

    def add(self, points: Iterable[tuple[str, LatLon]]) -> None:
        self._points.update(points)

    def __getitem__(self, code: str) -> LatLon:
        return self._points[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._points)

    def __len__(self) -> int:
        return len(self._points)
