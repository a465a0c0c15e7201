"""The served OpenAPI 3.1 document: valid, complete, and true of the running API
(schemathesis generates requests from it and checks every response against it)."""

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from imagejobs.api.app import ROUTER

DOCUMENT_PATH = "/api/openapi.json"


@pytest.fixture(scope="module")
def document(base_url):
    response = httpx.get(f"{base_url}{DOCUMENT_PATH}")
    assert response.status_code == 200
    return response.json()


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_route_is_documented(document):
    routes = {(route.template, route.method.lower()) for route in ROUTER.routes}
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert routes == documented


def test_the_api_conforms_to_its_document(base_url):
    """Generated requests for every operation; every response must match the document."""
    schema = schemathesis.openapi.from_url(f"{base_url}{DOCUMENT_PATH}")
    operations = [result.ok() for result in schema.get_all_operations()]
    # schemathesis leaves out the operation that serves the document itself
    assert {(o.method.upper(), o.path) for o in operations} == {
        (r.method, r.template) for r in ROUTER.routes if r.template != DOCUMENT_PATH
    }
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def conforms(case):
            # Identity is tested on its own (test_access_identity.py); here every request
            # carries a dev-mode user, so "accepts invalid authentication" would be noise. And
            # JSON Schema cannot say "these bytes are a PNG", so a schema-valid upload may be
            # rightly refused (415/422): test_uploads.py checks those answers exactly.
            case.call_and_validate(
                base_url=base_url,
                headers={"X-Dev-User": "schemathesis@example.com"},
                excluded_checks=[ignored_auth, positive_data_acceptance],
            )

        conforms()
