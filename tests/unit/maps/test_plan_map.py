"""The plan map draws with local assets only and shows what a dispatcher needs to see."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field

import folium

from maps import render_live_map, render_plan_map, render_service_area_map
from maps.assets import STATIC_DIR, install_globally, missing_files, vendored_css, vendored_js
from maps.base import COURIER_COLOURS

DAY = "2026-11-02"


def plan(**extra):
    data = {
        "office": {"name": "PTSP Kecamatan Menteng", "lat": -6.1960, "lon": 106.8320},
        "routes": [
            {
                "courier": {"id": 11, "name": "Budi Santoso"},
                "stops": [
                    {"seq": 0, "kind": "start", "lat": -6.1960, "lon": 106.8320},
                    {
                        "seq": 1,
                        "kind": "pickup",
                        "lat": -6.1850,
                        "lon": 106.8400,
                        "job_id": 101,
                        "applicant_name": "Siti Aminah",
                        "window_start": f"{DAY}T08:00:00+07:00",
                        "window_end": f"{DAY}T10:00:00+07:00",
                        "eta": f"{DAY}T01:35:00Z",
                    },
                    {"seq": 2, "kind": "pickup", "lat": -6.1800, "lon": 106.8450, "job_id": 102},
                    {"seq": 3, "kind": "office_drop", "lat": -6.1960, "lon": 106.8320, "job_id": 101},
                ],
            },
            {
                "courier": {"id": 12, "name": "Rina Wati"},
                "stops": [{"seq": 1, "kind": "delivery", "lat": -6.2050, "lon": 106.8200, "job_id": 103}],
            },
        ],
        "unassigned": [
            {"job_id": 104, "reason": "capacity", "detail": "5 boxes > 4", "lat": -6.21, "lon": 106.81},
            {"job_id": 105, "reason": "not_enough_time", "detail": "day is full"},
        ],
    }
    data.update(extra)
    return data


def tooltips(page: str) -> list[str]:
    """The text each tooltip shows: folium writes them as JSON strings of escaped HTML (maps.safe)."""
    found = re.findall(r'bindTooltip\(\s*("(?:[^"\\]|\\.)*")', page)
    return [html.unescape(re.sub(r"<[^>]+>", " ", json.loads(raw))) for raw in found]


def shown(page: str) -> str:
    """What a person can read on the map: the legend and page text plus every tooltip."""
    return html.unescape(page) + "\n".join(tooltips(page))


def asset_urls(page: str) -> set[str]:
    return set(re.findall(r'(?:src|href)="([^"]+)"', page))


def test_every_vendored_asset_exists():
    """Each file folium is pointed at is present under api/static/vendor (else maps break offline)."""
    assert missing_files() == []
    assert {n for n, _ in vendored_js()} == {n for n, _ in folium.Map.default_js}
    assert {n for n, _ in vendored_css()} == {n for n, _ in folium.Map.default_css}


def test_css_references_resolve():
    """url(...) references inside vendored CSS (fonts, marker sprites) point at files that exist."""
    for _, url in vendored_css():
        css_path = STATIC_DIR / url.removeprefix("/static/")
        for ref in re.findall(r"url\(['\"]?([^'\")?#]+)", css_path.read_text(encoding="utf-8")):
            if ref.startswith("data:"):
                continue
            assert (css_path.parent / ref).resolve().is_file(), (css_path, ref)


def test_plan_map_uses_only_local_assets():
    """No CDN: every script and stylesheet of the map is under /static/vendor, and no http(s) URL is embedded."""
    page = render_plan_map(plan())
    urls = asset_urls(page)
    assert urls, "the map must link its assets"
    assert all(u.startswith("/static/vendor/") for u in urls), urls
    assert not re.search(r"https?://", page.replace("http-equiv", ""))


def test_folium_class_defaults_untouched():
    """Rendering overrides assets per map instance; folium's shared class lists are not mutated."""
    before = list(folium.Map.default_js)
    render_plan_map(plan())
    assert folium.Map.default_js == before


def test_install_globally_patches_new_maps(monkeypatch):
    """install_globally() makes maps built elsewhere use the vendored assets too."""
    monkeypatch.setattr(folium.Map, "default_js", list(folium.Map.default_js))
    monkeypatch.setattr(folium.Map, "default_css", list(folium.Map.default_css))
    install_globally()
    page = folium.Map(tiles=None).get_root().render()
    assert all(u.startswith("/static/vendor/") for u in asset_urls(page))


