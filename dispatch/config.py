"""Settings from the environment (``DATABASE_URL``, ``AJIB_*``), built once, never at import time."""

from __future__ import annotations

import ipaddress
import os
import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from limits import parse_many
from pydantic import AliasChoices, Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dispatch.db.session import DB_MAX_OVERFLOW, DB_POOL_SIZE

REPO_ROOT = Path(__file__).resolve().parent.parent
BUSINESS_TZ = ZoneInfo("Asia/Jakarta")


class Settings(BaseSettings):
    """Everything configurable; the solver never reads these (it takes explicit parameters)."""

    model_config = SettingsConfigDict(env_prefix="AJIB_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "AJIB_DATABASE_URL"),
        description="SQLAlchemy URL of a PostGIS database; unset = a locally managed one",
    )
    app_database_url: str | None = Field(
        default=None,
        description="what the server connects as (the least-privilege app role); unset = DATABASE_URL's server "
        "and database as user db_app_role",
    )
    db_app_role: str = Field(default="ajib_app", description="the app's role; empty = connect as the owner")
    state_dir: Path = Field(default=REPO_ROOT / ".ajib", description="local state: managed cluster, evidence")
    local_db_name: str = "ajib"
    local_pg_host: str = "127.0.0.1"
    local_pg_port: int = 5432
    local_pg_user: str = "postgres"
    managed_pg_port: int = 55432
    shared_dir: Path = Field(default=REPO_ROOT.parent / "shared", description="benchmarks, Jakarta geodata")
    host: str = "127.0.0.1"
    port: int = 8000
    server_workers: int = Field(default=1, ge=1, le=64, description="`ajib serve` processes (default of --workers)")
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses/CIDRs of reverse proxies whose X-Forwarded-For is believed; "
        "empty = none (the connecting address is the client)",
    )
    public_base_url: str = Field(default="", description="URL people open; empty = http://HOST:PORT")
    timezone: str = "Asia/Jakarta"
    default_language: str = "id"
    secret_key: str | None = Field(
        default=None, description="signs tokens and receipt links; unset = a random key kept in the state dir"
    )
    deployment: Literal["single", "multi"] = Field(
        default="single", description="multi = several machines serve: AJIB_SECRET_KEY must be set (docs/deploy.md)"
    )
    access_token_minutes: int = 60 * 12
    device_token_days: int = 180
    api_key_days: int = Field(default=365, ge=1, le=3650, description="life of an integration's API key")
    known_device_days: int = Field(default=365, ge=1, description="how long a browser stays a known device")
    rate_limit_storage: str = Field(
        default="", description="a `limits` storage URI (redis://..., memory://); empty = the PostgreSQL database"
    )
    # rate limits in `limits` notation ("10/10 minutes;60/day"); docs/security.md says why these numbers
    limit_bookings_per_client: str = "10/10 minutes;60/day"
    limit_bookings_per_phone: str = "3/day"
    limit_bookings_per_office_day: str = "60/hour"
    limit_tracking_failures_per_client: str = "30/15 minutes"
    # code + the phone's last 4 digits (10,000 possibilities): wrong digits per tracking code
    limit_tracking_phone_failures_per_code: str = "10/15 minutes;30/day"
    limit_login_failures_per_client: str = "100/15 minutes"
    limit_login_failures_per_account: str = "5/minute;20/hour;100/day"
    limit_login_failures_per_device: str = "10/15 minutes"
    evidence_dir: Path | None = None
    evidence_backend: str = "local"
    s3_endpoint_url: str | None = None
    s3_bucket: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_region: str | None = None
    s3_public_url: str | None = Field(default=None, description="S3 endpoint as browsers reach it (presigned links)")
    s3_presign_seconds: int = Field(default=300, ge=10, le=7 * 24 * 3600, description="life of a presigned link")
    max_upload_bytes: int = 10 * 1024 * 1024
    max_json_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="JSON bodies, refused before parsing")
    # checked on the header, before any pixel is decoded; the courier app sends <= 1600 px, a 12 MP original fits
    max_image_pixels: int = 16_000_000
    max_image_side: int = 6000
    keep_exif_gps: bool = False
    handover_distance_flag_m: float = 150.0
    geocoder_url: str | None = None
    geocoder_user_agent: str = "ajib-dispatch"
    notifier: str = Field(default="log", description="log | http (SMS/WhatsApp gateway) | smtp")
    notification_channel: str = Field(default="sms", description="sms | whatsapp | email")
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str | None = None
    booking_horizon_days: int = Field(default=14, ge=1, le=90)
    booking_min_lead_minutes: int = Field(default=60, ge=0)
    holidays: list[date] | None = Field(
        default=None, description="extra national closed days, added to the holidays package's calendar"
    )
    cuti_bersama_closed: bool = Field(default=True, description="offices close on cuti bersama (collective leave)")
    tile_url: str = ""
    evidence_retention_days: int = 365 * 2
    log_origin: str = Field(
        default="ajib.jakarta.go.id/custody-log",
        pattern=r"^[^\s+]+$",
        description="the custody log's name: checkpoint origin line and the office key's name",
    )
    log_key: str | None = Field(
        default=None, description="office signing key (PRIVATE+KEY+...); unset = generated once in the state dir"
    )
    witness_keys: list[str] = Field(
        default_factory=list, description="verifier keys (name+id+key) of witnesses whose cosignatures are accepted"
    )
    device_signatures: Literal["required", "when_registered"] = Field(
        default="required",
        description="courier handovers must be signed by the phone; when_registered: only by phones with a key",
    )
    checkpoint_interval_s: float = Field(default=60.0, gt=0, le=3600, description="checkpoint cadence under load")
    solver_time_limit_s: float = 10.0
    eta_refresh_interval_s: float = Field(default=30.0, ge=0, description="min seconds between ETA refreshes")
    # per server worker: workers × (pool + overflow) must stay under PostgreSQL's max_connections (100 by default)
    db_pool_size: int = Field(default=DB_POOL_SIZE, ge=1, le=200, description="connections kept per worker")
    db_max_overflow: int = Field(default=DB_MAX_OVERFLOW, ge=0, le=200, description="extra per worker in bursts")
    # requests inside one server worker at once (api/admission.py); none = anyio's worker threads (40). Four,
    # because more only makes the requests inside fight over the GIL (docs/robustness.md: at 10 x Jakarta's
    # peak on 2 cores, 40 gave p99 2.7 s; later, with 8 the worst p99 was 494-646 ms and with 4 291-442 ms,
    # runs interleaved); raise it where requests wait on slow outside services
    max_in_flight: int | None = Field(default=4, ge=1, le=1000, description="requests let in at once per worker")
    # The garbage collector's thresholds in a serving process (api/asgi.py). Python's default (700, 10, 10) ran a
    # full pass every few seconds under load, each 150-650 ms with the GIL held: every request in flight in the
    # process waited (docs/robustness.md). With (10000, 20, 20) and the startup objects frozen, none ran in 40 s.
    gc_thresholds: tuple[int, int, int] = Field(
        default=(10_000, 20, 20), description="gc.set_threshold for serving processes (JSON list of 3 integers)"
    )
    # psycopg prepares a statement after this many runs; none = never (pgbouncer in transaction mode)
    db_prepare_threshold: int | None = Field(default=5, ge=0, description="psycopg prepare_threshold; none = off")
    migrate_on_start: bool = Field(default=True, description="ajib serve runs migrations first (under a lock)")
    log_format: Literal["text", "json"] = Field(default="text", description="text | json (one object per line)")
    log_level: str = "INFO"
    # `ajib worker` (docs/deploy.md): heartbeats, and the silence after which a worker's tasks go elsewhere
    worker_heartbeat_s: float = Field(default=10.0, gt=0, le=300)
    worker_stalled_s: float = Field(default=30.0, gt=0, le=3600)
    worker_poll_s: float = Field(default=5.0, gt=0, le=300, description="queue polling interval (besides NOTIFY)")
    worker_listen_notify: bool = Field(default=True, description="off behind pgbouncer in transaction mode")
    worker_metrics_port: int | None = Field(default=None, description="`ajib worker` serves /metrics here")
    worker_metrics_host: str = "0.0.0.0"
    # Travel times: one model for plans, slot checks, re-plans, ETAs and map lines (docs/roads.md).
    travel: Literal["auto", "haversine", "osrm", "valhalla", "embedded"] = Field(
        default="auto",
        description="auto = embedded when `ajib roads build` made tiles, else haversine; osrm/valhalla = a server",
    )
    travel_url: str | None = Field(default=None, description="OSRM or Valhalla server root for travel=osrm|valhalla")
    travel_profile: str | None = Field(
        default=None, description="Valhalla costing (default motor_scooter) or OSRM profile name (default driving)"
    )
    travel_max_locations: int | None = Field(default=None, ge=2, description="OSRM --max-table-size (default 100)")
    travel_max_pairs: int | None = Field(
        default=None, ge=1, description="Valhalla max_matrix_location_pairs (default 2,500; embedded 250,000)"
    )
    travel_concurrency: int = Field(default=4, ge=1, le=32, description="table requests in flight at once")
    travel_timeout_s: float = Field(default=10.0, gt=0, description="per road request; then straight lines")
    roads_dir: Path | None = Field(
        default=None, description="road tiles of `ajib roads build`; unset = STATE_DIR/roads"
    )
    # Straight-line model: unset = the calibration `ajib roads calibrate --write` stored, else 1.35 and 22 km/h.
    travel_circuity: float | None = Field(default=None, gt=0.5, lt=5)
    travel_speed_kmh: float | None = Field(default=None, gt=1, lt=150, description="mean over 08-17 WIB")
    travel_hourly: bool = Field(default=True, description="ETAs ride at the hour's speed (Jakarta profile)")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        """A typo must fail at start-up: uvicorn would silently treat it as a host name and trust nobody."""
        for item in filter(None, (v.strip() for v in value.split(","))):
            ipaddress.ip_network(item, strict=False)
        return value

    @field_validator("limit_bookings_per_client", "limit_bookings_per_phone", "limit_bookings_per_office_day",
                     "limit_tracking_failures_per_client", "limit_tracking_phone_failures_per_code",
                     "limit_login_failures_per_client",
                     "limit_login_failures_per_account", "limit_login_failures_per_device")  # fmt: skip
    @classmethod
    def _limits_parse(cls, value: str) -> str:
        if value.strip():
            parse_many(value)
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [v.strip() for v in self.trusted_proxies.split(",") if v.strip()]

    @model_validator(mode="after")
    def _default_public_url(self) -> Settings:
        if not self.public_base_url:
            self.public_base_url = f"http://{self.host}:{self.port}"
        self.public_base_url = self.public_base_url.rstrip("/")
        return self

    _secret_generated: bool = PrivateAttr(default=False)

    @field_validator("db_prepare_threshold", mode="before")
    @classmethod
    def _none_word(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() in ("", "none", "null", "off") else value

    @property
    def secret_generated(self) -> bool:
        """True when no key was configured and the one in the state dir is used (fine for one machine only)."""
        return self._secret_generated

    @model_validator(mode="after")
    def _road_server_named(self) -> Settings:
        """A road server without its address is a start-up error, not a failure on every request."""
        if self.travel in ("osrm", "valhalla") and not self.travel_url:
            raise ValueError(f"AJIB_TRAVEL={self.travel} needs AJIB_TRAVEL_URL (the server's root URL)")
        return self

    @model_validator(mode="after")
    def _secret_from_state_dir(self) -> Settings:
        """A missing key is generated once and kept (mode 600), so restarts don't log everyone out.

        Several machines would each generate their own and refuse each other's tokens and receipt links,
        so a ``multi`` deployment must be given one."""
        if not self.secret_key and self.deployment == "multi":
            raise ValueError("AJIB_DEPLOYMENT=multi needs AJIB_SECRET_KEY (the same on every machine)")
        if not self.secret_key:
            self._secret_generated = True
            path = self.state_dir / "secret_key"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".secret_key.{os.getpid()}")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_urlsafe(48))
                try:
                    os.link(tmp, path)  # atomic: the first worker's key wins, complete
                except FileExistsError:
                    pass
                finally:
                    tmp.unlink()
            self.secret_key = path.read_text().strip()
        return self

    @property
    def jakarta_data_dir(self) -> Path:
        return self.shared_dir / "data" / "jakarta"

    @property
    def benchmarks_dir(self) -> Path:
        return self.shared_dir / "benchmarks"

    @property
    def roads_path(self) -> Path:
        return self.roads_dir or (self.state_dir / "roads")

    @property
    def evidence_path(self) -> Path:
        return self.evidence_dir or (self.state_dir / "evidence")


@lru_cache
def get_settings() -> Settings:
    return Settings()
