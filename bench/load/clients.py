"""The simulated day: couriers (positions + door handovers), office clerks, dispatchers, applicants.

Every write carries an idempotency key (``Idempotency-Key`` or ``batch_id``) chosen before the first
try; a transport error, a 5xx, a 429 or ``idempotency_in_progress`` is retried with the *same* key and
the *same* bytes until the request is acknowledged or its deadline passes. What the clients saw
acknowledged goes into the ledger that ``reconcile`` checks against the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
import httpx
from multidict import CIMultiDict

from bench.load.media import MediaFactory
from bench.load.metrics import Metrics
from bench.load.seed import OFFICE_LAT, OFFICE_LON, Seed, SeedCourier, SeedJob, SeedOffice
from dispatch.clock import utcnow

RETRY_STATUSES = {429, 500, 502, 503, 504}
# The HTTP client of the actor (phone, counter, browser) whose task is running: each has its own, as in life.
# One pool shared by every actor made httpcore's pool bookkeeping (quadratic in waiting requests) ~40 % of the
# load client's CPU, taking a core the server under test should have had (docs/robustness.md).
_actor_client: contextvars.ContextVar[Phone] = contextvars.ContextVar("actor_client")
TRANSPORT_ERRORS = (httpx.TransportError, aiohttp.ClientError, asyncio.TimeoutError)


@dataclass
class Reply:
    """What a call answered, read whole: the little of httpx.Response the simulated day uses."""

    status_code: int
    headers: Mapping[str, str]  # case-insensitive, as HTTP header names are
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class Phone:
    """One actor's HTTP client (a phone, a counter, a browser) on aiohttp.

    The load client shares the two cores with the servers it measures, so its cost per request is taken from
    them: httpx spent ~1.0 ms of CPU per small POST here, aiohttp ~0.2 ms (same machine, same server). Same
    calling convention as httpx's ``request`` for what the day sends: ``json``, ``params``, ``headers``, and
    ``data`` + ``files`` as a multipart form."""

    def __init__(self, base_url: str, timeout_s: float, connections: int = 4) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections),
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            auto_decompress=False,
        )

    async def __aenter__(self) -> Phone:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    ) -> Reply:
        body: Any = None
        if files is not None:
            body = aiohttp.FormData()
            for name, value in (data or {}).items():
                body.add_field(name, value)
            for name, (filename, content, content_type) in files:
                body.add_field(name, content, filename=filename, content_type=content_type)
        elif data is not None:
            body = data
        async with self.session.request(
            method, self.base_url + url, json=json, params=params, headers=headers, data=body
        ) as resp:
            content = await resp.read()
            return Reply(resp.status, CIMultiDict(resp.headers), content)


@dataclass
class Ledger:
    """What the clients were told: the reconciliation's source of truth."""

    handovers: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> 201 body
    attempts: dict[str, dict[str, Any]] = field(default_factory=dict)
    positions: dict[str, dict[str, Any]] = field(default_factory=dict)  # batch_id -> {courier_id, sent, body}
    unacknowledged: list[tuple[str, str]] = field(default_factory=list)  # (kind, key) given up on
    positions_rejected: int = 0  # fixes the server refused (too old, out of range): a harness setup error
    replays: int = 0


@dataclass
class Plan:
    """How hard to push; rates are targets, the report says what was reached."""

    duration_s: float
    position_rate: float = 300.0  # position batches per second, all couriers together
    handover_rate: float = 50.0  # door + office handovers per second
    fixes_per_batch: int = 5
    fail_share: float = 0.03  # share of door visits that end as a failed attempt
    dispatcher_period_s: float = 5.0  # a board refresh; GET /api/plans/{id} of a 1000-job day is costly
    applicants: int = 20
    applicant_period_s: float = 2.0
    clerks: int = 4
    drop_mid_upload: int = 0  # handovers whose first try is cut off halfway through the body
    drop_before_response: int = 0  # handovers whose first try is sent whole, then the socket closed
    races: int = 0  # office drops recorded twice at once by two counters (different keys)
    request_deadline_s: float = 120.0