def test_one_colour_per_courier_and_numbered_stops():
    """Each courier's line has its own colour; job stops are numbered 1..n per courier (start/office not)."""
    page = render_plan_map(plan())
    assert f'"color": "{COURIER_COLOURS[0]}"' in page
    assert f'"color": "{COURIER_COLOURS[1]}"' in page
    numbers = re.findall(r'ajib-num[^"\\]*\\" style=\\"background:(#[0-9A-Fa-f]+)\\"\\u003e(\d+)\\u003c', page)
    assert sorted(numbers) == sorted([(COURIER_COLOURS[0], "1"), (COURIER_COLOURS[0], "2"), (COURIER_COLOURS[1], "1")])
    assert "Budi Santoso" in page and "Rina Wati" in page


def test_times_shown_in_wib():
    """Windows and ETAs are shown in WIB whatever offset the data carries (01:35Z is 08.35 WIB)."""
    page = shown(render_plan_map(plan()))
    assert "08.00–10.00" in page
    assert "08.35" in page


def test_unassigned_jobs_marked_with_reason_in_language():
    """Unassigned jobs show their reason in Indonesian by default and in English on request."""
    page_id = shown(render_plan_map(plan()))
    assert "Melebihi kapasitas box kurir" in page_id
    assert "Waktu kurir hari ini sudah penuh" in page_id  # listed in the legend even without coordinates
    assert page_id.count("ajib-unassigned") >= 2  # CSS rule + one marker (the job with coordinates)
    page_en = shown(render_plan_map(plan(), lang="en"))
    assert "Larger than any courier's box" in page_en


def test_tiles_only_when_configured():
    """An empty tile URL draws no tile layer (plain background, a note); a configured one is used as given."""
    bare = render_plan_map(plan())
    assert "L.tileLayer" not in bare
    assert "ajib-no-tiles" in bare
    tiled = render_plan_map(plan(), tile_url="/tiles/{z}/{x}/{y}.png", tile_attribution="local tiles")
    assert "L.tileLayer" in tiled and "/tiles/{z}/{x}/{y}.png" in tiled


def test_service_area_and_office_drawn():
    """The office marker and the service-area polygon are on the map."""
    area = {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[106.82, -6.18], [106.85, -6.18], [106.85, -6.21], [106.82, -6.18]]],
        },
    }
    page = render_plan_map(plan(service_area=area))
    assert "PTSP Kecamatan Menteng" in page
    assert "Wilayah layanan" in page
    assert "106.85" in page


@dataclass
class StopDC:
    seq: int
    kind: str
    lat: float
    lon: float
    job_id: int | None = None


@dataclass
class RouteDC:
    courier: dict
    stops: list[StopDC] = field(default_factory=list)


@dataclass
class PlanDC:
    office: dict
    routes: list[RouteDC]
    unassigned: list[dict] = field(default_factory=list)


def test_accepts_dataclasses():
    """Callers may pass dataclasses instead of dicts (never ORM rows)."""
    data = PlanDC(
        office={"name": "Kantor", "lat": -6.2, "lon": 106.8},
        routes=[RouteDC(courier={"id": 1, "name": "Andi"}, stops=[StopDC(1, "pickup", -6.19, 106.81, 7)])],
    )
    assert "Andi" in render_plan_map(data)


def test_live_map_positions_and_states():
    """The live map shows courier positions and marks done, failed and late-risk stops."""
    data = plan()
    stops = data["routes"][0]["stops"]
    stops[1]["status"] = "done"
    stops[2]["status"] = "failed"
    data["routes"][1]["stops"][0]["late_risk"] = True
    data["positions"] = [
        {
            "courier_id": 11,
            "courier_name": "Budi Santoso",
            "lat": -6.183,
            "lon": 106.842,
            "at": f"{DAY}T02:10:00Z",
            "accuracy_m": 12,
        }
    ]
    page = render_live_map(data)
    assert "ajib-num done" in page and "ajib-num failed" in page and "ajib-num late" in page
    assert "ajib-position" in page and "09.10" in page
    assert all(u.startswith("/static/vendor/") for u in asset_urls(page))


def test_service_area_map():
    """The service-area overview renders one layer per office with local assets."""
    page = render_service_area_map([{"name": "A", "lat": -6.2, "lon": 106.8}, {"name": "B", "lat": -6.3, "lon": 106.9}])
    assert "A" in page and "B" in page
    assert all(u.startswith("/static/vendor/") for u in asset_urls(page))


def test_scale_bar_is_metric_only():
    """Every folium map's scale bar shows metres and kilometres, never miles or feet."""
    for doc in (render_plan_map(plan()), render_live_map({"routes": [], "positions": []})):
        assert "L.control.scale({imperial: false})" in doc
        assert "L.control.scale()" not in doc
