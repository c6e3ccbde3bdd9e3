import asyncio, os, traceback
from pathlib import Path
import pytest
import schemathesis
from hypothesis import given, settings, HealthCheck
from schemathesis import GenerationMode
from tests.test_openapi import CHECKS, auth_headers, openapi_app  # noqa: F401
from colletta.workers import matching

PATHS = os.environ.get("OA_PATHS", "/api/v1/mod/audit").split(",")

@pytest.mark.parametrize("no_matcher", [False])
def test_probe(openapi_app, auth_headers, no_matcher, monkeypatch):
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", openapi_app)
    errors = []
    for op in [r.ok() for r in schema.get_all_operations()]:
        if op.path == "/api/v1/auth/logout":
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=op.as_strategy(generation_mode=mode))
            @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            def run(case):
                try:
                    case.call_and_validate(headers=dict(auth_headers), checks=CHECKS)
                except BaseException as exc:
                    if not isinstance(exc, Exception):
                        errors.append("".join(traceback.format_exception(exc)))
                    raise
            try:
                run()
            except BaseException as exc:
                errors.append(repr(exc))
    print("\n".join(errors[:2])[-6000:])
    assert not errors
