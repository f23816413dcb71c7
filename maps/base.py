"""Shared pieces of every AJIB map: vendored assets, optional tiles, courier colours, numbered markers."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template

from maps.assets import STATIC_URL, use_vendored_assets
from maps.safe import Markup, SafeTooltip, lines

JAKARTA_CENTRE = (-6.2, 106.82)
# Distinguishable on a light background and for the common colour-vision deficiencies (Okabe-Ito + Tol).
COURIER_COLOURS = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#882255",
    "#117733",
    "#332288",
    "#AA4499",
    "#44AA99",
    "#999933",
)
UNASSIGNED_COLOUR = "#6b6b6b"
_I18N_DIR = Path(__file__).resolve().parent.parent / "api" / "i18n"


@cache
def _labels(lang: str) -> dict[str, str]:
    """Map strings come from the UI catalogue (read as data, so maps/ imports nothing from api/)."""
    base = json.loads((_I18N_DIR / "id.json").read_text(encoding="utf-8"))
    if lang != "id" and (_I18N_DIR / f"{lang}.json").is_file():
        base.update(json.loads((_I18N_DIR / f"{lang}.json").read_text(encoding="utf-8")))
    return base


class Labels:
    """``labels("map.stop", n=3)``: a catalogue lookup with ``{name}`` placeholders."""

    def __init__(self, lang: str = "id", overrides: Mapping[str, str] | None = None) -> None:
        self._strings = dict(_labels(lang))
        if overrides:
            self._strings.update(overrides)

    def __call__(self, key: str, **params: object) -> str:
        text = self._strings.get(key, key)
        for name, value in params.items():
            text = text.replace("{" + name + "}", str(value))
        return text


def as_dict(obj: Any) -> dict[str, Any]:
    """Accept plain dicts and dataclasses alike (never ORM rows: callers convert those first)."""
    if obj is None:
        return {}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, Mapping):
        return dict(obj)
    raise TypeError(f"expected a mapping or a dataclass, got {type(obj).__name__}")


def point_of(obj: Mapping[str, Any] | None) -> tuple[float, float] | None:
    """(lat, lon) from ``{lat, lon}``, ``{location: {lat, lon}}`` or ``{location: [lat, lon]}``; None if absent."""
    if not obj:
        return None
    lat, lon = obj.get("lat"), obj.get("lon")
    if lat is None or lon is None:
        loc = obj.get("location")
        if isinstance(loc, Mapping):
            lat, lon = loc.get("lat"), loc.get("lon")
        elif isinstance(loc, Sequence) and not isinstance(loc, str) and len(loc) == 2:
            lat, lon = loc
    if lat is None or lon is None:
        return None
    return float(lat), float(lon)


def colour_for(index: int) -> str:
    return COURIER_COLOURS[index % len(COURIER_COLOURS)]


class MetricScale(MacroElement):  # type: ignore[misc]
    """Leaflet's scale bar in metres and kilometres only (folium's own adds miles and feet)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )


def new_map(
    *,
    tile_url: str = "",
    tile_attribution: str | None = None,
    static_url: str = STATIC_URL,
    labels: Labels,
    centre: tuple[float, float] = JAKARTA_CENTRE,
) -> folium.Map:
    """A map with local assets; tiles only when a tile URL is configured, else a plain background."""
    fmap = folium.Map(location=list(centre), zoom_start=12, tiles=None, control_scale=False, prefer_canvas=False)
    use_vendored_assets(fmap, static_url)
    MetricScale().add_to(fmap)
    if tile_url:
        folium.TileLayer(
            tiles=tile_url, attr=tile_attribution or "© OpenStreetMap contributors", name="tiles", control=False
        ).add_to(fmap)
    else:
        note = labels("map.no_tiles")
        fmap.get_root().header.add_child(
            folium.Element(
                "<style>.leaflet-container{background:#eef1f4}"
                ".ajib-no-tiles{position:absolute;left:56px;top:10px;z-index:800;font:12px system-ui,sans-serif;"
                "color:#555;background:rgba(255,255,255,.8);padding:2px 6px;border-radius:4px}</style>"
            )
        )
        fmap.get_root().html.add_child(folium.Element(Markup('<div class="ajib-no-tiles">{}</div>').format(note)))
    fmap.get_root().header.add_child(folium.Element(_MARKER_CSS))
    return fmap