@dataclass
class Available:
    """Which endpoints the server under test has (the API is landing concept by concept)."""

    paths: set[str]
    paths_methods: dict[str, set[str]] = field(default_factory=dict)

    def has(self, method: str, path: str) -> bool:
        return path in self.paths and method.lower() in self.paths_methods.get(path, set())

    @classmethod
    async def probe(cls, client: httpx.AsyncClient) -> Available:
        spec = (await client.get("/openapi.json")).json()
        paths = spec.get("paths", {})
        return cls(set(paths), {p: {m.lower() for m in ops} for p, ops in paths.items()})


class Day:
    def __init__(
        self,
        client: httpx.AsyncClient,
        seed: Seed,
        plan: Plan,
        metrics: Metrics,
        avail: Available,
        base_urls: list[str] | None = None,
    ) -> None:
        self.client = client
        # several API processes: each actor talks to one of them, in turn (a load balancer's round robin)
        self.base_urls = base_urls or [str(client.base_url)]
        self._next_api = 0
        self.seed = seed
        self.plan = plan
        self.metrics = metrics
        self.avail = avail
        self.ledger = Ledger()
        self.media = MediaFactory()
        self.rng = random.Random(11)
        self.deadline = time.monotonic() + plan.duration_s
        self.office_queue: asyncio.Queue[tuple[str, SeedJob, SeedCourier, asyncio.Event | None]] = asyncio.Queue()
        self.drops_left = {"mid_upload": plan.drop_mid_upload, "before_response": plan.drop_before_response}
        self.drops_done = {"mid_upload": 0, "before_response": 0}
        self.races = {"left": plan.races, "run": 0, "double_wins": 0, "no_winner": 0}
        self.skipped: dict[str, str] = {}
        self.stopping = False
        self._tracks: dict[int, list[Any]] = {}  # courier id -> [lat, lon, fixes sent, first fix time]

    # --- the retrying request -------------------------------------------------------------------

    async def send(
        self, endpoint: str, method: str, url: str, *, final_ok=(200, 201), **kwargs: Any
    ) -> httpx.Response | Reply | None:
        """One logical request, retried with identical bytes until acknowledged; None if it never was."""
        give_up = time.monotonic() + self.plan.request_deadline_s
        attempt = 0
        while True:
            attempt += 1
            start = time.monotonic()
            try:
                resp = await _actor_client.get(self.client).request(method, url, **kwargs)
            except TRANSPORT_ERRORS as exc:
                self.metrics.add(endpoint, start, time.monotonic() - start, 0, "retry")
                why = f"{type(exc).__name__}: {exc}"
                self.metrics.transport_errors[why[:120]] += 1
            else:
                latency = time.monotonic() - start
                retry = resp.status_code in RETRY_STATUSES or _in_progress(resp)
                if not retry:
                    ok = resp.status_code in final_ok
                    self.metrics.add(endpoint, start, latency, resp.status_code, "ok" if ok else "error")
                    if not ok:
                        self.metrics.fail(endpoint, f"{resp.status_code} {resp.text[:200]}")
                    return resp if ok else None
                self.metrics.add(endpoint, start, latency, resp.status_code, "retry")
                why = f"{resp.status_code}"
            if time.monotonic() > give_up:
                self.metrics.fail(endpoint, f"gave up after {attempt} tries (last: {why})")
                return None
            await asyncio.sleep(min(0.1 * 2 ** min(attempt, 5), 2.0) * (0.5 + self.rng.random()))

    # --- couriers -------------------------------------------------------------------------------

    async def courier_positions(self, courier: SeedCourier, index: int) -> None:
        path = "/api/courier/positions"
        if not self.avail.has("post", path):
            self.skipped["positions"] = f"POST {path} not in the server's OpenAPI"
            return
        per_courier = self.plan.position_rate / max(len(self.seed.couriers), 1)
        interval = 1.0 / per_courier
        await asyncio.sleep(min(self.rng.random() * interval, max(0.0, self.deadline - time.monotonic())))
        next_at = time.monotonic()
        while time.monotonic() < self.deadline:
            await self.send_positions(courier)
            next_at += interval
            await asyncio.sleep(max(0.0, min(next_at, self.deadline) - time.monotonic()))  # never past the end

    async def send_positions(self, courier: SeedCourier) -> None:
        """One batch of fixes one second apart, continuing the courier's track; acknowledged → ledger."""
        track = self._tracks.get(courier.id)
        if track is None:
            per_courier = self.plan.position_rate / max(len(self.seed.couriers), 1)
            expected = int(self.plan.duration_s * per_courier) + 10
            t0 = utcnow() - timedelta(seconds=expected * self.plan.fixes_per_batch + 60)
            track = self._tracks[courier.id] = [OFFICE_LAT, OFFICE_LON, 0, t0]
        lat, lon, n, t0 = track
        fixes = []
        for _ in range(self.plan.fixes_per_batch):
            lat += self.rng.uniform(-0.0003, 0.0003)
            lon += self.rng.uniform(-0.0003, 0.0003)
            at = t0 + timedelta(seconds=n)
            n += 1
            fixes.append(
                {
                    "at": at.isoformat(),
                    "lat": round(lat, 6),
                    "lon": round(lon, 6),
                    "accuracy_m": 8.0,
                    "speed_mps": 6.5,
                    "heading_deg": 90.0,
                }
            )
        track[:3] = [lat, lon, n]
        headers = {"Authorization": f"Bearer {courier.token}"}
        batch_id = f"pb-{courier.id}-{uuid.uuid4().hex}"
        body = {"batch_id": batch_id, "positions": fixes}
        path = "/api/courier/positions"
        resp = await self.send(f"POST {path}", "POST", path, json=body, headers=headers)
        if resp is not None:
            answer = resp.json()
            # what the server said it holds: new fixes plus ones it already had (a retry after a lost answer)
            held = answer.get("accepted", 0) + answer.get("duplicates", 0)
            self.ledger.positions[batch_id] = {"courier_id": courier.id, "sent": held, "body": answer}
            self.ledger.positions_rejected += len(answer.get("rejected", []))

    async def courier_route(self, courier: SeedCourier) -> None:
        """Visit the route's jobs in order at the paced rate; deliveries are loaded at the office first."""
        door_rate = self.plan.handover_rate / 2 / max(len(self.seed.couriers), 1)
        interval = 1.0 / door_rate
        await asyncio.sleep(min(self.rng.random() * interval, max(0.0, self.deadline - time.monotonic())))
        next_at = time.monotonic()
        for job in courier.jobs:
            if time.monotonic() >= self.deadline:
                return
            if job.kind == "delivery":
                loaded = asyncio.Event()
                await self.office_queue.put(("load", job, courier, loaded))
                await loaded.wait()
                if getattr(loaded, "failed", False):
                    continue
            if self.rng.random() < self.plan.fail_share:
                ok = await self.attempt(courier, job)
                if ok and job.kind == "delivery":
                    await self.office_queue.put(("return", job, courier, None))
            else:
                ok = await self.door_handover(courier, job)
                if ok and job.kind == "pickup":
                    await self.office_queue.put(("drop", job, courier, None))
            next_at += interval
            await asyncio.sleep(max(0.0, min(next_at, self.deadline) - time.monotonic()))  # never past the end

    def _device_time(self) -> str:
        return utcnow().isoformat()

    async def door_handover(self, courier: SeedCourier, job: SeedJob) -> bool:
        from_party, to_party = ("applicant", "courier") if job.kind == "pickup" else ("courier", "applicant")
        form = {
            "job_id": str(job.id),
            "from_party": from_party,
            "to_party": to_party,
            "recipient_name": "Kurir" if job.kind == "pickup" else f"Pemohon {job.id}",
            "device_time": self._device_time(),
            "stop_id": str(job.door_stop_id),
            "lat": str(round(job.lat + 0.0002, 6)),
            "lon": str(round(job.lon, 6)),
            "accuracy_m": "7.5",
        }
        return await self._handover("POST /api/handovers (door)", courier.token, form, with_signature=True)

    async def office_handover(self, kind: str, job: SeedJob, courier: SeedCourier) -> bool:
        from_party, to_party = ("office", "courier") if kind == "load" else ("courier", "office")
        form = {
            "job_id": str(job.id),
            "from_party": from_party,
            "to_party": to_party,
            "recipient_name": "Petugas Loket" if to_party == "office" else courier.username,
            "device_time": self._device_time(),
            "courier_id": str(courier.id),
        }
        if kind != "return":
            form["stop_id"] = str(job.office_stop_id)
        endpoint = "POST /api/handovers (office)"
        if kind == "drop" and self.races["left"] > 0 and self.rng.random() < 0.5:
            return await self._race(endpoint, form, courier.office.clerk_token)
        return await self._handover(endpoint, courier.office.clerk_token, form, with_signature=True)

    async def _race(self, endpoint: str, form: dict[str, str], token: str) -> bool:
        """Fault: two counters record the same drop at once (different keys): exactly one may win, one gets 409."""
        self.races["left"] -= 1
        name = "race: " + endpoint  # its own row: a refused twin is not a handover
        wins = await asyncio.gather(
            *(self._handover(name, token, form, with_signature=True, race=True) for _ in range(2))
        )
        self.races["run"] += 1
        if sum(wins) != 1:
            self.races["double_wins" if sum(wins) > 1 else "no_winner"] += 1
        return any(wins)

    async def _handover(
        self, endpoint: str, token: str, form: dict[str, str], *, with_signature: bool, race: bool = False
    ) -> bool:
        key = f"ho-{uuid.uuid4().hex}"
        files = [("photos", ("foto.jpg", self.media.photo(key), "image/jpeg"))]
        if with_signature:
            files.append(("signature", ("ttd.png", self.media.signature(), "image/png")))
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        if not race:
            await self._maybe_drop(headers, form, files)
        final_ok = (201, 409) if race else (201,)
        resp = await self.send(
            endpoint, "POST", "/api/handovers", data=form, files=files, headers=headers, final_ok=final_ok
        )
        if resp is None:
            self.ledger.unacknowledged.append(("handover", key))
            return False
        if resp.status_code == 409:  # the other counter won the race: a definitive answer, nothing stored
            return False
        body = resp.json()
        if resp.headers.get("Idempotent-Replayed") == "true":
            self.ledger.replays += 1
        self.ledger.handovers[key] = body
        return True

    async def attempt(self, courier: SeedCourier, job: SeedJob) -> bool:
        key = f"at-{uuid.uuid4().hex}"
        form = {
            "job_id": str(job.id),
            "reason": "not_home",
            "device_time": self._device_time(),
            "stop_id": str(job.door_stop_id),
            "lat": str(job.lat),
            "lon": str(job.lon),
            "accuracy_m": "9",
        }
        files = [("photos", ("rumah.jpg", self.media.photo(key), "image/jpeg"))]
        headers = {"Authorization": f"Bearer {courier.token}", "Idempotency-Key": key}
        resp = await self.send("POST /api/attempts", "POST", "/api/attempts", data=form, files=files, headers=headers)
        if resp is None:
            self.ledger.unacknowledged.append(("attempt", key))
            return False
        self.ledger.attempts[key] = resp.json()
        return True

    async def _maybe_drop(self, headers: dict[str, str], form: dict[str, str], files: list) -> None:
        """Fault: the phone loses its connection during (or right after) the upload, before any answer."""
        for mode in ("mid_upload", "before_response"):
            if self.drops_left[mode] > 0 and self.rng.random() < 0.2:
                self.drops_left[mode] -= 1
                request = self.client.build_request("POST", "/api/handovers", data=form, files=files, headers=headers)
                body = request.read()
                cut = len(body) // 2 if mode == "mid_upload" else len(body)
                try:
                    await raw_send(self.client.base_url, request, body[:cut])
                    self.drops_done[mode] += 1
                except OSError:
                    pass
                return

    # --- office ---------------------------------------------------------------------------------

    async def clerk(self) -> None:
        while True:
            kind, job, courier, done = await self.office_queue.get()
            try:
                ok = await self.office_handover(kind, job, courier)
                if done is not None:
                    done.failed = not ok  # type: ignore[attr-defined]
                    done.set()
            finally:
                self.office_queue.task_done()

    # --- readers --------------------------------------------------------------------------------

    async def dispatcher(self, office: SeedOffice) -> None:
        """One office's board: the day, the live view and the plan, refreshed every few seconds."""
        headers = {"Authorization": f"Bearer {office.dispatcher_token}"}
        day = self.seed.day.isoformat()
        wanted = [
            ("GET /api/offices/{id}/days/{day}", f"/api/offices/{office.office_id}/days/{day}",
             "/api/offices/{office_id}/days/{day}"),
            ("GET /api/live/{office}/{day}", f"/api/live/{office.office_id}/{day}", "/api/live/{office_id}/{day}"),
            ("GET /api/plans/{id}", f"/api/plans/{office.plan_id}", "/api/plans/{plan_id}"),
        ]  # fmt: skip
        reads = [r for r in wanted if self.avail.has("get", r[2])]
        for name, _, template in wanted:
            if not self.avail.has("get", template):
                self.skipped[name] = f"GET {template} not in the server's OpenAPI"
        custody = "/api/jobs/{job_id}/custody"
        await asyncio.sleep(self.rng.random() * self.plan.dispatcher_period_s)
        while time.monotonic() < self.deadline:
            for name, url, _ in reads:
                await self.send(name, "GET", url, headers=headers)
            if self.avail.has("get", custody):
                job = self.rng.choice(office.jobs)
                await self.send("GET /api/jobs/{id}/custody", "GET", f"/api/jobs/{job.id}/custody", headers=headers)
            await asyncio.sleep(self.plan.dispatcher_period_s)

    async def applicant(self, index: int) -> None:
        template = "/api/track/{tracking_code}"
        if not self.avail.has("get", template):
            self.skipped["tracking"] = f"GET {template} not in the server's OpenAPI"
            return
        jobs = self.seed.jobs[index :: max(self.plan.applicants, 1)]
        await asyncio.sleep(self.rng.random() * self.plan.applicant_period_s)
        while time.monotonic() < self.deadline and jobs:
            job = self.rng.choice(jobs)
            await self.send(
                "GET /api/track/{code}", "GET", f"/api/track/{job.tracking_code}", params={"secret": job.secret}
            )
            await asyncio.sleep(self.plan.applicant_period_s)

    # --- the whole day --------------------------------------------------------------------------

    async def run(self) -> None:
        async with contextlib.AsyncExitStack() as stack:

            async def own_client(coro: Any, client: Phone | None = None) -> None:
                client = client or await stack.enter_async_context(self._actor_client())
                _actor_client.set(client)  # this task's context only
                await coro

            phones = {c.id: await stack.enter_async_context(self._actor_client()) for c in self.seed.couriers}
            clerks = [asyncio.create_task(own_client(self.clerk())) for _ in range(self.plan.clerks)]
            actors = [own_client(self.courier_route(c), phones[c.id]) for c in self.seed.couriers]
            actors += [own_client(self.courier_positions(c, i), phones[c.id]) for i, c in enumerate(self.seed.couriers)]
            actors += [own_client(self.dispatcher(office)) for office in self.seed.offices]
            actors += [own_client(self.applicant(i)) for i in range(self.plan.applicants)]
            await asyncio.gather(*actors)
            await self.office_queue.join()  # office steps already queued are finished, so custody is settled
            for task in clerks:
                task.cancel()
            await asyncio.gather(*clerks, return_exceptions=True)

    def _actor_client(self) -> Phone:
        """A client with the shared one's time-out and a phone's few connections, to the next API process."""
        base_url = self.base_urls[self._next_api % len(self.base_urls)]
        self._next_api += 1
        return Phone(base_url, timeout_s=self.client.timeout.read or 30.0)


def _in_progress(resp: httpx.Response | Reply) -> bool:
    if resp.status_code != 409:
        return False
    try:
        return resp.json()["error"]["code"] == "idempotency_in_progress"
    except (ValueError, KeyError, TypeError):
        return False


async def raw_send(base_url: httpx.URL, request: httpx.Request, body: bytes) -> None:
    """Write the request line, headers and ``body`` (possibly cut short) on a raw socket, then hang up."""
    _reader, writer = await asyncio.open_connection(base_url.host, base_url.port)
    target = request.url.raw_path.decode()
    head = [f"POST {target} HTTP/1.1", f"Host: {base_url.host}:{base_url.port}"]
    head += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() != "host"]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.transport.abort()  # RST, like a phone dropping off the network
