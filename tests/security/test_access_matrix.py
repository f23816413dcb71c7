"""Access matrix: every endpoint × every role → allowed or refused (401/403/404) as designed, no one else's data.

The world (tests/factories/access.py): one office with admin, dispatcher and clerk; courier A holds job 1
(picked up) and has job 3 planned; courier B has job 2 (a delivery). "applicant" holds job 1's code and
secret; "applicant-other" tries job 2's code with job 1's secret. Each cell runs in its own savepoint,
rolled back afterwards, so cells are independent (a revoke, a cancel or a handover does not leak into the
next cell) and the rate-limit counters of one cell do not trip another.

Reading the table: Y = the request reaches the use case (2xx, or a domain 409/422 for the chosen payload;
GETs must be 200), n = refused with 401, 403 or 404. Adding an endpoint means adding a row here. The last
two columns are a dispatcher and a clerk of *another* office: lists answer them (empty of this office's
data), everything naming this office's objects refuses them. Marking a permit ready is open to any
office's staff (the issuing office need not be the delivering one).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from dispatch.clock import utcnow
from dispatch.survey.elements import KEYS as SURVEY_KEYS
from tests.factories.access import PERSONAL, make_access_world
from tests.factories.custody import jpeg_bytes, new_key, png_signature

COLUMNS = (
    "admin",
    "dispatcher",
    "clerk",
    "courier_a",
    "courier_b",
    "applicant",
    "applicant_other",
    "anonymous",
    "dispatcher_other_office",
    "clerk_other_office",
)

# endpoint (method path[#variant])                      adm disp clrk curA curB appl othr anon dOth cOth
MATRIX = """
GET /api/health                                          Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /livez                                               Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /readyz                                              Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /api/auth/me                                         Y   Y    Y    Y    Y    n    n    n    Y    Y
POST /api/auth/revoke                                    Y   Y    Y    Y    Y    n    n    n    Y    Y
POST /api/auth/users/{user_id}/revoke-all                Y   n    n    n    n    n    n    n    n    n
GET /api/offices                                         Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /api/offices/{office_id}                             Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /api/offices/{office_id}/service-area.geojson        Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /api/geo/basemap.geojson                             Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /api/geo/locate                                      Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /api/geo/kelurahan                                   Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /api/geo/kelurahan/{code}                            Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /api/slots                                           Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /api/slots/days                                      Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /api/calendar                                        Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
POST /api/bookings                                       Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
POST /api/bookings/{tracking_code}/rebook                n   n    n    n    n    Y    n    n    n    n
POST /api/bookings/{tracking_code}/cancel                n   n    n    n    n    Y    n    n    n    n
GET /api/bookings/{tracking_code}/delivery-windows       n   n    n    n    n    n    n    n    n    n
GET /api/bookings/{tracking_code}/delivery-days          n   n    n    n    n    n    n    n    n    n
POST /api/bookings/{tracking_code}/delivery-window       n   n    n    n    n    n    n    n    n    n
GET /api/track/{tracking_code}                           n   n    n    n    n    Y    n    n    n    n
GET /api/track/{tracking_code}/evidence/{evidence_id}    n   n    n    n    n    Y    n    n    n    n
GET /api/track/{tracking_code}/calendar.ics              n   n    n    n    n    Y    n    n    n    n
POST /api/survey/{tracking_code}                         n   n    n    n    n    Y    n    n    n    n
GET /api/ikm                                             Y   Y    Y    n    n    n    n    n    Y    Y
POST /api/courier/positions                              n   n    n    Y    Y    n    n    n    n    n
GET /api/courier/route                                   n   n    n    Y    Y    n    n    n    n    n
GET /api/courier/stops/{stop_id}                         n   n    n    Y    n    n    n    n    n    n
GET /api/offices/{office_id}/days/{day}                  Y   Y    n    n    n    n    n    n    n    n
POST /api/offices/{office_id}/days/{day}/jobs/import     Y   Y    n    n    n    n    n    n    n    n
POST /api/offices/{office_id}/days/{day}/plans           Y   Y    n    n    n    n    n    n    n    n
POST /api/offices/{office_id}/days/{day}/replan          Y   Y    n    n    n    n    n    n    n    n
POST /api/days/{day}/plans                               Y   n    n    n    n    n    n    n    n    n
GET /api/solve-runs/{run_id}                             Y   Y    n    n    n    n    n    n    n    n
GET /api/plans/{plan_id}                                 Y   Y    n    n    n    n    n    n    n    n
GET /api/plans/{plan_id}/compare                         Y   Y    n    n    n    n    n    n    n    n
POST /api/plans/{plan_id}/moves                          Y   Y    n    n    n    n    n    n    n    n
PATCH /api/jobs/{job_id}/needs                           Y   Y    n    n    n    n    n    n    n    n
GET /api/offices/{office_id}/performance                 Y   Y    n    n    n    n    n    n    n    n
POST /api/plans/{plan_id}/publish                        Y   Y    n    n    n    n    n    n    n    n
GET /api/plans/{plan_id}/map                             Y   Y    n    n    n    n    n    n    n    n
GET /api/live/{office_id}/{day}                          Y   Y    n    n    n    n    n    n    n    n
GET /api/live/{office_id}/{day}/map                      Y   Y    n    n    n    n    n    n    n    n
POST /api/handovers#office                               Y   Y    Y    n    n    n    n    n    n    n
POST /api/handovers#door                                 n   n    n    Y    n    n    n    n    n    n
POST /api/attempts                                       n   n    n    Y    n    n    n    n    n    n
GET /api/jobs/{job_id}/custody                           Y   Y    Y    n    n    n    n    n    n    n
GET /receipts/{handover_id}.pdf                          Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /receipts/{handover_id}                              Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /verify/{handover_id}                                Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /receipts/{handover_id}.json                         Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /verify-offline                                      Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
POST /api/courier/device-key                             n   n    n    Y    Y    n    n    n    n    n
GET /api/log/key                                         Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /api/log/checkpoint                                  Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /api/log/checkpoints/{size}                          Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /api/log/proof/inclusion                             Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /api/log/proof/consistency                           Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
POST /api/log/cosignatures                               Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /api/notifications                                   Y   Y    Y    n    n    n    n    n    Y    Y
POST /api/notifications/dispatch                         Y   n    n    n    n    n    n    n    n    n
POST /api/notifications/{notification_id}/requeue        Y   n    n    n    n    n    n    n    n    n
POST /api/notifications/permit-ready                     Y   Y    Y    n    n    n    n    n    Y    Y
POST /api/integrations/permits/issued                    Y   n    n    n    n    n    n    n    n    n
POST /api/admin/integrations                             Y   n    n    n    n    n    n    n    n    n
POST /api/admin/integrations/{user_id}/keys              Y   n    n    n    n    n    n    n    n    n
GET /api/admin/webhooks                                  Y   n    n    n    n    n    n    n    n    n
POST /api/admin/webhooks                                 Y   n    n    n    n    n    n    n    n    n
DELETE /api/admin/webhooks/{subscription_id}             Y   n    n    n    n    n    n    n    n    n
GET /api/admin/webhooks/{subscription_id}/deliveries     Y   n    n    n    n    n    n    n    n    n
POST /api/admin/webhooks/deliveries/{delivery_id}/redeliver Y n   n    n    n    n    n    n    n    n
GET /api/admin/couriers                                  Y   Y    n    n    n    n    n    n    Y    n
POST /api/admin/couriers                                 Y   Y    n    n    n    n    n    n    n    n
GET /api/admin/couriers/{courier_id}                     Y   Y    n    n    n    n    n    n    n    n
PATCH /api/admin/couriers/{courier_id}                   Y   Y    n    n    n    n    n    n    n    n
GET /api/admin/shifts                                    Y   Y    n    n    n    n    n    n    n    n
POST /api/admin/shifts                                   Y   Y    n    n    n    n    n    n    n    n
POST /api/admin/shifts/day                               Y   Y    n    n    n    n    n    n    n    n
PATCH /api/admin/shifts/{shift_id}                       Y   Y    n    n    n    n    n    n    n    n
GET /api/admin/users                                     Y   n    n    n    n    n    n    n    n    n
POST /api/admin/users                                    Y   n    n    n    n    n    n    n    n    n
PATCH /api/admin/users/{user_id}                         Y   n    n    n    n    n    n    n    n    n
POST /api/admin/users/{user_id}/unlock                   Y   n    n    n    n    n    n    n    n    n
GET /api/admin/office-days                               Y   Y    n    n    n    n    n    n    Y    n
PUT /api/admin/office-days/{day}                         Y   Y    n    n    n    n    n    n    n    n
DELETE /api/admin/office-days/{day}                      Y   Y    n    n    n    n    n    n    n    n
GET /                                                    Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /booking                                             Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /track/{code}                                        Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /survey/{code}                                       Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /courier/                                            Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /courier/manifest.webmanifest                        Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /courier/sw.js                                       Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /dispatcher/                                         Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
GET /dispatcher/print/{plan_id}/{courier_id}             Y   Y    Y    Y    Y    Y    Y    Y    Y    Y
"""
POST_LOGIN = "POST /api/auth/token"  # public by nature; its brute-force limit is tested in test_auth_limits.py
EXPECTED = {
    line.split()[0] + " " + line.split()[1]: dict(zip(COLUMNS, line.split()[2:], strict=True))
    for line in MATRIX.strip().splitlines()
}
# personal data of job 1, 2, 3 (applicant name, phone, address) and who may see which job
PRIVATE = {i + 1: set(values) for i, values in enumerate(PERSONAL)}
MAY_SEE = {
    "admin": {1, 2, 3},
    "dispatcher": {1, 2, 3},
    "clerk": {1, 2, 3},
    "courier_a": {1, 3},
    "courier_b": {2},
    "applicant": {1},
    "applicant_other": {1},
    "anonymous": set(),
    "dispatcher_other_office": set(),
    "clerk_other_office": set(),
}
DENIED = {401, 403, 404}


class NullQueue:
    def defer(self, session: Any, run_ids: Any, *, request_id: Any = None) -> None:
        return None


@pytest.fixture
def world(app, db_session, test_settings, reference_data):
    app.state.job_queue = NullQueue()
    w = make_access_world(db_session, test_settings)
    w.fixed_tokens = {role: w.headers(role) for role in COLUMNS if role in w.users}
    return w


def _request(endpoint: str, role: str, w) -> dict[str, Any]:
    """The concrete request a role makes to an endpoint: real ids, a plausible body, its credentials."""
    ids = w.ids
    method, path = endpoint.split(" ", 1)
    path, _, variant = path.partition("#")
    code, secret = ids["tracking_code"], ids["secret"]
    if role == "applicant_other":
        code = ids["other_tracking_code"]
    elif role != "applicant":
        secret = "salah-" + "x" * 16  # a wrong secret: only the applicant knows job 1's
    values = {**ids, "tracking_code": code, "code": "3174050004"}
    if path.startswith(("/track/", "/survey/")):
        values["code"] = code
    url = path.format(**values)
    headers = dict(w.fixed_tokens.get(role, {}))
    kw: dict[str, Any] = {"headers": headers, "params": {}}
    day = ids["day"]
    if path.startswith("/api/track/"):
        kw["params"]["secret"] = secret
    if path.startswith(("/receipts/", "/verify/")):
        kw["params"]["t"] = ids["t"]
    simple_params = {
        "/api/geo/locate": {"lat": -6.2441, "lon": 106.8},
        "/api/geo/kelurahan": {"q": "Melawai"},
        # the plan's day is today, which may be a Sunday; slots are offered only on days the office opens
        "/api/slots": {"date": ids["booking_day"], "kind": "pickup", "lat": -6.2441, "lon": 106.8},
        "/api/slots/days": {"kind": "pickup", "lat": -6.2441, "lon": 106.8},
        "/api/admin/office-days/{day}": {"office_id": ids["office_id"]} if method == "DELETE" else {},
        "/api/courier/route": {"date": day},
        "/api/log/proof/inclusion": {"index": 0, "tree_size": ids["size"]},
        "/api/log/proof/consistency": {"from": 1, "to": ids["size"]},
        "/api/admin/shifts": {"date": day, "office_id": ids["office_id"]} if method == "GET" else {},
        "/api/notifications": {"job_id": ids["job_id"]} if method == "GET" else {},
        "/api/bookings/{tracking_code}/delivery-windows": {"date": day, "t": "1.00000000000000000000000000000000"},
        "/api/bookings/{tracking_code}/delivery-days": {"t": "1.00000000000000000000000000000000"},
    }
    kw["params"].update(simple_params.get(path, {}))
    bodies = {
        "/api/auth/revoke": {},
        "/api/courier/device-key": {"public_key": _p256_spki()},
        "/api/log/cosignatures": {"size": ids["size"], "signature": "\u2014 nobody AAAA"},
        "/api/bookings": {},
        "/api/bookings/{tracking_code}/rebook": {
            "secret": secret,
            "date": day,
            "window_start": f"{day}T10:00:00+07:00",
        },
        "/api/bookings/{tracking_code}/cancel": {"secret": secret},
        "/api/courier/positions": {
            "batch_id": f"b-{new_key()}",
            "positions": [{"at": utcnow().isoformat(), "lat": -6.25, "lon": 106.8, "accuracy_m": 6.0}],
        },
        "/api/offices/{office_id}/days/{day}/plans": {},
        "/api/offices/{office_id}/days/{day}/replan": {},
        "/api/plans/{plan_id}/moves": {"job_id": ids["job_id"], "courier_id": ids["courier_id"], "lock": False},
        "/api/jobs/{job_id}/needs": {"priority": 100, "skills": ["kuasa"]},
        "/api/notifications/permit-ready": {"application_number": ids["other_application_number"]},
        "/api/integrations/permits/issued": {"application_number": ids["other_application_number"]},
        "/api/admin/integrations": {"username": f"int-{new_key()[:8]}", "full_name": "Sistem Izin"},
        "/api/admin/webhooks": {"url": "http://127.0.0.1:9/hook", "events": ["job.booked"]},
        "/api/bookings/{tracking_code}/delivery-window": {
            "t": "1.00000000000000000000000000000000",
            "date": day,
            "window_start": f"{day}T10:00:00+07:00",
        },
        "/api/days/{day}/plans": {},
        "/api/admin/couriers": {"office_id": ids["office_id"], "name": "Kurir Matriks"},
        "/api/admin/couriers/{courier_id}": {},
        "/api/admin/shifts": {"courier_id": ids["courier_id"], "date": day, "replace": True},
        "/api/admin/shifts/day": {"office_id": ids["office_id"], "date": day},
        "/api/admin/shifts/{shift_id}": {"available": True},
        "/api/admin/users": {},
        "/api/admin/users/{user_id}": {},
        "/api/admin/office-days/{day}": {"office_id": ids["office_id"], "reason": "Rapat kerja"},
        # job 1 is with the courier, not finished: the applicant reaches the use case (409 survey_not_open)
        "/api/survey/{tracking_code}": {"secret": secret, "answers": dict.fromkeys(SURVEY_KEYS, 4)},
    }
    if path in bodies and method in ("POST", "PATCH", "PUT"):
        kw["json"] = bodies[path]
    if path == "/api/offices/{office_id}/days/{day}/jobs/import":
        kw["files"] = {"file": ("jobs.csv", b"application_number,applicant_name\n", "text/csv")}
    if path == "/api/handovers":
        headers["Idempotency-Key"] = new_key()
        if variant == "office":  # job 1 (held by courier A) handed in at the counter
            form = {"job_id": ids["job_id"], "from_party": "courier", "to_party": "office", "recipient_name": "Loket"}
        else:  # job 3 collected at the door
            form = {
                "job_id": ids["third_job_id"],
                "from_party": "applicant",
                "to_party": "courier",
                "recipient_name": "Citra",
                "lat": -6.244,
                "lon": 106.8,
                "accuracy_m": 5,
            }
        form["device_time"] = utcnow().isoformat()
        kw["data"] = {k: str(v) for k, v in form.items()}
        kw["files"] = [
            ("photos", ("f.jpg", jpeg_bytes(size=(64, 48)), "image/jpeg")),
            ("signature", ("s.png", png_signature(), "image/png")),
        ]
    if path == "/api/attempts":
        headers["Idempotency-Key"] = new_key()
        kw["data"] = {"job_id": str(ids["third_job_id"]), "reason": "not_home", "device_time": utcnow().isoformat()}
        kw["files"] = [("photos", ("f.jpg", jpeg_bytes(size=(64, 48)), "image/jpeg"))]
    if path == "/api/auth/users/{user_id}/revoke-all":
        url = f"/api/auth/users/{ids['user_id']}/revoke-all"
    if path == "/api/admin/integrations/{user_id}/keys":
        url = f"/api/admin/integrations/{ids['integration_user_id']}/keys"
    return {"method": method, "url": url, **kw}


def _p256_spki() -> str:
    import base64

    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return base64.b64encode(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).decode()


def _leaks(role: str, text: str) -> list[str]:
    return [
        f"job {job}: {value!r}"
        for job, values in PRIVATE.items()
        if job not in MAY_SEE[role]
        for value in values
        if value in text
    ]


def test_matrix_covers_every_endpoint(app):
    """Every operation in the OpenAPI document has a row (a new endpoint must declare who may use it)."""
    documented = {f"{m.upper()} {p}" for p, ops in app.openapi()["paths"].items() for m in ops}
    listed = {key.split("#")[0] for key in EXPECTED} | {POST_LOGIN}
    missing = sorted(documented - listed)
    stale = sorted(listed - documented)
    assert not missing, f"add these endpoints to MATRIX in {__file__}: {missing}"
    assert not stale, f"MATRIX lists endpoints the app does not have: {stale}"


def test_every_endpoint_for_every_role(client, connection, world):
    """Each cell: allowed roles get through (GET → 200), others get 401/403/404; no response carries
    personal data of a job the role may not see."""
    wrong, leaks, seen = [], [], set()
    documented = {f"{m.upper()} {p}" for p, ops in client.app.openapi()["paths"].items() for m in ops}
    for endpoint, expected in EXPECTED.items():
        if endpoint.split("#")[0] not in documented:
            continue  # reported by test_matrix_covers_every_endpoint
        for role in COLUMNS:
            client.app.state.throttle.storage.reset()  # like the rows, one cell's counts must not trip the next
            savepoint = connection.begin_nested()
            try:
                spec = _request(endpoint, role, world)
                response = client.request(**spec)
            finally:
                savepoint.rollback()
            status = response.status_code
            allowed = expected[role] == "Y"
            ok = (
                (status == 200 if spec["method"] == "GET" else status not in DENIED and status < 500)
                if allowed
                else (status in DENIED)
            )
            if not ok:
                wrong.append(f"{endpoint} as {role}: {status} {response.text[:160]}")
            found = _leaks(role, response.text)
            if found:
                leaks.append(f"{endpoint} as {role} ({status}): {found}")
            seen |= {job for job, values in PRIVATE.items() if any(v in response.text for v in values)}
    assert not wrong, "\n".join(wrong)
    assert not leaks, "\n".join(leaks)
    assert seen == set(PRIVATE), f"the leak check is blind: personal data of jobs {set(PRIVATE) - seen} never shown"


def test_receipt_links_need_their_token(client, world):
    """A receipt or verify link without its token, or with another handover's, is a 404 like a missing id."""
    hid = world.ids["handover_id"]
    for url in (f"/receipts/{hid}", f"/receipts/{hid}.pdf", f"/verify/{hid}"):
        assert client.get(url).status_code == 404
        assert client.get(url, params={"t": "0" * 32}).status_code == 404
        assert client.get(url, params={"t": world.ids["t"]}).status_code == 200


