"""Reference data shipped with Samen (areas of Utrecht and of the whole country, each with its
sources in SOURCES.txt).

The registry loads the area tables into its own database; the neighbourhood polygons are for
drawing maps (gateway, reports).
"""

from pathlib import Path

DATA_DIR = Path(__file__).parent
UTRECHT_DIR = DATA_DIR / "utrecht"
UTRECHT_DISTRICTS_CSV = UTRECHT_DIR / "utrecht_wijken.csv"
UTRECHT_NEIGHBOURHOODS_CSV = UTRECHT_DIR / "utrecht_buurten.csv"
UTRECHT_POSTCODES_CSV = UTRECHT_DIR / "utrecht_pc4_wijk.csv"
UTRECHT_NEIGHBOURHOODS_GEOJSON = UTRECHT_DIR / "utrecht_buurten_simplified_2024.geojson"
NL_DIR = DATA_DIR / "nl"
NL_MUNICIPALITIES_CSV = NL_DIR / "nl_gemeenten.csv"
NL_DISTRICTS_CSV = NL_DIR / "nl_wijken.csv"
NL_NEIGHBOURHOODS_CSV = NL_DIR / "nl_buurten.csv"
NL_POSTCODES_CSV = NL_DIR / "nl_pc4.csv"
