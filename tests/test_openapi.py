"""The OpenAPI description is served, and the API is fuzzed against it: no 5xx, no answer it does not describe."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from digitpred import create_app
from digitpred.extensions import migrate

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


# The real model, small limits so that fuzzed bodies reach them too, and a corrections database of its own
# (migrated, so that /api/feedback stores what it is sent; never the instance folder's). Built here rather than in
# a fixture: schemathesis's fixture-based loader does not run under pytest 9.
DATABASE = tempfile.TemporaryDirectory(prefix="digitpred-openapi-")  # removed when the test process exits
APP = create_app(
    {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "RATELIMIT_ENABLED": False,
        "MAX_BATCH": 4,
        "MAX_CONTENT_LENGTH": 2_000_000,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(DATABASE.name) / 'feedback.sqlite'}",
    }
)
migrate.upgrade(APP)
# Raw image bodies of the types schemathesis has no sample of go out as the bytes it generated.
schemathesis.serializer.alias(["image/bmp", "image/tiff"], "application/octet-stream")
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_description(case):
    case.call_and_validate(checks=CHECKS)


def test_description_is_served_and_names_every_route():
    spec = APP.test_client().get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    api_rules = {
        (rule.rule, method)
        for rule in APP.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.rule != "/api/openapi.json"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    assert described == api_rules


def test_the_feedback_example_is_stored_once_as_described():
    """The fuzzer's 2xx answers from /api/feedback come from this example; it must reach the database."""
    operation = schema["/api/feedback"]["POST"]
    example = APP.test_client().get("/api/openapi.json").json["paths"]["/api/feedback"]["post"]
    body = example["requestBody"]["content"]["application/json"]["example"]
    first = operation.Case(body=body, media_type="application/json").call_and_validate(checks=CHECKS)
    again = operation.Case(body=body, media_type="application/json").call_and_validate(checks=CHECKS)
    assert first.status_code in (200, 201), first.text  # 200 when the fuzzer sent it first
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["id"] == first.json()["id"] and again.json()["truth"] == "7"
