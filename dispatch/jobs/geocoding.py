"""Where the applicant is: their pin, else a geocoded address, else the kelurahan's own point.

A pin the applicant placed on the booking map is the most precise thing we get, so it wins. Without
one, the address is geocoded through geopy against a Nominatim-compatible service (when
``geocoder_url`` is set), at most one request per second per process as public Nominatim demands,
and every answer (including "not found") is cached in ``geocode_cache`` so an address is asked once.
When the geocoder is absent, down or finds nothing, the kelurahan chosen in the form gives a point
inside its polygon: coarse, but always in the right service area.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from geoalchemy2.functions import ST_X, ST_Y
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from dispatch.jobs.errors import LocationRequired, UnknownKelurahan
from dispatch.jobs.models import GeocodeCache
from dispatch.offices import gazetteer
from dispatch.offices.errors import KelurahanNotFound
from dispatch.offices.models import AdminArea

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dispatch.config import Settings

log = logging.getLogger(__name__)

# mainland Jakarta, (south-west, north-east) as (lat, lon): results elsewhere are not our applicants
JAKARTA_VIEWBOX = ((-6.38, 106.65), (-6.05, 107.0))


class GeocoderUnavailable(Exception):
    """The service could not answer (network, timeout, 5xx); not cached, the caller falls back."""


class Geocoder(Protocol):
    name: str

    def geocode(self, query: str) -> tuple[float, float] | None:
        """(lat, lon) of the best match, None when nothing matches; raises GeocoderUnavailable."""
        ...


class NominatimGeocoder:
    """geopy's Nominatim client pointed at any Nominatim-compatible ``/search`` endpoint.

    Requests of one process go one at a time, each at least ``min_delay_s`` after the previous one
    *ended*. Why not geopy's ``RateLimiter``: it spaces the starts of calls, so a request held up in
    flight reaches the service less than a second before the next one (0.81 s once, on a busy CI
    machine), and public Nominatim counts arrivals, one at a time.
    """

    def __init__(self, url: str, user_agent: str, *, timeout_s: float = 5.0, min_delay_s: float = 1.0) -> None:
        from geopy.geocoders import Nominatim

        parts = urlsplit(url)
        domain = (parts.netloc + parts.path).rstrip("/")
        self.name = f"nominatim:{domain}"
        self._client = Nominatim(
            user_agent=user_agent, domain=domain, scheme=parts.scheme or "https", timeout=timeout_s
        )
        self._min_delay_s = min_delay_s
        # shared by every request of this process through geocoder_for()
        self._lock = threading.Lock()
        self._free_at = 0.0  # time.monotonic() from which the next request may start

    def geocode(self, query: str) -> tuple[float, float] | None:
        from geopy.exc import GeopyError

        with self._lock:
            time.sleep(max(0.0, self._free_at - time.monotonic()))
            try:
                found = self._client.geocode(
                    query, exactly_one=True, country_codes="id", viewbox=JAKARTA_VIEWBOX, bounded=True
                )
            except GeopyError as exc:
                raise GeocoderUnavailable(str(exc)) from exc
            finally:
                self._free_at = time.monotonic() + self._min_delay_s
        if found is None:
            return None
        return float(found.latitude), float(found.longitude)


@lru_cache(maxsize=4)
def geocoder_for(url: str, user_agent: str) -> NominatimGeocoder:
    """One client (and so one rate limiter) per service per process."""
    return NominatimGeocoder(url, user_agent)


def configured_geocoder(settings: Settings) -> Geocoder | None:
    if not settings.geocoder_url:
        return None
    return geocoder_for(settings.geocoder_url, settings.geocoder_user_agent)


@dataclass(frozen=True)
class ResolvedLocation:
    lat: float
    lon: float
    source: str  # gps | geocoder | gazetteer (jobs.location_source)


def normalise_query(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def cached_geocode(*, session: Session, geocoder: Geocoder, query: str) -> tuple[float, float] | None:
    """Ask the cache, then the service; remember the answer, including 'nothing found'."""
    key = normalise_query(query)
    row = session.execute(
        select(GeocodeCache.id, ST_Y(GeocodeCache.location), ST_X(GeocodeCache.location)).where(
            GeocodeCache.query == key
        )
    ).first()
    if row is not None:
        return None if row[1] is None else (float(row[1]), float(row[2]))
    point = geocoder.geocode(query)
    location = None if point is None else func.ST_SetSRID(func.ST_MakePoint(point[1], point[0]), 4326)
    session.execute(
        insert(GeocodeCache)
        .values(query=key, provider=geocoder.name[:64], location=location)
        .on_conflict_do_nothing(index_elements=["query"])
    )
    return point


def kelurahan_point(*, session: Session, code: str) -> tuple[float, float]:
    """A point inside the kelurahan (the offices concept's gazetteer); 422 for a code that does not exist."""
    try:
        entry = gazetteer.kelurahan_point(session=session, code=code)
    except KelurahanNotFound as exc:
        raise UnknownKelurahan(code) from exc
    return entry.lat, entry.lon


def near_kelurahan(*, session: Session, code: str, lat: float, lon: float, metres: float = 1000.0) -> bool:
    """A geocoded point far from the kelurahan the applicant chose is a wrong match, not their home."""
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    return bool(
        session.scalar(
            select(func.ST_DWithin(func.Geography(AdminArea.geom), func.Geography(point), metres)).where(
                AdminArea.code == code
            )
        )
    )


def kelurahan_label(*, session: Session, code: str | None) -> str:
    if not code:
        return ""
    row = session.execute(
        select(AdminArea.name, AdminArea.kecamatan, AdminArea.kota).where(AdminArea.code == code)
    ).first()
    return ", ".join(part for part in (row or ()) if part)


def resolve_location(
    *,
    session: Session,
    geocoder: Geocoder | None,
    lat: float | None,
    lon: float | None,
    address_text: str,
    kelurahan_code: str | None,
) -> ResolvedLocation:
    """Pin, else geocoder, else kelurahan point; LocationRequired when none of them gives a point."""
    if lat is not None and lon is not None:
        return ResolvedLocation(lat, lon, "gps")
    # a bad kelurahan code fails here, before a geocoder request is spent
    fallback = kelurahan_point(session=session, code=kelurahan_code) if kelurahan_code else None
    if geocoder is not None and address_text:
        area = kelurahan_label(session=session, code=kelurahan_code)
        query = ", ".join(part for part in (address_text, area, "DKI Jakarta", "Indonesia") if part)
        try:
            point = cached_geocode(session=session, geocoder=geocoder, query=query)
        except GeocoderUnavailable as exc:
            log.warning("geocoder unavailable, falling back: %s", exc)
            point = None
        if point is not None and (
            kelurahan_code is None or near_kelurahan(session=session, code=kelurahan_code, lat=point[0], lon=point[1])
        ):
            return ResolvedLocation(point[0], point[1], "geocoder")
    if fallback is not None:
        return ResolvedLocation(fallback[0], fallback[1], "gazetteer")
    raise LocationRequired()
