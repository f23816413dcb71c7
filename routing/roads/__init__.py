"""Road engines: travel times, distances and route lines along a road network.

``OsrmEngine`` and ``ValhallaEngine`` talk to a server over HTTP; ``EmbeddedValhalla`` answers in this
process from tiles on disk. All are ``TravelModel``s (``matrix``) with rectangular ``table``s cut to the
server's caps and sent concurrently, and ``legs`` for the lines on a map. ``MatrixCache`` grows a
matrix by the points that changed; ``fit_haversine`` calibrates the straight-line default against
an engine.
"""

from routing.roads.base import UNREACHABLE_M, UNREACHABLE_S, RoadEngine, RouteRefused
from routing.roads.cache import MatrixCache
from routing.roads.calibrate import Calibration, TimeErrors, fit_haversine, time_errors
from routing.roads.osrm import MOTORBIKE_PROFILE, OsrmEngine
from routing.roads.tiling import Block, blocks
from routing.roads.valhalla import DEFAULT_COSTING, EmbeddedValhalla, ValhallaEngine

__all__ = [
    "DEFAULT_COSTING",
    "MOTORBIKE_PROFILE",
    "UNREACHABLE_M",
    "UNREACHABLE_S",
    "Block",
    "Calibration",
    "EmbeddedValhalla",
    "MatrixCache",
    "OsrmEngine",
    "RoadEngine",
    "RouteRefused",
    "TimeErrors",
    "ValhallaEngine",
    "blocks",
    "fit_haversine",
    "time_errors",
]