_MARKER_CSS = """<style>
.ajib-num{display:flex;align-items:center;justify-content:center;width:26px;height:26px;border-radius:50%;
 color:#fff;font:700 13px/1 system-ui,sans-serif;border:2px solid #fff;box-shadow:0 0 0 1px rgba(0,0,0,.45)}
.ajib-num.done{opacity:.55}
.ajib-num.failed{background:#fff!important;color:#b00020;border:3px solid #b00020}
.ajib-num.late{box-shadow:0 0 0 3px #ffd400,0 0 0 5px #b00020}
.ajib-unassigned{display:flex;align-items:center;justify-content:center;width:22px;height:22px;transform:rotate(45deg);
 background:#6b6b6b;border:2px solid #fff;box-shadow:0 0 0 1px #000}
.ajib-unassigned span{transform:rotate(-45deg);color:#fff;font:700 13px/1 system-ui,sans-serif}
.ajib-courier{font-size:22px;line-height:1;filter:drop-shadow(0 0 2px #fff)}
.ajib-legend{position:absolute;top:10px;right:10px;z-index:900;max-width:280px;max-height:45%;overflow:auto;
 background:rgba(255,255,255,.95);border:1px solid #999;border-radius:6px;padding:6px 8px;
 font:13px/1.35 system-ui,sans-serif}
.ajib-legend h4{margin:0 0 4px;font-size:13px}
.ajib-legend ul{margin:0;padding-left:16px}
.ajib-swatch{display:inline-block;width:12px;height:12px;border-radius:50%;margin-right:4px;vertical-align:-1px}
</style>"""


def number_icon(number: int | str, colour: str, extra_class: str = "") -> folium.DivIcon:
    cls = f"ajib-num {extra_class}".strip()
    return folium.DivIcon(
        html=str(Markup('<div class="{}" style="background:{}">{}</div>').format(cls, colour, number)),
        icon_size=(26, 26),
        icon_anchor=(13, 13),
        class_name="ajib-marker",
    )


def unassigned_icon() -> folium.DivIcon:
    return folium.DivIcon(
        html='<div class="ajib-unassigned"><span>!</span></div>',
        icon_size=(22, 22),
        icon_anchor=(11, 11),
        class_name="ajib-marker",
    )


def add_office(fmap: folium.Map, office: Mapping[str, Any], labels: Labels) -> tuple[float, float] | None:
    where = point_of(office)
    if where is None:
        return None
    name = office.get("name") or labels("map.office")
    folium.Marker(
        where,
        icon=folium.Icon(color="black", icon="building", prefix="fa"),
        tooltip=SafeTooltip(lines(labels("map.office"), name)),
    ).add_to(fmap)
    return where


def add_service_area(fmap: folium.Map, geojson: Any, labels: Labels) -> None:
    if not geojson:
        return
    folium.GeoJson(
        geojson,
        name=labels("map.service_area"),
        style_function=lambda _f: {"color": "#1b5e9e", "weight": 2, "fillColor": "#1b5e9e", "fillOpacity": 0.06},
        tooltip=SafeTooltip(lines(labels("map.service_area"))),
    ).add_to(fmap)


def legend_item(colour: str, label: str) -> Markup:
    """A legend line: a colour swatch (one of ours) and a label (escaped)."""
    return Markup('<span class="ajib-swatch" style="background:{}"></span>{}').format(colour, label)


def add_legend(fmap: folium.Map, title: str, items: Iterable[Markup]) -> None:
    """``items`` are :func:`legend_item` lines: built escaped, so any text in them is inert."""
    body = Markup("").join(Markup("<li>{}</li>").format(item) for item in items)
    fmap.get_root().html.add_child(
        folium.Element(Markup('<div class="ajib-legend"><h4>{}</h4><ul>{}</ul></div>').format(title, body))
    )


def fit(fmap: folium.Map, points: Sequence[tuple[float, float]]) -> None:
    if not points:
        return
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    if max(lats) - min(lats) < 1e-4 and max(lons) - min(lons) < 1e-4:
        fmap.location = [lats[0], lons[0]]
        return
    fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(20, 20))