def test_expired_and_revoked_tokens_are_refused(client, world, db_session, test_settings):
    """A token past its expiry is 401 token_expired; a revoked one (own revoke, or an admin's revoke-all for a
    lost phone) is 401 token_revoked; tampered, unsigned or foreign-key tokens are 401."""
    from dispatch.users.models import User
    from dispatch.users.service import issue_token

    dispatcher = db_session.get(User, world.users["dispatcher"])
    old = issue_token(
        session=db_session,
        user=dispatcher,
        kind="access",
        settings=test_settings,
        now=utcnow() - timedelta(minutes=test_settings.access_token_minutes + 1),
    )
    db_session.commit()
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {old.token}"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_expired"

    fresh = world.headers("dispatcher")
    assert client.get("/api/auth/me", headers=fresh).status_code == 200
    assert client.post("/api/auth/revoke", headers=fresh, json={}).status_code == 204
    response = client.get("/api/auth/me", headers=fresh)
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_revoked"

    phone = world.headers("courier_a")
    assert client.get("/api/courier/route", headers=phone, params={"date": world.ids["day"]}).status_code == 200
    admin = world.headers("admin")
    revoked = client.post(f"/api/auth/users/{world.users['courier_a']}/revoke-all", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked"] >= 1
    assert client.get("/api/courier/route", headers=phone, params={"date": world.ids["day"]}).status_code == 401

    tampered = fresh["Authorization"][:-4] + "AAAA"
    assert client.get("/api/auth/me", headers={"Authorization": tampered}).status_code == 401
    # an unsigned token (alg "none") naming the admin, and one signed with another key, are not accepted
    import jwt

    claims = jwt.decode(admin["Authorization"].split()[1], options={"verify_signature": False})
    for forged in (jwt.encode(claims, key=None, algorithm="none"), jwt.encode(claims, "x" * 48, algorithm="HS256")):
        assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert json.loads(client.get("/api/auth/me").text)["error"]["code"]


def test_applicant_cannot_fetch_another_jobs_evidence_with_own_secret(client, world):
    """Job 2's applicant (right code, right secret) asking for job 1's photo by id gets 404, not the image."""
    code2 = world.ids["other_tracking_code"]
    secret2 = world.secrets[code2]
    assert client.get(f"/api/track/{code2}", params={"secret": secret2}).status_code == 200
    evidence_of_job1 = world.ids["evidence_id"]
    response = client.get(f"/api/track/{code2}/evidence/{evidence_of_job1}", params={"secret": secret2})
    assert response.status_code == 404
    own = client.get(
        f"/api/track/{world.ids['tracking_code']}/evidence/{evidence_of_job1}", params={"secret": world.ids["secret"]}
    )
    assert own.status_code == 200 and own.headers["content-type"].startswith("image/")
