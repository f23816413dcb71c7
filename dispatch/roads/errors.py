"""Road network errors: each with a stable code and an Indonesian and English message."""

from __future__ import annotations

from dispatch.errors import DomainError, ErrorKind


class RoadEngineMissing(DomainError):
    """pyvalhalla wheels exist for CPython >= 3.12 only (docs/roads.md)."""

    kind = ErrorKind.UNAVAILABLE
    default_code = "road_engine_missing"

    def __init__(self) -> None:
        super().__init__(
            "Mesin jalan (pyvalhalla) tidak terpasang: butuh Python 3.12 atau lebih baru "
            "(jalankan ulang scripts/setup.sh dengan AJIB_PYTHON=python3.12).",
            "The road engine (pyvalhalla) is not installed: it needs Python 3.12 or newer "
            "(re-run scripts/setup.sh with AJIB_PYTHON=python3.12).",
        )


class RoadBuildFailed(DomainError):
    kind = ErrorKind.INVALID
    default_code = "road_build_failed"

    def __init__(self, detail: str) -> None:
        super().__init__(f"Gagal membangun jaringan jalan: {detail}", f"Building the road network failed: {detail}")


class NoRoadNetwork(DomainError):
    kind = ErrorKind.UNAVAILABLE
    default_code = "no_road_network"

    def __init__(self, roads_dir: str) -> None:
        super().__init__(
            f"Belum ada jaringan jalan di {roads_dir}: jalankan `ajib roads build EKSTRAK.osm.pbf`.",
            f"No road network in {roads_dir}: run `ajib roads build EXTRACT.osm.pbf`.",
        )
