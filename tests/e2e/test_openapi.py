"""The served OpenAPI 3.1 document: valid, complete, and true of the running API. Schemathesis
generates requests from it: schema-valid ones (every response must match the document),
schema-violating ones (every one must be refused with a 4xx), and stateful sequences that follow
the document's links (create → get → cancel → delete). A 5xx, a response the document does not
describe, or a Worker that stops serving is a failure.

The budget is small in the normal run. `make fuzz` runs the same tests longer: FUZZ_EXAMPLES
examples per operation and stateful scenarios, with FUZZ_SEED (printed on every progress line,
so that a failure can be replayed with the same seed)."""

import contextlib
import io
import os
import random
import uuid

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Flaky, Unsatisfiable
from openapi_spec_validator import validate
from PIL import Image
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from imagejobs.api.app import ROUTER

from .test_hostile import still_serving

DOCUMENT_PATH = "/api/openapi.json"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
SEED = int(os.environ.get("FUZZ_SEED") or random.randrange(2**32))
STEPS = int(os.environ.get("FUZZ_STEPS", "6"))
USER = {"X-Dev-User": "schemathesis@example.com"}
# Identity is tested on its own (test_access_identity.py, test_hostile_access.py): every request
# here carries a dev-mode user, so "accepts invalid authentication" would be noise. And JSON
# Schema cannot say "these bytes are a PNG", so a schema-valid upload may be rightly refused
# (415/422): test_uploads.py checks those answers exactly.
EXCLUDED_CHECKS = [ignored_auth, positive_data_acceptance]
UPLOADS = {("POST", "/api/jobs"), ("POST", "/api/upload")}


def progress(message: str) -> None:
    print(f"fuzz (seed {SEED}, {EXAMPLES} examples): {message}", flush=True)


def tiny_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def document(base_url):
    response = httpx.get(f"{base_url}{DOCUMENT_PATH}")
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def schema(base_url):
    # Security parameters are not generated: the Access header is the identity's own suite's
    # business, and dev mode identifies every request by X-Dev-User.
    config = SchemathesisConfig.from_dict({"generation": {"with-security-parameters": False}})
    return schemathesis.openapi.from_url(f"{base_url}{DOCUMENT_PATH}", config=config)


def alive(base_url: str) -> None:
    response = httpx.get(f"{base_url}/api/health", timeout=10)
    assert response.status_code == 200, f"the Worker stopped serving (health: {response.status_code})"


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_route_is_documented(document):
    routes = {(route.template, route.method.lower()) for route in ROUTER.routes}
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert routes == documented


def operations(schema) -> list:
    found = [result.ok() for result in schema.get_all_operations()]
    # schemathesis leaves out the operation that serves the document itself
    assert {(o.method.upper(), o.path) for o in found} == {
        (r.method, r.template) for r in ROUTER.routes if r.template != DOCUMENT_PATH
    }
    return found


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_get_the_documented_answers(base_url, schema, mode):
    """Schema-valid requests: every response matches the document. Schema-violating requests:
    every one is refused with a documented 4xx, never a 5xx."""
    for number, operation in enumerate(operations(schema), 1):

        @seed(SEED)
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def conforms(case):
            case.call_and_validate(base_url=base_url, headers=USER, excluded_checks=EXCLUDED_CHECKS)

        outcome = "passed"
        try:
            conforms()
        except Unsatisfiable:
            # nothing of this operation can be made schema-violating (GET /api/health takes nothing)
            assert mode is GenerationMode.NEGATIVE
            outcome = "has nothing to make invalid"
        alive(base_url)
        progress(f"{mode.value} data, operation {number}: {operation.method.upper()} {operation.path} {outcome}")
    still_serving(base_url)


def test_stateful_sequences_follow_the_documents_links(base_url, schema):
    """Scenarios of linked calls (create → get → download → cancel → delete, and what else the
    links allow) with generated data; positive creates upload a real PNG, so that the job exists."""
    failures: list[str] = []
    statuses: dict[tuple[str, str, int], int] = {}
    png = tiny_png()
    user = {"X-Dev-User": f"stateful-{uuid.uuid4().hex[:8]}@example.com"}

    class Scenario(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            kwargs = {"base_url": base_url, "headers": user}
            positive = case.meta is None or not case.meta.generation.mode.is_negative
            if positive and (case.method.upper(), case.path) in UPLOADS:
                # the generated body is replaced by the caller: schemathesis knows not to judge it
                kwargs["files"] = {"file": ("scenario.png", png, "image/png")}
            return kwargs

        def after_call(self, response, case):
            super().after_call(response, case)
            key = (case.method.upper(), case.path, response.status_code)
            statuses[key] = statuses.get(key, 0) + 1

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            try:
                case.validate_response(
                    response,
                    excluded_checks=EXCLUDED_CHECKS,
                    additional_checks=additional_checks,
                    transport_kwargs=kwargs,
                    recorder=self.recorder,
                )
            except Exception as error:
                failures.append(f"{case.method.upper()} {case.path} → {response.status_code}: {error}")
                raise

    seed(SEED)(Scenario)
    # The server's state changes between runs, so Hypothesis may see a scenario draw differently
    # when it meets the same prefix again (Flaky); the failures list is the verdict.
    with contextlib.suppress(Flaky):
        Scenario.run(
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                phases=[Phase.generate],
            )
        )
    assert failures == []
    alive(base_url)
    # the chain the links describe was walked: jobs were created, read and deleted, and cancelled
    called = {(method, path) for method, path, _status in statuses}
    succeeded = {(method, path) for method, path, status in statuses if status < 300}
    progress(f"stateful: {sum(statuses.values())} calls, {len(succeeded)} operations answered with success")
    assert succeeded & UPLOADS, statuses
    assert {("GET", "/api/jobs/{id}"), ("DELETE", "/api/jobs/{id}")} <= succeeded, statuses
    assert ("POST", "/api/jobs/{id}/cancel") in called, statuses
    still_serving(base_url)
