"""Every text field of every operation, with hostile Unicode: 0 responses >= 500 (issue 15).

Each request starts from the access matrix's plausible request for the endpoint (tests/security), sent by a
role that may use it, so it gets past authentication into the code behind; then one text value at a time —
in the JSON body, the form, the query or the path — is replaced by a hostile string: right-to-left overrides,
zero-width characters, fullwidth digits, NUL and other controls, a lone surrogate, combining marks, 10 kB of
text. Each request runs in a savepoint rolled back afterwards, with fresh rate-limit counts, so requests are
independent. A refusal (4xx) is the expected answer for most; a 500 is a failure.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.factories.jobs import booking_payload, make_booking_office, next_bookable_day
from tests.security.test_access_matrix import COLUMNS, EXPECTED, NullQueue, _request

HOSTILE = {
    "rtl override": "Ani \u202egnp.exe\u202c",
    "bidi isolates": "\u2067مرحبا\u2069 Budi",
    "zero width": "Si\u200bti\u200d\u2060\ufeffRahayu",
    "fullwidth digits": "０８１２３４５６７８９０",
    "nul and controls": "a\x00b\x07c\x1b[31md\x7f\x85",
    "lone surrogate": "x\ud800y",
    "combining marks": "e" + "\u0301" * 300,
    "10 kB": "Jl. Melati 10 " * 732,
    "10 kB of emoji": "👨\u200d👩\u200d👧" * 1000,
}
# values that are ids, numbers, times or secrets in the base requests: not text fields
_NOT_TEXT = {"job_id", "stop_id", "courier_id", "office_id", "plan_id", "user_id", "device_time", "window_start",
             "date", "lat", "lon", "accuracy_m", "t", "copies", "kind", "from_party", "to_party", "reason", "role",
             "at"}  # fmt: skip
CSV_COLUMNS = ("kind", "application_number", "applicant_name", "phone", "address_text", "window_start", "documents",
               "lat", "lon", "rt_rw", "access_notes", "nik_last4", "representative_name")  # fmt: skip
CSV_TEXT = ("application_number", "applicant_name", "phone", "address_text", "documents", "rt_rw", "access_notes",
            "nik_last4", "representative_name", "window_start")  # fmt: skip
_TEXT_PATH_PARAMS = ("{tracking_code}", "{code}")


@pytest.fixture
def world(app, db_session, test_settings, reference_data):
    from tests.factories.access import make_access_world

    app.state.job_queue = NullQueue()
    w = make_access_world(db_session, test_settings)
    w.fixed_tokens = {role: w.headers(role) for role in COLUMNS if role in w.users}
    w.booking_office = make_booking_office(db_session, next_bookable_day())
    db_session.commit()
    return w


def _base(endpoint: str, world: Any) -> tuple[str, dict[str, Any]] | None:
    """A request that reaches the endpoint's code: the matrix's request by the first role allowed to use it."""
    role = next((r for r in COLUMNS if EXPECTED[endpoint][r] == "Y"), None)
    if role is None:
        return None
    spec = _request(endpoint, role, world)
    path = endpoint.split(" ", 1)[1].split("#")[0]
    ids = world.ids
    fuller = {
        "/api/bookings": booking_payload(world.booking_office, access_notes="Rumah pagar biru", rt_rw="001/002",
                                         representative_name="Budi", email="siti@example.id"),
        "/api/admin/users": {"username": "fuzz.user", "full_name": "Pengguna Fuzz", "role": "clerk",
                             "password": "Kopi-Tubruk-Pagi-Hari", "office_id": ids["office_id"]},
        "/api/admin/users/{user_id}": {"full_name": "Nama Baru"},
        "/api/admin/couriers": {"office_id": ids["office_id"], "name": "Kurir Fuzz", "phone": "0812-1111-2222",
                                "vehicle_plate": "B 1234 XYZ", "code": "FUZZ-1", "skills": ["kulkas"]},
        "/api/admin/couriers/{courier_id}": {"name": "Kurir Baru", "vehicle_plate": "B 4321 ZYX"},
    }  # fmt: skip
    if path in fuller and spec.get("json") is not None:
        spec["json"] = fuller[path]
    if path == "/api/handovers":
        spec["data"]["identity_note"] = "KTP cocok"
    if path == "/api/attempts":
        spec["data"]["reason"], spec["data"]["note"] = "other", "Pagar terkunci"
    return path, spec


def _variants(path: str, spec: dict[str, Any], world: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """The base request with one text value replaced by each hostile string."""

    def leaves(value: Any, where: tuple) -> Iterator[tuple]:
        if isinstance(value, dict):
            for k, v in value.items():
                if k not in _NOT_TEXT:
                    yield from leaves(v, (*where, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from leaves(v, (*where, i))
        elif isinstance(value, str):
            yield where

    targets = [("json", w) for w in leaves(spec.get("json"), ())]
    targets += [("data", (k,)) for k in (spec.get("data") or {}) if k not in _NOT_TEXT]
    targets += [("params", (k,)) for k, v in (spec.get("params") or {}).items() if k not in _NOT_TEXT]
    targets += [("path", (p,)) for p in _TEXT_PATH_PARAMS if p in path]
    for part, where in targets:
        for name, hostile in HOSTILE.items():
            if name == "lone surrogate" and part in ("data", "params"):
                continue  # cannot be sent as UTF-8 in a form or a query; JSON escapes it, the path takes raw bytes
            mutated = copy.deepcopy({k: v for k, v in spec.items() if k != "files"})
            mutated["files"] = spec.get("files")
            if part == "path":
                known = world.ids["tracking_code"] if where[0] == "{tracking_code}" else "3174050004"
                encoded = "%ED%A0%80%FF" if name == "lone surrogate" else quote(hostile, safe="")  # invalid UTF-8
                mutated["url"] = spec["url"].replace(known, encoded, 1)
            else:
                target = mutated[part]
                for key in where[:-1]:
                    target = target[key]
                target[where[-1]] = hostile
            if mutated.get("json") is not None:  # escaped JSON (\\ud800), as a browser's JSON.stringify sends it
                mutated["content"] = json.dumps(mutated.pop("json"))
                mutated["headers"] = {**mutated["headers"], "Content-Type": "application/json"}
            if "Idempotency-Key" in mutated["headers"]:
                from tests.factories.custody import new_key

                mutated["headers"]["Idempotency-Key"] = new_key()
            yield f"{part}:{'.'.join(map(str, where))}={name}", mutated


def _login(world: Any) -> tuple[str, str, dict[str, Any]]:
    """The login (not in the matrix: public by nature) with every text field it has."""
    body = {"username": "kurir.gambir.1", "password": "Kopi-Tubruk-Pagi-Hari", "kind": "device",
            "device_label": "HP Kurir"}  # fmt: skip
    return "POST /api/auth/token", "/api/auth/token", {"method": "POST", "url": "/api/auth/token", "json": body,
                                                        "headers": {}, "params": {}}  # fmt: skip


def _csv_imports(world: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """The CSV import, one hostile value per text column of a row (the file is the field here)."""
    where = world.booking_office
    row = {"kind": "pickup", "application_number": "APP-FUZZ-1", "applicant_name": "Siti", "phone": "081234567890",
           "address_text": "Jl. Melati 1", "window_start": "08:00", "documents": "KTP;Formulir",
           "lat": str(where.lat), "lon": str(where.lon), "rt_rw": "001/002", "access_notes": "pagar biru",
           "nik_last4": "1234", "representative_name": "Budi"}  # fmt: skip
    url = f"/api/offices/{where.office.id}/days/{where.day.isoformat()}/jobs/import"
    for column in CSV_TEXT:
        for name, hostile in HOSTILE.items():
            values = {**row, column: hostile}
            text = ",".join(CSV_COLUMNS) + "\n" + ",".join(f'"{values[c]}"' for c in CSV_COLUMNS) + "\n"
            data = text.encode("utf-8", "surrogatepass")  # a lone surrogate as the invalid UTF-8 bytes it would be
            yield f"csv:{column}={name}", {"method": "POST", "url": url, "headers": world.fixed_tokens["dispatcher"],
                                          "files": {"file": ("jobs.csv", data, "text/csv")}}  # fmt: skip


def test_hostile_unicode_in_every_text_field_gives_no_5xx(client, connection, world):
    """0 responses >= 500 over every text field of every operation, for every hostile string."""
    failures, sent = [], 0
    documented = {f"{m.upper()} {p}" for p, ops in client.app.openapi()["paths"].items() for m in ops}
    login_endpoint, login_path, login_spec = _login(world)
    requests: list[tuple[str, str, dict[str, Any]]] = [
        (login_endpoint, label, r) for label, r in _variants(login_path, login_spec, world)
    ]
    for endpoint in EXPECTED:
        if endpoint.split("#")[0] not in documented:
            continue
        base = _base(endpoint, world)
        if base is None:
            continue
        path, spec = base
        requests += [(endpoint, label, r) for label, r in _variants(path, spec, world)]
    requests += [("POST /api/offices/{office_id}/days/{day}/jobs/import", label, r) for label, r in _csv_imports(world)]
    for endpoint, label, request in requests:
        client.app.state.throttle.storage.reset()
        savepoint = connection.begin_nested()
        try:
            response = client.request(**request)
        finally:
            savepoint.rollback()
            world.session.expire_all()
        sent += 1
        if response.status_code >= 500:
            failures.append(f"{endpoint} {label}: {response.status_code} {response.text[:200]}")
    assert sent > 450, sent  # every text field of every operation got each hostile string
    assert not failures, "\n".join(failures)
