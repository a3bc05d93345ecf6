"""The OpenAPI document, without a running stack: every status the edge answers is documented with the
error envelope, every 200 has a real schema, and a 405 names the allowed methods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.settings import ApiSettings


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app = create_app(ApiSettings(catalog_dir=tmp_path_factory.mktemp("catalog")))
    return app.openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in document["paths"].items() for method, op in ops.items()]


def test_no_operation_documents_422_and_every_failure_uses_the_envelope(document: dict[str, Any]) -> None:
    for path, method, op in operations(document):
        assert "422" not in op["responses"], (method, path)
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)


def test_authenticated_routes_document_401_and_the_bearer_scheme(document: dict[str, Any]) -> None:
    authenticated = [(p, m, op) for p, m, op in operations(document) if "security" in op]
    assert len(authenticated) >= 30
    for path, method, op in authenticated:
        assert "401" in op["responses"], (method, path)
    public = {(p, m) for p, m, op in operations(document) if "security" not in op}
    assert ("/healthz", "get") in public
    assert ("/api/v1/authorize/{cluster}", "post") in public
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_every_ok_response_has_a_schema_with_properties(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for path, method, op in operations(document):
        ok = op["responses"].get("200") or op["responses"]["201"]
        if "text/event-stream" in ok["content"]:
            assert path.endswith("/watch"), path  # the one stream: its events are described in words
            continue
        if "text/plain" in ok["content"]:
            assert path == "/metrics", path  # Prometheus's text format
            continue
        schema = ok["content"]["application/json"]["schema"]
        target = schemas[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema
        assert target.get("properties"), (method, path, schema)


def test_request_bodies_name_their_required_fields(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["CreateSessionRequest"]["required"]) == {"templateRef", "cluster"}
    assert schemas["RenewBody"]["required"] == ["extendBy"]
    assert "pattern" in schemas["RenewBody"]["properties"]["extendBy"]
    assert set(schemas["EphemeralContainerRequest"]["required"]) == {"namespace", "podName", "containerName", "image"}
    review = document["paths"]["/api/v1/authorize/{cluster}"]["post"]["requestBody"]["content"]["application/json"]
    assert review["schema"]["properties"]["kind"]["enum"] == ["SubjectAccessReview"]


def test_create_links_to_the_operations_on_the_created_session(document: dict[str, Any]) -> None:
    links = document["paths"]["/api/v1/debug-sessions"]["post"]["responses"]["201"]["links"]
    targets = {link["operationId"] for link in links.values()}
    approve = document["paths"]["/api/v1/debug-sessions/{name}/approve"]["post"]["operationId"]
    assert approve in targets
    assert all(link["parameters"] == {"name": "$response.body#/metadata/name"} for link in links.values())


async def test_a_405_lists_every_method_of_the_path(tmp_path: Path) -> None:
    app = create_app(ApiSettings(catalog_dir=tmp_path))  # no lifespan: routing only
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        resp = await client.request("TRACE", "/api/v1/debug-sessions")
    assert resp.status_code == 405
    assert resp.headers["allow"] == "GET, POST"
    assert resp.json() == {"error": "method not allowed", "code": "METHOD_NOT_ALLOWED"}
