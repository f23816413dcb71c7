"""The dispatcher's plan map: one colour per courier, numbered stops, office, service area, unassigned jobs.

Input is the plain JSON shape of ``GET /api/plans/{id}`` (dicts or dataclasses, never ORM rows), plus
``office`` and an optional ``service_area`` GeoJSON::

    {"office": {"name", "lat", "lon"}, "service_area": {...GeoJSON...} | None,
     "routes": [{"courier": {"id", "name", "code"} | id, "geometry": [[lat, lon], ...]?,
                 "stops": [{"seq", "kind", "lat", "lon", "job_id", "applicant_name"?, "tracking_code"?,
                            "window_start"?, "window_end"?, "eta"? | "planned_arrival"?, "status"?,
                            "late_risk"?}]}],
     "unassigned": [{"job_id", "reason", "detail", "lat"?, "lon"?, "tracking_code"?, "applicant_name"?}]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium

from maps.assets import STATIC_URL
from maps.base import (
    UNASSIGNED_COLOUR,
    Labels,
    add_legend,
    add_office,
    add_service_area,
    as_dict,
    colour_for,
    fit,
    legend_item,
    new_map,
    number_icon,
    point_of,
    unassigned_icon,
)
from maps.safe import Markup, SafeTooltip, escape, lines
from maps.timefmt import wib_clock, wib_window

JOB_STOP_KINDS = frozenset({"pickup", "delivery", "job"})


def courier_label(route: Mapping[str, Any]) -> str:
    courier = route.get("courier")
    if isinstance(courier, Mapping):
        name = courier.get("name") or courier.get("code") or courier.get("id")
        return str(name)
    return str(courier if courier is not None else route.get("courier_id", "?"))


def stop_tooltip(stop: Mapping[str, Any], labels: Labels, lang: str, courier: str) -> Markup:
    details: list[object] = [stop.get("applicant_name") or stop.get("tracking_code") or stop.get("job_id")]
    window = wib_window(stop.get("window_start"), stop.get("window_end"), lang)
    if window:
        details.append(f"{labels('map.window')} {window}")
    eta = wib_clock(stop.get("eta") or stop.get("planned_arrival"), lang)
    if eta:
        details.append(f"{labels('map.eta')} {eta}")
    status = stop.get("status")
    if status in ("done", "failed"):
        details.append(labels(f"map.{status}"))
    if stop.get("late_risk"):
        details.append(labels("map.late_risk"))
    return lines(f"{courier} · {labels('map.stop', n=stop.get('seq', ''))}", *details)


def reason_text(item: Mapping[str, Any], labels: Labels) -> str:
    code = str(item.get("reason") or "unknown")
    text = labels(f"reason.{code}")
    return text if text != f"reason.{code}" else labels("reason.unknown")


def add_route(
    fmap: folium.Map,
    route: Mapping[str, Any],
    colour: str,
    office_point: tuple[float, float] | None,
    labels: Labels,
    lang: str,
) -> list[tuple[float, float]]:
    """Draw one courier's line and numbered job stops; returns the points drawn (for fitting the view)."""
    stops = sorted((as_dict(s) for s in route.get("stops") or ()), key=lambda s: s.get("seq", 0))
    name = courier_label(route)
    job_stops = [s for s in stops if s.get("kind") in JOB_STOP_KINDS and point_of(s)]
    # Leaflet's layer control writes a layer's name as HTML.
    group = folium.FeatureGroup(name=str(escape(f"{name} ({labels('map.stops', n=len(job_stops))})")))
    geometry = route.get("geometry")
    if geometry:
        line = [(float(p[0]), float(p[1])) for p in geometry]
    else:
        line = [p for p in (point_of(s) for s in stops) if p is not None]
        if office_point and stops and stops[0].get("kind") not in ("start", "office_load", "office_drop"):
            line.insert(0, office_point)
    if len(line) >= 2:
        folium.PolyLine(line, color=colour, weight=4, opacity=0.85, tooltip=SafeTooltip(lines(name))).add_to(group)
    for number, stop in enumerate(job_stops, start=1):
        classes = " ".join(
            c
            for c, on in (
                ("done", stop.get("status") == "done"),
                ("failed", stop.get("status") == "failed"),
                ("late", bool(stop.get("late_risk"))),
            )
            if on
        )
        folium.Marker(
            point_of(stop),
            icon=number_icon(number, colour, classes),
            tooltip=SafeTooltip(stop_tooltip(stop, labels, lang, name)),
        ).add_to(group)
    group.add_to(fmap)
    return line


def render_plan_map(
    plan_data: Mapping[str, Any] | Any,
    *,
    lang: str = "id",
    tile_url: str = "",
    tile_attribution: str | None = None,
    static_url: str = STATIC_URL,
    labels: Mapping[str, str] | None = None,
) -> str:
    """A complete HTML document (for an iframe) drawing the plan with local assets only."""
    data = as_dict(plan_data)
    text = Labels(lang, labels)
    fmap = new_map(tile_url=tile_url, tile_attribution=tile_attribution, static_url=static_url, labels=text)
    points: list[tuple[float, float]] = []
    office = as_dict(data.get("office"))
    add_service_area(fmap, data.get("service_area"), text)
    office_point = add_office(fmap, office, text)
    if office_point:
        points.append(office_point)
    legend: list[Markup] = []
    for index, raw in enumerate(data.get("routes") or ()):
        route = as_dict(raw)
        colour = colour_for(index)
        points.extend(add_route(fmap, route, colour, office_point, text, lang))
        legend.append(legend_item(colour, courier_label(route)))
    unassigned = [as_dict(u) for u in data.get("unassigned") or ()]
    if unassigned:
        group = folium.FeatureGroup(name=str(escape(f"{text('map.unassigned')} ({len(unassigned)})")))
        for item in unassigned:
            label = item.get("tracking_code") or item.get("applicant_name") or item.get("job_id")
            reason = reason_text(item, text)
            legend.append(legend_item(UNASSIGNED_COLOUR, f"{label}: {reason}"))
            where = point_of(item)
            if where is None:
                continue
            points.append(where)
            folium.Marker(
                where,
                icon=unassigned_icon(),
                tooltip=SafeTooltip(lines(text("map.unassigned"), label, reason, item.get("detail"))),
            ).add_to(group)
        group.add_to(fmap)
    if legend:
        add_legend(fmap, text("map.courier") + " / " + text("map.unassigned"), legend)
    folium.LayerControl(collapsed=True, position="bottomright").add_to(fmap)
    fit(fmap, points)
    return fmap.get_root().render()
