"""docs/API.md is the contract; the OpenAPI document the Worker serves must say the same. Every
route and every error code of one is in the other, with the same HTTP status."""

import re
from pathlib import Path

from imagejobs.api.app import ROUTER
from imagejobs.api.openapi import openapi_document
from imagejobs.errors import error_catalog
from imagejobs.jobs.failures import FailureCode

CONTRACT = (Path(__file__).resolve().parents[3] / "docs" / "API.md").read_text()
HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}
PAGE_ROUTES = {("GET", "/")}  # static assets, not the API: in the contract, not in OpenAPI


def section(title: str) -> str:
    """The text of the contract's `## title` section."""
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", CONTRACT, re.M | re.S)
    assert found, f"docs/API.md has no section '## {title}'"
    return found.group(1)


def table_rows(text: str) -> list[list[str]]:
    """The cells of every Markdown table row under a header row."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def contract_routes() -> set[tuple[str, str]]:
    routes = set()
    for cells in table_rows(section("Routes")):
        method, _, path = cells[0].strip("`").partition(" ")
        routes.add((method, path))
    return routes


def openapi_routes() -> set[tuple[str, str]]:
    paths = openapi_document()["paths"]
    return {(method.upper(), path) for path, item in paths.items() for method in item if method in HTTP_METHODS}


def test_every_route_is_in_both_documents():
    assert contract_routes() - PAGE_ROUTES == openapi_routes()


def test_the_router_serves_exactly_the_documented_routes():
    assert {(r.method, r.template) for r in ROUTER.routes} == openapi_routes()


def test_every_error_code_is_in_both_documents_with_its_status():
    documented = {
        cells[0].strip("`"): int(cells[1]) for cells in table_rows(section("Error codes"))[: len(error_catalog())]
    }
    schema = openapi_document()["components"]["schemas"]["Error"]
    assert documented == error_catalog()
    assert set(schema["properties"]["error"]["properties"]["code"]["enum"]) == set(error_catalog())


def test_every_job_failure_code_is_in_both_documents():
    tables = section("Error codes").split("A failed job's `error.code` is one of:")
    assert len(tables) == 2, "docs/API.md: the job failure codes table follows 'A failed job's `error.code` is one of:'"
    documented = {cells[0].strip("`") for cells in table_rows(tables[1])}
    job_error = openapi_document()["components"]["schemas"]["Job"]["properties"]["error"]["oneOf"][0]
    assert documented == {c.value for c in FailureCode}
    assert set(job_error["properties"]["code"]["enum"]) == documented


def test_every_error_status_a_route_documents_in_openapi_has_a_code():
    statuses = {str(status) for status in error_catalog().values()}
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            for status in operation["responses"]:
                if status.startswith(("4", "5")):
                    assert status in statuses, f"{method.upper()} {path} documents {status}, which no error code has"
