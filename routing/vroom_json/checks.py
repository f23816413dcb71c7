"""Typed look-ups of JSON values that fail with the value's path (``jobs[3].service: ...``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from routing.problem import TimeWindow
from routing.vroom_json.document import VroomInputError


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(type(value), repr(value))


def _obj(value: Any, path: str, allowed: set[str], unsupported: Mapping[str, str] | None = None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise VroomInputError(path, f"expected an object, got {_type_name(value)}")
    for key in value:
        where = f"{path}.{key}" if path else key
        if unsupported and key in unsupported:
            raise VroomInputError(where, f"not supported by AJIB ({unsupported[key]}); see docs/vroom-json.md")
        if key not in allowed:
            raise VroomInputError(where, "unknown key")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise VroomInputError(path, f"expected an array, got {_type_name(value)}")
    return value


def _int(value: Any, path: str, lo: int | None = 0, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise VroomInputError(path, f"expected an integer, got {_type_name(value)}")
    if lo is not None and value < lo:
        raise VroomInputError(path, f"must be >= {lo}, got {value}")
    if hi is not None and value > hi:
        raise VroomInputError(path, f"must be <= {hi}, got {value}")
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise VroomInputError(path, f"expected a string, got {_type_name(value)}")
    return value


def _coords(value: Any, path: str) -> tuple[float, float]:
    items = _list(value, path)
    if len(items) != 2 or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in items):
        raise VroomInputError(path, "expected [lon, lat] as two numbers")
    lon, lat = float(items[0]), float(items[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise VroomInputError(path, f"[{lon}, {lat}] is not a valid [lon, lat]")
    return lon, lat


def _window(value: Any, path: str) -> TimeWindow:
    items = _list(value, path)
    if len(items) != 2:
        raise VroomInputError(path, "expected [start, end]")
    start, end = _int(items[0], f"{path}[0]"), _int(items[1], f"{path}[1]")
    if end < start:
        raise VroomInputError(path, f"end {end} is before start {start}")
    return TimeWindow(start, end)


def _windows(value: Any, path: str) -> tuple[TimeWindow, ...]:
    windows = tuple(_window(w, f"{path}[{i}]") for i, w in enumerate(_list(value, path)))
    if not windows:
        raise VroomInputError(path, "needs at least one window (leave the key out for 'any time')")
    return windows


def _skills(value: Any, path: str) -> frozenset[str]:
    return frozenset(str(_int(s, f"{path}[{i}]")) for i, s in enumerate(_list(value, path)))


def _square(value: Any, path: str, n: int | None) -> np.ndarray:
    """A square matrix of non-negative integers (``n`` rows when the size is already known)."""
    rows = _list(value, path)
    size = len(rows) if n is None else n
    if len(rows) != size:
        raise VroomInputError(path, f"expected {size} rows, got {len(rows)}")
    try:
        arr = np.array(rows)
    except ValueError:
        arr = np.empty(0)
    if arr.shape != (size, size) or arr.dtype.kind not in "iu":
        # find the first bad row or cell for the message (slow path, errors only)
        for r, row in enumerate(rows):
            if len(_list(row, f"{path}[{r}]")) != size:
                raise VroomInputError(f"{path}[{r}]", f"expected {size} values (a square matrix)")
            for c, cell in enumerate(row):
                _int(cell, f"{path}[{r}][{c}]")
        raise VroomInputError(path, "expected a square matrix of integers")
    if size and arr.min() < 0:
        r, c = np.argwhere(arr < 0)[0]
        raise VroomInputError(f"{path}[{r}][{c}]", f"must be >= 0, got {arr[r, c]}")
    return arr.astype(np.int64)
