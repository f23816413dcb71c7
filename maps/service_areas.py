"""Offices and the kelurahan they serve, for checking the service-area data on a map."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import folium

from maps.assets import STATIC_URL
from maps.base import Labels, add_office, as_dict, colour_for, fit, new_map, point_of
from maps.safe import SafeTooltip, escape, lines


def render_service_area_map(
    offices: Iterable[Mapping[str, Any] | Any],
    *,
    lang: str = "id",
    tile_url: str = "",
    tile_attribution: str | None = None,
    static_url: str = STATIC_URL,
) -> str:
    """``offices``: ``[{name, lat, lon, service_area: GeoJSON | None}]``; one colour per office."""
    text = Labels(lang)
    fmap = new_map(tile_url=tile_url, tile_attribution=tile_attribution, static_url=static_url, labels=text)
    points: list[tuple[float, float]] = []
    for index, raw in enumerate(offices):
        office = as_dict(raw)
        colour = colour_for(index)
        area = office.get("service_area")
        if area:
            folium.GeoJson(
                area,
                name=str(escape(str(office.get("name", "")))),  # the layer control writes names as HTML
                style_function=lambda _f, c=colour: {"color": c, "weight": 1, "fillColor": c, "fillOpacity": 0.15},
                tooltip=SafeTooltip(lines(text("map.service_area"), office.get("name", ""))),
            ).add_to(fmap)
        where = add_office(fmap, office, text)
        if where:
            points.append(where)
        elif point_of(office):
            points.append(point_of(office))  # type: ignore[arg-type]
    if points:
        fit(fmap, points)
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap.get_root().render()
