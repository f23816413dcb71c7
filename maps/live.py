"""The dispatcher's live view: where each courier is, which stops are done or failed, which risk being late.

Input: the plan shape of :mod:`maps.plan` (stops carry ``status`` and ``late_risk``) plus
``positions: [{courier_id, courier_name?, lat, lon, at?, accuracy_m?}]`` — e.g. ``GET /api/live/{office}/{date}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium

from maps.assets import STATIC_URL
from maps.base import (
    Labels,
    add_legend,
    add_office,
    add_service_area,
    as_dict,
    colour_for,
    fit,
    legend_item,
    new_map,
    point_of,
)
from maps.plan import add_route, courier_label
from maps.safe import Markup, SafeTooltip, lines
from maps.timefmt import wib_clock


def _courier_key(route: Mapping[str, Any]) -> Any:
    courier = route.get("courier")
    if isinstance(courier, Mapping):
        return courier.get("id")
    return courier if courier is not None else route.get("courier_id")


def render_live_map(
    live_data: Mapping[str, Any] | Any,
    *,
    lang: str = "id",
    tile_url: str = "",
    tile_attribution: str | None = None,
    static_url: str = STATIC_URL,
    labels: Mapping[str, str] | None = None,
) -> str:
    data = as_dict(live_data)
    text = Labels(lang, labels)
    fmap = new_map(tile_url=tile_url, tile_attribution=tile_attribution, static_url=static_url, labels=text)
    add_service_area(fmap, data.get("service_area"), text)
    office_point = add_office(fmap, as_dict(data.get("office")), text)
    points: list[tuple[float, float]] = [office_point] if office_point else []
    colours: dict[Any, str] = {}
    legend: list[Markup] = []
    for index, raw in enumerate(data.get("routes") or ()):
        route = as_dict(raw)
        colour = colour_for(index)
        colours[_courier_key(route)] = colour
        points.extend(add_route(fmap, route, colour, office_point, text, lang))
        late = sum(1 for s in route.get("stops") or () if as_dict(s).get("late_risk"))
        extra = f" — {late}× {text('map.late_risk')}" if late else ""
        legend.append(legend_item(colour, f"{courier_label(route)}{extra}"))
    for raw in data.get("positions") or ():
        pos = as_dict(raw)
        where = point_of(pos)
        if where is None:
            continue
        points.append(where)
        colour = colours.get(pos.get("courier_id"), "#333")
        name = pos.get("courier_name") or pos.get("courier_id")
        when = wib_clock(pos.get("at"), lang)
        accuracy = pos.get("accuracy_m")
        if accuracy:
            folium.Circle(where, radius=float(accuracy), color=colour, weight=1, fill=True, fill_opacity=0.1).add_to(
                fmap
            )
        folium.Marker(
            where,
            icon=folium.DivIcon(
                html=f'<div class="ajib-courier" style="color:{colour}">🛵</div>',
                icon_size=(26, 26),
                icon_anchor=(13, 13),
                class_name="ajib-marker ajib-position",
            ),
            tooltip=SafeTooltip(lines(text("map.position"), name, when)),
        ).add_to(fmap)
    if legend:
        add_legend(fmap, text("map.courier"), legend)
    fit(fmap, points)
    return fmap.get_root().render()
