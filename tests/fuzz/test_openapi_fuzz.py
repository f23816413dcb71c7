"""Schemathesis over the app's own OpenAPI: every operation, as every role, with valid and invalid data.

Rules: no response is a 5xx; every status returned is documented for that operation; JSON bodies match
their documented schema. Half of the examples use the real ids of a small world (so requests get past
"not found" into the code behind), half are whatever the schema allows. Runs in-process on the test's
rolled-back transaction, so rate-limit counters, revoked tokens and junk rows vanish afterwards.
"""

from __future__ import annotations

import os
import traceback
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from tests.factories.access import ROLES, make_access_world

EXAMPLES = int(os.environ.get("AJIB_FUZZ_EXAMPLES", "14"))
NEGATIVE_EXAMPLES = max(EXAMPLES // 2, 5)
POSITIVE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
NEGATIVE_CHECKS = [not_a_server_error, status_code_conformance]
ID_ALIASES = {"code": None, "other_id": "plan_id"}  # kelurahan codes are not ours to guess


class NullQueue:
    """Solve runs are accepted and stay queued: the fuzz is about the HTTP surface, not the solver."""

    def defer(self, session: Any, run_ids: Any, *, request_id: Any = None) -> None:
        return None


@pytest.fixture
def fuzz_schema(app, db_session, test_settings, reference_data):
    app.state.job_queue = NullQueue()
    world = make_access_world(db_session, test_settings)
    return schemathesis.openapi.from_asgi("/openapi.json", app), world


def _substitute(case: Any, world: Any) -> None:
    """Use the world's real ids for parameters we know (by name), so checks run past the 404."""
    for part in ("path_parameters", "query"):
        values = getattr(case, part, None)
        if not values:
            continue
        for name in list(values):
            key = ID_ALIASES.get(name, name)
            if key in world.ids:
                values[name] = world.ids[key]


def _obviously_invalid(case: Any) -> bool:
    """Negative cases can be valid after all (schemathesis mutates loosely); only a broken body is sure."""
    return isinstance(case.body, bytes | str) and case.media_type == "application/json"


def _run_operation(op: Any, world: Any, mode: GenerationMode, examples: int, checks: list) -> None:
    # revoking tokens or editing users/couriers can lock the world's roles out: undo it after each such call
    mutates_people = op.method.lower() != "get" and ("revoke" in op.path or op.path.startswith("/api/admin/"))
    tokens = {r: world.headers(r) for r in ROLES}

    @given(case=op.as_strategy(generation_mode=mode), role=st.sampled_from(ROLES), real=st.booleans())
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any, role: str, real: bool) -> None:
        if real:
            _substitute(case, world)
        headers = dict(case.headers or {})
        headers.update(tokens.get(role, {}))
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=checks, headers=headers)
            if mode is GenerationMode.NEGATIVE and response.status_code < 400 and _obviously_invalid(case):
                raise AssertionError(f"invalid request accepted with {response.status_code}")
        finally:
            if mutates_people:
                world.restore()
                tokens.update({r: world.headers(r) for r in ROLES})

    check()


def test_every_operation_survives_fuzzing_as_every_role(fuzz_schema):
    """0 responses >= 500 and only documented statuses/bodies, for every operation, role and generation mode."""
    schema, world = fuzz_schema
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10
    for op in operations:
        for mode, examples, checks in (
            (GenerationMode.POSITIVE, EXAMPLES, POSITIVE_CHECKS),
            (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, NEGATIVE_CHECKS),
        ):
            try:
                _run_operation(op, world, mode, examples, checks)
            except Unsatisfiable:
                continue  # nothing to make invalid (no parameters, no body)
            except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, report together
                summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                failures.append(f"{op.method.upper()} {op.path} [{mode.value}]: {summary[:1500]}")
                world.restore()
    assert not failures, "\n\n".join(failures)
