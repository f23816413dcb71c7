"""Reading the Jakarta GeoJSON files: features as (properties, shapely geometry), BPS codes without ``id``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

KELURAHAN_FILE = "kelurahan_dki_jakarta_hdx_bps2020.geojson"
KECAMATAN_FILE = "kecamatan_dki_jakarta_derived.geojson"
KOTA_FILE = "kota_kab_dki_jakarta_derived.geojson"
KANTOR_FILE = "kantor_pemerintahan_dki_jakarta.geojson"
ALL_FILES = (KELURAHAN_FILE, KECAMATAN_FILE, KOTA_FILE, KANTOR_FILE)


class ReferenceDataMissing(FileNotFoundError):
    """The Jakarta geodata directory or one of its files is not there; the message names it."""


@dataclass(frozen=True)
class Feature:
    props: dict[str, Any]
    geom: BaseGeometry


def bps_code(value: str) -> str:
    """``id3173080001`` -> ``3173080001``: the HDX files prefix BPS codes with the country code."""
    return value[2:] if value.startswith("id") else value


def clean_text(value: str | None) -> str:
    """Collapse whitespace and stray CR/LF the source attributes carry."""
    return re.sub(r"\s+", " ", value or "").strip()


def read_features(path: Path) -> list[Feature]:
    """Every feature of a GeoJSON FeatureCollection; invalid polygons are repaired (make_valid)."""
    if not path.is_file():
        raise ReferenceDataMissing(f"reference data file not found: {path}")
    with path.open(encoding="utf-8") as fh:
        collection = json.load(fh)
    features = []
    for raw in collection.get("features", []):
        geom = shape(raw["geometry"])
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        features.append(Feature(dict(raw.get("properties") or {}), geom))
    return features


def check_data_dir(data_dir: Path) -> None:
    """Fail early with the path a person has to fix (AJIB_SHARED_DIR)."""
    if not data_dir.is_dir():
        raise ReferenceDataMissing(f"Jakarta geodata directory not found: {data_dir} (set AJIB_SHARED_DIR)")
    missing = [name for name in ALL_FILES if not (data_dir / name).is_file()]
    if missing:
        raise ReferenceDataMissing(f"missing in {data_dir}: {', '.join(missing)}")
