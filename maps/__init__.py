"""folium rendering of plans, live positions and service areas, drawn with vendored Leaflet (no CDN)."""

from maps.live import render_live_map
from maps.plan import render_plan_map
from maps.service_areas import render_service_area_map

__all__ = ["render_live_map", "render_plan_map", "render_service_area_map"]
