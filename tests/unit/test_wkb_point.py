"""A loaded point's coordinates are read from its (E)WKB bytes directly (``lat_lon``'s fast path): the same
answer as shapely's for every layout a point can come in, and shapely's answer for anything that is not one."""

from __future__ import annotations

import random

import pytest
import shapely
from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import from_shape
from shapely.geometry import LineString, Point

from dispatch.planning.problem_builder import lat_lon, wkb_point


@pytest.mark.parametrize("seed", range(3))
def test_points_in_every_layout_read_as_shapely_reads_them(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        point = Point(rng.uniform(-180, 180), rng.uniform(-90, 90))
        for srid in (None, 4326):
            geom = shapely.set_srid(point, srid) if srid else point
            for hex_, order in ((False, 1), (True, 0)):
                data = shapely.to_wkb(geom, hex=hex_, byte_order=order, include_srid=srid is not None)
                raw = bytes.fromhex(data) if isinstance(data, str) else data
                assert wkb_point(raw) == (point.y, point.x)
                element = WKBElement(data, srid=srid or -1, extended=srid is not None)
                assert lat_lon(element) == (point.y, point.x)


def test_what_is_not_a_2d_point_is_left_to_shapely() -> None:
    line = shapely.to_wkb(LineString([(106.8, -6.2), (106.9, -6.3)]))
    point3d = shapely.to_wkb(Point(106.8, -6.2, 12.0))
    assert wkb_point(line) is None and wkb_point(point3d) is None and wkb_point(b"\x02" + point3d[1:21]) is None
    assert lat_lon(from_shape(Point(106.8, -6.2), srid=4326)) == (-6.2, 106.8)
    assert lat_lon("SRID=4326;POINT(106.8 -6.2)") == (-6.2, 106.8)
