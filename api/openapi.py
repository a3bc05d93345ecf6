"""The OpenAPI document as the API really behaves: the statuses every route can answer, the bearer scheme.

FastAPI documents what a route declares (`response_model=`, `responses=errors(...)`); what the edge adds
for every route is added here, once:

* 400 instead of FastAPI's 422: a malformed request is answered with the error envelope and 400
  (api/errors.py), never 422;
* 401 and the bearer security scheme on routes that authenticate the caller (they depend on `get_caller`);
* 500 (a bug) and 503 (Temporal unavailable or the request deadline passed) on every route but /healthz;
* the webhook's own token, when it is configured, as a separate scheme on the authorization routes.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from api.deps import get_caller
from api.responses import DESCRIPTIONS, ErrorBody

BEARER = "bearerAuth"
SESSION_COLLECTIONS = ("/api/v1/debug-sessions", "/api/debugSessions")
ALWAYS_UP = {"/healthz"}


def _authenticates(dependant: Dependant) -> bool:
    return dependant.call is get_caller or any(_authenticates(d) for d in dependant.dependencies)


def _has_input(operation: dict[str, Any]) -> bool:
    return bool(operation.get("parameters") or operation.get("requestBody"))


def _error(status: int) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }


def _link_created_session(paths: dict[str, Any], collection: str) -> None:
    """OpenAPI links from a create's 201 to every operation on the created session, so that clients (and
    schemathesis's stateful tests) can follow a session from its creation to its end."""
    create = paths.get(collection, {}).get("post")
    if create is None or "201" not in create.get("responses", {}):
        return
    links = {}
    for path, operations in paths.items():
        if not path.startswith(collection + "/{name}") or path.endswith("/leave"):
            # Not leave: it answers 404 "user is not a participant in this session" to a caller who is not
            # in the session (the reference's choice), which a link follower would read as "no such session".
            continue
        for operation in operations.values():
            links[operation["operationId"]] = {
                "operationId": operation["operationId"],
                "parameters": {"name": "$response.body#/metadata/name"},
            }
    create["responses"]["201"]["links"] = links


def document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of `app`, completed with the statuses the edge answers."""
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.setdefault("ErrorBody", ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}"))
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    components.setdefault("securitySchemes", {})[BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from DEBUG_SESSION_TOKENS_FILE, or an OIDC access token when OIDC is configured.",
    }
    authenticated = {
        (context.path, method.lower())
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and _authenticates(context.original_route.dependant)
        for method in context.original_route.methods or ()
    }
    paths = schema.get("paths", {})
    for collection in SESSION_COLLECTIONS:
        _link_created_session(paths, collection)
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            if _has_input(operation):
                responses.setdefault("400", _error(400))
            if (path, method) in authenticated:
                responses.setdefault("401", _error(401))
                operation["security"] = [{BEARER: []}]
            if path not in ALWAYS_UP:
                responses.setdefault("500", _error(500))
                responses.setdefault("503", _error(503))
    return schema


def install(app: FastAPI) -> None:
    """Serve `document(app)` at /openapi.json (built once, on first request)."""
    cached: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not cached:
            cached.update(document(app))
        return cached

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to replace it


def inline_schema(model: type[BaseModel], **overrides: dict[str, Any]) -> dict[str, Any]:
    """`model`'s JSON schema with its definitions inlined (for a request body declared by hand, where
    FastAPI does not collect them), and `overrides` merged into the named top-level properties."""
    schema = model.model_json_schema(by_alias=True)
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    inlined: dict[str, Any] = resolve(schema)
    for name, extra in overrides.items():
        inlined["properties"][name] = {**inlined["properties"][name], **extra}
    return inlined
