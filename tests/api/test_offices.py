"""HTTP: offices, service areas, point location and the kelurahan gazetteer (public endpoints)."""

from __future__ import annotations

from tests.factories.offices import GAMBIR, MONAS, reference_office


def test_offices_list(client, reference_data) -> None:
    """51 offices with coordinates and whether the point is derived; a level filter narrows the list."""
    body = [o for o in client.get("/api/offices").json() if o["code"].startswith("PTSP-")]  # others add TST-…
    assert len(body) == 51
    first = body[0]
    assert first["level"] == "provinsi" and first["location_derived"] is True and "Kebon Sirih" in first["address"]
    assert {"id", "code", "name", "level", "lat", "lon", "location_derived"} <= set(first)
    kota = client.get("/api/offices", params={"level": "kota"}).json()
    assert len([o for o in kota if o["code"].startswith("PTSP-")]) == 6 and {o["level"] for o in kota} == {"kota"}
    assert client.get("/api/offices", params={"level": "desa"}).status_code == 422


def test_office_detail_and_service_area_geojson(client, db_session, reference_data) -> None:
    """An office carries its service area; the .geojson endpoint serves a Feature as application/geo+json."""
    office = reference_office(db_session, GAMBIR)
    detail = client.get(f"/api/offices/{office.id}").json()
    assert detail["code"] == GAMBIR and detail["kecamatan"] == "Gambir"
    assert detail["service_area"]["type"] == "MultiPolygon"
    resp = client.get(f"/api/offices/{office.id}/service-area.geojson", params={"simplify_m": 20})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/geo+json")
    feature = resp.json()
    assert feature["type"] == "Feature" and feature["properties"]["code"] == GAMBIR


def test_unknown_office_is_404(client, reference_data) -> None:
    """A missing office gives the standard error body with code office_not_found."""
    resp = client.get("/api/offices/999999")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "office_not_found"


def test_locate_monas(client, reference_data) -> None:
    """Monas is in Kelurahan Gambir, served by the Gambir PTSP counter."""
    body = client.get("/api/geo/locate", params={"lat": MONAS[0], "lon": MONAS[1]}).json()
    assert body["kelurahan"]["name"] == "Gambir" and body["kota"]["code"] == "3173"
    assert body["office"]["code"] == GAMBIR and body["office"]["level"] == "kecamatan"


def test_locate_in_the_sea_is_422_outside_jakarta_in_both_languages(client, reference_data) -> None:
    """The Java Sea: 422 outside_jakarta, Indonesian by default, English with ?lang=en, nearest kelurahan named."""
    params = {"lat": -5.98, "lon": 106.85}
    resp = client.get("/api/geo/locate", params=params)
    assert resp.status_code == 422
    err = resp.json()["error"]
    assert err["code"] == "outside_jakarta" and err["message"] == err["message_id"]
    assert err["details"]["nearest_kelurahan"]["name"]
    en = client.get("/api/geo/locate", params={**params, "lang": "en"}).json()["error"]
    assert en["message"] == en["message_en"] and "outside" in en["message"]


def test_locate_needs_numbers(client, reference_data) -> None:
    """Missing or non-numeric coordinates are a validation error; swapped ones say so."""
    assert client.get("/api/geo/locate", params={"lat": "x", "lon": 106.8}).json()["error"]["code"] == (
        "validation_error"
    )
    swapped = client.get("/api/geo/locate", params={"lat": 106.8272, "lon": -6.1754}).json()["error"]
    assert swapped["code"] == "invalid_coordinates"


def test_kelurahan_search_and_point(client, reference_data) -> None:
    """Search is forgiving; a code gives a point inside the kelurahan; short queries and unknown codes fail."""
    hits = client.get("/api/geo/kelurahan", params={"q": "Kebon Jeruk"}).json()
    assert hits[0]["name"] == "Kebon Jeruk" and hits[0]["kecamatan"] == "Kebon Jeruk"
    assert {"code", "name", "kecamatan", "kota", "lat", "lon"} <= set(hits[0])
    assert client.get("/api/geo/kelurahan", params={"q": "a"}).json()["error"]["code"] == "search_too_short"
    point = client.get(f"/api/geo/kelurahan/{hits[0]['code']}").json()
    assert point["code"] == hits[0]["code"]
    assert client.get("/api/geo/kelurahan/3199999999").status_code == 404


def test_openapi_documents_the_error_statuses(client) -> None:
    """Every route of this concept documents its 4xx answers with the error schema."""
    paths = client.get("/openapi.json").json()["paths"]
    assert "422" in paths["/api/geo/locate"]["get"]["responses"]
    assert "404" in paths["/api/offices/{office_id}"]["get"]["responses"]
    assert "404" in paths["/api/geo/kelurahan/{code}"]["get"]["responses"]


def test_basemap_is_our_boundaries_with_names_and_the_office(client, db_session, reference_data) -> None:
    """The offline base map: every kecamatan and kelurahan outline with its name and a label point inside
    Jakarta, simplified to stay light; with office_id, the office and its service area; cacheable by ETag;
    an unknown office is 404."""
    resp = client.get("/api/geo/basemap.geojson")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/geo+json")
    assert len(resp.content) < 1_500_000, "simplified for a phone"
    assert resp.headers["content-encoding"] == "gzip", "and compressed for a phone's data plan"
    body = resp.json()
    kinds = [f["properties"]["kind"] for f in body["features"]]
    assert kinds.count("kecamatan") == 44 and kinds.count("kelurahan") >= 261
    assert "office" not in kinds and "service_area" not in kinds
    kelurahan = [f for f in body["features"] if f["properties"]["kind"] == "kelurahan"]
    gambir = next(f for f in kelurahan if f["properties"]["name"] == "Gambir")
    lat, lon = gambir["properties"]["label"]
    assert -6.4 < lat < -6.0 and 106.6 < lon < 107.0
    assert gambir["geometry"]["type"] in ("Polygon", "MultiPolygon")

    again = client.get("/api/geo/basemap.geojson", headers={"If-None-Match": resp.headers["etag"]})
    assert again.status_code == 304 and not again.content

    office = reference_office(db_session, GAMBIR)
    with_office = client.get("/api/geo/basemap.geojson", params={"office_id": office.id}).json()
    extra = [f for f in with_office["features"] if f["properties"]["kind"] in ("office", "service_area")]
    assert [f["properties"]["kind"] for f in extra] == ["service_area", "office"]
    assert all(f["properties"]["code"] == GAMBIR for f in extra)
    assert extra[1]["geometry"]["type"] == "Point"
    missing = client.get("/api/geo/basemap.geojson", params={"office_id": 999999})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "office_not_found"
    assert client.get("/api/geo/basemap.geojson", params={"office_id": 0}).status_code == 422
